"""PostgreSQL's side of the store: its connections, its migrations, its batched insert, its snapshot.

The engine (:mod:`kooch.store.engine`) is the same on both backends: one writer connection that
owns every write and commits a group at a time, and readers (here a small pool, since an asyncpg
connection runs one query at a time). What differs is said here:

* migrations: the files of ``migrations/postgresql/``, twins of SQLite's by name, applied under a
  session advisory lock, so that several processes starting at once migrate once (the others wait,
  then find nothing left to do); each in one transaction with its record (DDL is transactional);
* the batch of taps: one ``INSERT … SELECT FROM unnest($1::text[], $2::bigint[], …)`` with the
  batch's columns as arrays;
* the export's snapshot: a ``REPEATABLE READ READ ONLY`` transaction read through server-side
  cursors (:class:`PgSnapshot`);
* erasure: there is no WAL to truncate. A deleted row stays as a dead tuple in its table's file
  until VACUUM reclaims it (README, Privacy);
* a lost server (restarted, failed over, a network cut): the writer connects again before the next
  transaction, after a short backoff that grows while the server stays away
  (:meth:`PgBackend.recover`); each transaction meanwhile fails at once with
  :class:`~kooch.store.engine.WriteFailed`, so no caller waits for the server's return. A batch
  whose COMMIT was cut off is reported failed although it may have committed: its taps come again
  and find their rows (ON CONFLICT DO NOTHING, "already recorded"). The readers' pool replaces a
  closed connection at its next acquire by itself.

asyncpg over psycopg 3: measured in ``bench/pg_driver.py`` (see the commit that added it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import urllib.parse
from collections.abc import Awaitable, Iterator, Sequence
from typing import Any, TypeVar

import asyncpg

from kooch.clock import SYSTEM, Clock
from kooch.store.db import (
    BatchedInsert,
    Database,
    Dialect,
    PgDatabase,
    Row,
    StoreUnavailable,
    Value,
    numbered,
)
from kooch.store.migrations import Migration, MigrationError, discover_postgresql

T = TypeVar("T")
log = logging.getLogger(__name__)

#: pg_advisory_lock's key for migrations: any constant all Kooch processes agree on ("kooch" in ASCII).
MIGRATION_LOCK = 0x6B6F6F6368
#: Readers in the pool: /stats, the web pages and the health check at once.
READERS = 4
#: SQLSTATE classes that mean the database itself is failing, not one write: connection (08),
#: resources (53: disk full), operator intervention (57: shutdown), system (58), read-only (25006
#: is in 25), internal (XX).
_FAILING = {"08", "53", "57", "58", "25", "XX"}
#: SQLSTATE classes after which the session itself is gone or going: connection (08), the server
#: shutting down or starting up (57P01-57P03).
_LOST_STATES = ("08", "57P01", "57P02", "57P03")
#: The writer's first wait before connecting again after a failed try, and the most it grows to:
#: short, because every write fails while the server is away; bounded, because a tap's caller
#: retries at once.
RECONNECT_MIN_S = 0.05
RECONNECT_MAX_S = 1.0
#: How long one try to connect may take (a server that accepts the socket and then says nothing).
CONNECT_TIMEOUT_S = 5.0


def redacted(url: str) -> str:
    """``url`` without its password, fit for a log or an error message."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


async def connect(url: str) -> asyncpg.Connection:
    """One connection to ``url``; :class:`StoreUnavailable` with words for the operator if not."""
    try:
        conn: asyncpg.Connection = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise StoreUnavailable(
            f"cannot connect to the PostgreSQL database {redacted(url)}: {exc}. Check "
            "KOOCH_DATABASE_URL (or storage.url) and that the server is running."
        ) from None
    return conn


async def migrate(
    conn: asyncpg.Connection, migrations: list[Migration] | None = None, *, clock: Clock = SYSTEM
) -> list[str]:
    """Bring the database up to date; return the names applied now. The same contract as SQLite's
    :func:`kooch.store.migrations.migrate`: each migration with its record in one transaction, a
    database migrated by a newer Kooch refused."""
    migrations = discover_postgresql() if migrations is None else migrations
    known = {m.name for m in migrations}
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
        )
        done = {r[0] for r in await conn.fetch("SELECT name FROM schema_migrations")}
        unknown = sorted(done - known)
        if unknown:
            raise MigrationError(
                f"the database was migrated by a newer Kooch (unknown migration {', '.join(unknown)}). "
                "Run that newer Kooch, or restore a backup made before the upgrade."
            )
        applied: list[str] = []
        for migration in migrations:
            if migration.name in done:
                continue
            try:
                async with conn.transaction():
                    await conn.execute(migration.sql)  # no arguments: the simple protocol, many statements
                    await conn.execute(
                        "INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)",
                        migration.name,
                        clock.now(),
                    )
            except asyncpg.PostgresError as exc:
                raise MigrationError(
                    f"migration {migration.name} failed and was rolled back: {exc}. "
                    "The database is unchanged; fix the migration or report it."
                ) from exc
            applied.append(migration.name)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)


class PgBackend:
    dialect: Dialect = "postgresql"
    begin = "BEGIN"

    def __init__(self, url: str, writer: asyncpg.Connection, readers: asyncpg.Pool) -> None:
        self.url = url
        self._conn = writer
        self._pool = readers
        self.writer: Database = PgDatabase(writer)
        self.reader: Database = PgDatabase(readers)
        self._backoff = RECONNECT_MIN_S
        self._retry_at = 0.0

    async def recover(self) -> None:
        """Before a transaction: connect the writer again if its connection was lost, waiting out
        the backoff first. Raises :class:`StoreUnavailable` if the server is still away (the
        transaction then fails, and the next one tries again after a longer wait)."""
        if not self._conn.is_closed():
            return
        wait = self._retry_at - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)  # the backoff: not hammering a server that is starting up
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                conn: asyncpg.Connection = await asyncpg.connect(self.url)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            self._retry_at = time.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, RECONNECT_MAX_S)
            raise StoreUnavailable(f"the PostgreSQL server is unreachable: {exc}") from None
        self._conn = conn
        self.writer = PgDatabase(conn)
        self._backoff = RECONNECT_MIN_S
        log.warning("the writer is connected to PostgreSQL again")

    def dropped(self, exc: BaseException) -> None:
        """After a failed transaction: if ``exc`` says the session is gone, let go of it, so that
        :meth:`recover` connects again (asyncpg closes it itself on most, not all, of these)."""
        state = str(getattr(exc, "sqlstate", "") or "")
        lost = isinstance(exc, (OSError, TimeoutError, asyncpg.InterfaceError)) or state.startswith(
            _LOST_STATES
        )
        if lost and not self._conn.is_closed():
            self._conn.terminate()

    async def insert_rows(self, lane: BatchedInsert, rows: list[tuple[Value, ...]]) -> list[Row]:
        if not lane.postgresql:
            raise ValueError(f"the batched insert {lane.sql[:40]!r}… has no PostgreSQL statement")
        columns = [list(column) for column in zip(*rows, strict=True)]
        return [tuple(r) for r in await self._conn.fetch(lane.postgresql, *columns)]

    def failing(self, exc: BaseException) -> bool:
        if isinstance(exc, asyncpg.DataError):  # a value asyncpg cannot send: this write alone
            return False
        if isinstance(exc, (asyncpg.InterfaceError, OSError, StoreUnavailable)):
            return True
        state = getattr(exc, "sqlstate", None)
        return isinstance(exc, asyncpg.PostgresError) and bool(state) and str(state)[:2] in _FAILING

    async def truncate_wal(self, wait_ms: int) -> bool:
        # PostgreSQL's WAL is the server's, recycled by its checkpoints; nothing to do from here.
        return True

    async def close(self) -> None:
        if not self._conn.is_closed():
            try:
                await self._conn.close()
            except (OSError, asyncpg.InterfaceError, asyncpg.PostgresError):
                self._conn.terminate()  # the server went away under the goodbye
        await self._pool.close()


async def open_backend(url: str, clock: Clock = SYSTEM) -> PgBackend:
    writer = await connect(url)
    try:
        await migrate(writer, clock=clock)
        readers = await asyncpg.create_pool(url, min_size=1, max_size=READERS)
    except BaseException:
        await writer.close()
        raise
    return PgBackend(url, writer, readers)


class PgSnapshot:
    """One ``REPEATABLE READ READ ONLY`` transaction for a worker thread: the export's two files
    see the same snapshot, and rows stream through server-side cursors a chunk at a time.

    asyncpg is asynchronous: the snapshot's connection lives on an event loop of its own, in a
    thread of its own (the bot's loop stays free, and the caller may be any thread), and
    :meth:`rows` is a plain blocking generator over it, as the SQLite snapshot's cursor is.
    """

    dialect: Dialect = "postgresql"

    def __init__(self, url: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kooch-snapshot", daemon=True)
        self._thread.start()
        try:
            self._conn: asyncpg.Connection = self._run(connect(url))
            self._tx = self._conn.transaction(isolation="repeatable_read", readonly=True)
            self._run(self._tx.start())
        except BaseException:
            self._stop()
            raise

    def _run(self, awaitable: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result()

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def rows(self, sql: str, params: Sequence[Any], chunk: int) -> Iterator[list[Row]]:
        """The rows of ``sql`` (``?`` placeholders), ``chunk`` at a time, from a server-side cursor."""
        cursor = self._run(self._conn.cursor(numbered(sql), *params))
        while rows := self._run(cursor.fetch(chunk)):
            yield [tuple(r) for r in rows]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._run(self._tx.rollback())
        with contextlib.suppress(Exception):
            self._run(self._conn.close())
        self._stop()
