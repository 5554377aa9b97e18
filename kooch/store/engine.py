"""The database engine: one writer with group commit, one reader, over a WAL SQLite file or a
PostgreSQL database.

Two connections: a *writer* that owns every write, and a *reader* for queries (on PostgreSQL a
small pool), so a slow ``/stats`` never holds up an acknowledgement. Both are
:class:`~kooch.store.db.Database`: the repositories' SQL is the same on either backend.

Writes go through a group-commit queue: the writer task takes every write waiting in the queue,
runs them in one transaction and commits once; each caller's ``await`` returns only after the
transaction holding its write has committed (or raises :class:`WriteFailed` if it did not). That is
what lets the "I've moved" handler answer a tap only once the tap is durable, without paying one
fsync per tap. The queue is bounded: when the disk falls behind, writers wait instead of piling up
memory.

Deleting is for good: on SQLite the writer zeroes what it deletes (``secure_delete``), and
:meth:`Store.checkpoint` empties the WAL into the database file and truncates it, so that no older
version of a page outlives the rows deleted from it (``/forget``, the retention job). PostgreSQL
has no such switch: a deleted row stays in its table's file as a dead tuple until VACUUM (autovacuum,
or the operator's own) reclaims the space and the page is reused, and stays in the WAL segments and
base backups until they are recycled; :meth:`Store.checkpoint` does nothing there, and the README
says so (Privacy, PostgreSQL).

The engine knows no table. The SQL lives with the feature that owns the table, in repositories
over this class (``kooch/*/store.py``, ``kooch/operators/audit.py`` and ``pending.py``): they write
with :meth:`Store.write` (or :meth:`Store.insert_batched`) and read with :attr:`Store.reader`.
PostgreSQL's side of the engine is :mod:`kooch.store.postgresql`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import aiosqlite

from kooch.clock import SYSTEM, Clock
from kooch.store.db import (
    BatchedInsert,
    Database,
    Dialect,
    Row,
    SqliteDatabase,
    StoreUnavailable,
    Value,
    damaged,
    damaged_database,
)
from kooch.store.migrations import MigrationError, migrate

log = logging.getLogger(__name__)

T = TypeVar("T")
WriteOp = Callable[[Database], Awaitable[Any]]


class WriteFailed(Exception):
    """The transaction holding a write did not commit: nothing of it was stored."""


@dataclass
class _Write:
    op: WriteOp
    future: asyncio.Future[Any]


async def _checkpoint_marker(db: Database) -> None:
    """Stands in the queue for a :meth:`Store.checkpoint` request; never run as a write."""


@dataclass
class _Row:
    """One row waiting for the next transaction; ``future`` gets True if it was inserted."""

    lane: BatchedInsert
    values: tuple[Value, ...]
    future: asyncio.Future[bool]

    @property
    def key(self) -> tuple[BatchedInsert, tuple[Value, ...]]:
        return self.lane, self.values[: self.lane.key_width]


def storable(text: str | None) -> str | None:
    """``text`` as SQLite can store it: a lone surrogate (which Telegram's JSON can carry, and
    UTF-8 cannot encode) becomes U+FFFD instead of failing the write."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


class Store:
    """Kooch's database. Open with :meth:`open`, close with :meth:`close` (flushes pending writes)."""

    #: Most rows of batched inserts (taps) one transaction takes; bounds the latency of the first
    #: tap in a big batch.
    MAX_BATCH_ROWS = 2000
    #: Most other writes one transaction takes while batched rows are waiting, so that a flood of
    #: starts or clicks slows acknowledgements by at most this many small writes per commit.
    MAX_OTHER_BATCH = 64
    #: Other writes waiting for the writer before callers are made to wait (back-pressure): memory
    #: stays bounded when the disk falls behind, and the oldest writes are committed first. Batched
    #: rows are not counted here: their callers bound them (the taps: the lanes' budgets,
    #: kooch/app/runner.py).
    QUEUE_BOUND = 10_000
    #: How long a transaction waits for another connection's lock.
    BUSY_TIMEOUT_MS = 5000
    #: How long the first try of a checkpoint waits for readers still on an older snapshot: the
    #: shared reader's queries end within it; an export or a backup does not, and the writer holds
    #: every write while it waits, so after that it does not wait but tries again every
    #: :attr:`CHECKPOINT_RETRY_S` until the WAL is empty.
    CHECKPOINT_WAIT_MS = 200
    CHECKPOINT_RETRY_S = 1.0

    def __init__(
        self, backend: Backend, path: Path, clock: Clock = SYSTEM, files: Path | None = None
    ) -> None:
        #: The SQLite file (on PostgreSQL: the folder of :attr:`files`).
        self.path = path
        #: Where the bot keeps its files beside the database (the pseudonym keys).
        self.files = files or path.parent
        #: The PostgreSQL database's URL (None: SQLite), for what reads it apart (the export).
        self.url: str | None = getattr(backend, "url", None)
        #: The time every row written without an explicit ``at`` gets: the repositories over this
        #: store read it.
        self.clock = clock
        self._backend = backend
        self._reader = self._backend.reader
        #: "sqlite" or "postgresql": what the store layer asks where the SQL differs.
        self.dialect: Dialect = self._backend.dialect
        self._rows: collections.deque[_Row] = collections.deque()
        self._others: collections.deque[_Write] = collections.deque()
        self._room = asyncio.Semaphore(self.QUEUE_BOUND)
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.commits = 0
        self._committed: asyncio.Event | None = None
        #: A checkpoint was asked for and the WAL is not empty yet (a reader held an old snapshot).
        self.checkpoint_owed = False
        self._retry_at = 0.0

    def next_change(self) -> asyncio.Event:
        """An event the writer's next COMMIT (or checkpoint) sets: what a test waits on to re-read
        the database instead of polling it (:func:`kooch.testing.waiting.eventually`). Nothing is made
        unless asked."""
        if self._committed is None:
            self._committed = asyncio.Event()
        return self._committed

    def _changed(self) -> None:
        if self._committed is not None:
            self._committed.set()
            self._committed = None

    @property
    def backlog(self) -> int:
        """Writes waiting for the writer (batched rows and others), not yet in a transaction."""
        return len(self._rows) + len(self._others)

    # ----------------------------------------------------------------------------- lifecycle

    @classmethod
    async def open(cls, path: Path, *, synchronous: str = "FULL", clock: Clock = SYSTEM) -> Store:
        """Create the directory, migrate, and open the connections.

        Raises :class:`StoreUnavailable` or :class:`MigrationError` with a message fit for stderr.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(
                f"cannot create the database folder {path.parent}: {exc.strerror}. "
                "Set storage.sqlite_path in the config to a writable place."
            ) from None
        try:
            await asyncio.to_thread(migrate, path, clock=clock)
        except sqlite3.Error as exc:
            if damaged(exc):
                raise damaged_database(path, exc) from None
            raise StoreUnavailable(
                f"the database {path} cannot be opened for writing: {exc}. Check that the file "
                "and its folder are writable by this user, or set storage.sqlite_path elsewhere."
            ) from None
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError(f"synchronous must be FULL or NORMAL, not {synchronous!r}")
        writer = await aiosqlite.connect(path, isolation_level=None)
        reader = await aiosqlite.connect(path, isolation_level=None)
        try:
            for conn in (writer, reader):
                await conn.execute("PRAGMA journal_mode=WAL")
                await conn.execute(f"PRAGMA synchronous={synchronous}")
                await conn.execute(f"PRAGMA busy_timeout={cls.BUSY_TIMEOUT_MS}")
                # ON, not FAST: FAST zeroes deleted rows only inside pages it writes anyway, and
                # leaves whole freed pages on the freelist as they were; ON zeroes those too, for
                # some I/O on deletes only (the taps never delete).
                await conn.execute("PRAGMA secure_delete=ON")
            # Prove now that we can write, rather than on the first tap.
            await writer.execute("BEGIN IMMEDIATE")
            await writer.execute("ROLLBACK")
        except sqlite3.Error as exc:
            await writer.close()
            await reader.close()
            if damaged(exc):
                raise damaged_database(path, exc) from None
            raise StoreUnavailable(
                f"the database {path} is not writable: {exc}. Check the file's permissions "
                "and the free disk space, or set storage.sqlite_path elsewhere."
            ) from None
        return cls(_SqliteBackend(path, writer, reader), path, clock).started()

    @classmethod
    async def open_postgresql(cls, url: str, files: Path, *, clock: Clock = SYSTEM) -> Store:
        """Migrate the PostgreSQL database at ``url`` and open its connections; ``files`` is the
        folder of the bot's other files (the pseudonym keys). Raises :class:`StoreUnavailable` or
        :class:`MigrationError` with a message fit for stderr (the password left out)."""
        from kooch.store.postgresql import open_backend  # asyncpg is loaded only when used

        backend = await open_backend(url, clock)
        try:
            await asyncio.to_thread(files.mkdir, parents=True, exist_ok=True)
        except OSError as exc:
            await backend.close()
            raise StoreUnavailable(f"cannot create the folder {files}: {exc.strerror}") from None
        return cls(backend, files, clock, files).started()

    def started(self) -> Store:
        self._task = asyncio.create_task(self._write_loop(), name="kooch-store-writer")
        return self

    async def close(self) -> None:
        """Commit every write already queued, then close. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._wakeup.set()
            await self._task
        if self.checkpoint_owed:
            await self._truncate_wal(self.BUSY_TIMEOUT_MS)
        await self._backend.close()

    @property
    def _writer(self) -> Database:
        # Asked each time: PostgreSQL's writer is a new connection after a lost one.
        return self._backend.writer

    # ----------------------------------------------------------------------------- group commit

    @property
    def reader(self) -> Database:
        """The read connection, for the repositories' queries."""
        return self._reader

    async def write(self, op: WriteOp) -> Any:
        """Run ``op(connection)`` inside the next group-commit transaction; return its result.

        Returns only after COMMIT; raises :class:`WriteFailed` if the transaction did not commit.
        ``op`` must only execute SQL (no BEGIN/COMMIT) and must not await anything else.
        """
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self._enqueue(self._others, _Write(op, future))
        return await future

    async def checkpoint(self) -> bool:
        """Copy the WAL into the database file and truncate it to zero bytes, once every write
        queued before this call has committed. True if the WAL is empty now; False if a reader
        still needed an older snapshot, in which case the writer tries again until it is (see
        :attr:`checkpoint_owed`)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._enqueue(self._others, _Write(_checkpoint_marker, future))
        return await future

    async def insert_batched(self, lane: BatchedInsert, values: Sequence[Value]) -> bool:
        """Insert one row through ``lane``; True if it went in, False if its key was taken (before,
        or by an earlier row of the same batch). Returns after COMMIT.

        The reason group commit exists is the flood of taps: batched rows have their own lane in the
        writer, all the rows waiting for one :class:`BatchedInsert` are one statement, and other
        writes cannot hold them up by more than :attr:`MAX_OTHER_BATCH` writes per commit.
        """
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._enqueue(self._rows, _Row(lane, tuple(values), future), bounded=False)
        return await future

    async def _enqueue(self, lane: collections.deque[Any], item: Any, *, bounded: bool = True) -> None:
        if self._closed:
            raise WriteFailed("the store is closed")
        if not bounded:
            # Batched rows are bounded upstream (the lanes' budgets, kooch/app/runner.py).
            lane.append(item)
            self._wakeup.set()
            return
        await self._room.acquire()
        if self._closed:  # closed while we waited for room: the writer may be gone
            self._room.release()
            raise WriteFailed("the store is closed")
        lane.append(item)
        self._wakeup.set()

    async def _write_loop(self) -> None:
        while True:
            if self.checkpoint_owed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self.CHECKPOINT_RETRY_S)
            else:
                await self._wakeup.wait()
            self._wakeup.clear()
            while self._rows or self._others:
                rows = _take(self._rows, self.MAX_BATCH_ROWS)
                limit = self.MAX_OTHER_BATCH if rows else self.MAX_BATCH_ROWS
                others = _take(self._others, limit)
                checkpoints = [o for o in others if o.op is _checkpoint_marker]
                writes = [o for o in others if o.op is not _checkpoint_marker]
                if rows or writes:
                    await self._commit_batch(rows, writes)
                if checkpoints:
                    done = await self._truncate_wal(self.CHECKPOINT_WAIT_MS)
                    for item in checkpoints:
                        if not item.future.done():
                            item.future.set_result(done)
                for _ in others:
                    self._room.release()
            if self.checkpoint_owed and self.clock.monotonic() >= self._retry_at:
                await self._truncate_wal(0)
            if self._closed:
                return

    async def _truncate_wal(self, wait_ms: int) -> bool:
        """Empty the WAL (SQLite), waiting at most ``wait_ms`` for readers."""
        done = await self._backend.truncate_wal(wait_ms)
        self._retry_at = self.clock.monotonic() + self.CHECKPOINT_RETRY_S
        if self.checkpoint_owed != (not done):
            if done:
                log.info("the WAL is empty again")
            else:
                log.warning("a reader holds an old snapshot: the WAL is emptied once it ends")
        self.checkpoint_owed = not done
        self._changed()
        return done

    async def _commit_batch(self, rows: list[_Row], others: list[_Write]) -> None:
        results: list[tuple[bool, Any]] = []
        inserted: set[tuple[BatchedInsert, tuple[Value, ...]]] = set()
        try:
            await self._backend.recover()
            await self._writer.execute(self._backend.begin)
            for lane, batch in _by_lane(rows):
                keys = await self._backend.insert_rows(lane, [row.values for row in batch])
                inserted.update((lane, tuple(key)) for key in keys)
            for item in others:
                # A savepoint per write: one bad write fails alone, the batch still commits.
                await self._writer.execute("SAVEPOINT w")
                try:
                    results.append((True, await item.op(self._writer)))
                    await self._writer.execute("RELEASE w")
                except Exception as exc:
                    if self._backend.failing(exc):
                        raise  # the database itself is failing (read-only, full, locked): fail the batch
                    # This write alone is wrong (a constraint, a bad value): undo it, keep the rest.
                    await self._writer.execute("ROLLBACK TO w")
                    await self._writer.execute("RELEASE w")
                    results.append((False, exc))
            await self._writer.execute("COMMIT")
            self.commits += 1
            self._changed()
        except Exception as exc:
            # A COMMIT cut off by a lost connection may have committed or not: it is reported
            # failed all the same (never "stored" unless known), and what comes again is
            # idempotent (a tap finds its row).
            self._backend.dropped(exc)
            # If BEGIN itself failed no transaction is open and there is nothing to undo.
            with contextlib.suppress(Exception):
                await self._writer.execute("ROLLBACK")
            if len(rows) > 1 and not self._backend.failing(exc):
                # One row's values broke the batch's statement, not the database: halve the batch
                # until only the offending row fails (log2(n) more commits at most, per bad row).
                half = len(rows) // 2
                await self._commit_batch(rows[:half], others)
                await self._commit_batch(rows[half:], [])
                return
            log.error("commit of %d writes failed: %s", len(rows) + len(others), exc)
            futures: list[asyncio.Future[Any]] = [r.future for r in rows] + [o.future for o in others]
            for future in futures:
                if not future.done():
                    future.set_exception(WriteFailed(str(exc)))
            return
        for row in rows:
            # The first row of a key in this batch took the insert; later ones are repeats.
            if not row.future.done():
                row.future.set_result(row.key in inserted)
            inserted.discard(row.key)
        for item, (ok, value) in zip(others, results, strict=True):
            if item.future.done():
                continue
            if ok:
                item.future.set_result(value)
            else:
                item.future.set_exception(WriteFailed(str(value)))


class Backend(Protocol):
    """What the engine needs of a database besides SQL: its two connections and the few things
    said differently (how a write transaction begins, the batched insert, the WAL, which errors
    mean the database itself is failing)."""

    dialect: Dialect
    writer: Database
    reader: Database
    begin: str

    async def insert_rows(self, lane: BatchedInsert, rows: list[tuple[Value, ...]]) -> list[Row]: ...

    def failing(self, exc: BaseException) -> bool: ...

    async def recover(self) -> None:
        """Before each transaction: make the writer usable again if its connection was lost, or
        raise (the transaction then fails)."""

    def dropped(self, exc: BaseException) -> None:
        """After a failed transaction: let go of the writer's connection if ``exc`` says it is gone."""

    async def truncate_wal(self, wait_ms: int) -> bool: ...

    async def close(self) -> None: ...


class _SqliteBackend:
    dialect: Dialect = "sqlite"
    #: Takes the write lock at once, so a busy database fails here rather than at COMMIT.
    begin = "BEGIN IMMEDIATE"

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self.path = path
        self._conn = writer
        self._read = reader
        self.writer: Database = SqliteDatabase(writer)
        self.reader: Database = SqliteDatabase(reader)

    async def insert_rows(self, lane: BatchedInsert, rows: list[tuple[Value, ...]]) -> list[Row]:
        # The whole batch as one JSON parameter: one call into SQLite however many rows it holds.
        return await self.writer.fetch(lane.sql, (json.dumps(rows, ensure_ascii=False),))

    def failing(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.OperationalError)

    async def recover(self) -> None:
        pass  # a file does not go away between transactions the way a server does

    def dropped(self, exc: BaseException) -> None:
        pass

    async def truncate_wal(self, wait_ms: int) -> bool:
        """``PRAGMA wal_checkpoint(TRUNCATE)``, waiting at most ``wait_ms`` for readers."""
        row = None
        try:
            await self._conn.execute(f"PRAGMA busy_timeout={wait_ms}")
            async with self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
                row = await cursor.fetchone()
        except sqlite3.Error as exc:
            log.warning("the WAL could not be emptied (will try again): %s", exc)
        finally:
            with contextlib.suppress(sqlite3.Error):
                await self._conn.execute(f"PRAGMA busy_timeout={Store.BUSY_TIMEOUT_MS}")
        # (busy, frames in the WAL, frames copied): busy 0 means done, and TRUNCATE emptied it.
        return row is not None and row[0] == 0

    async def close(self) -> None:
        await self._conn.close()
        await self._read.close()


#: The environment variable that chooses PostgreSQL (it may carry the password; config may not).
DATABASE_URL_ENV = "KOOCH_DATABASE_URL"


def database_url(configured: str | None, environ: Mapping[str, str]) -> str | None:
    """The PostgreSQL database to use: ``KOOCH_DATABASE_URL`` if set, else ``storage.url``; None:
    the SQLite file."""
    return environ.get(DATABASE_URL_ENV, "").strip() or configured


async def open_store(
    sqlite_path: Path,
    url: str | None,
    *,
    synchronous: str = "FULL",
    clock: Clock = SYSTEM,
) -> Store:
    """The store the configuration names: PostgreSQL at ``url`` when given, else the SQLite file
    (whose folder also keeps the bot's other files on PostgreSQL)."""
    if url:
        return await Store.open_postgresql(url, sqlite_path.parent, clock=clock)
    return await Store.open(sqlite_path, synchronous=synchronous, clock=clock)


def _take(lane: collections.deque[T], limit: int) -> list[T]:
    return [lane.popleft() for _ in range(min(limit, len(lane)))]


def _by_lane(rows: list[_Row]) -> Iterator[tuple[BatchedInsert, list[_Row]]]:
    """The rows grouped by lane, each group in the order its rows were queued."""
    lanes: dict[BatchedInsert, list[_Row]] = {}
    for row in rows:
        lanes.setdefault(row.lane, []).append(row)
    yield from lanes.items()


__all__ = [
    "BatchedInsert",
    "MigrationError",
    "Store",
    "StoreUnavailable",
    "Value",
    "WriteFailed",
    "database_url",
    "open_store",
    "storable",
]
