"""All of Kooch's SQL, behind a small async interface that returns typed rows.

Two aiosqlite connections to one WAL database: a *writer* that owns every write, and a *reader* for
queries, so a slow ``/stats`` never holds up an acknowledgement.

Writes go through a group-commit queue: the writer task takes every write waiting in the queue,
runs them in one transaction and commits once; each caller's ``await`` returns only after the
transaction holding its write has committed (or raises :class:`WriteFailed` if it did not). That is
what lets the "I've moved" handler answer a tap only once the tap is durable, without paying one
fsync per tap. The queue is bounded: when the disk falls behind, writers wait instead of piling up
memory.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from kooch.clock import SYSTEM, Clock
from kooch.store.migrations import MigrationError, migrate

log = logging.getLogger(__name__)

T = TypeVar("T")
WriteOp = Callable[[aiosqlite.Connection], Awaitable[Any]]

DAY = 86400.0
#: Width of the slots of ``ack_buckets`` (migration 0005), seconds.
ACK_SLOT_S = 900


def _damaged(exc: sqlite3.Error) -> bool:
    """SQLite's words for a file that is not (or no longer) a whole database: no permission or
    free space fixes it, a backup does."""
    text = str(exc)
    return "file is not a database" in text or "database disk image is malformed" in text


class StoreUnavailable(Exception):
    """The database cannot be opened or written; the message names the file and the fix."""


class WriteFailed(Exception):
    """The transaction holding a write did not commit: nothing of it was stored."""


@dataclass(frozen=True)
class AckCounts:
    total: int
    last_24h: int


@dataclass(frozen=True)
class Announcement:
    id: int
    channel: str
    chat_id: int
    message_id: int
    posted_at: float
    posted_by: int
    content_hash: str
    pinned: bool


@dataclass(frozen=True)
class Pending:
    id: int
    kind: str
    operator_id: int
    payload: dict[str, Any]
    created_at: float


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    operator_id: int
    action: str
    detail: str
    result: str


@dataclass
class _Write:
    op: WriteOp
    future: asyncio.Future[Any]


@dataclass
class _Ack:
    """One tap waiting for the next transaction; ``future`` gets True if it was the first."""

    channel: str
    user_id: int
    first_name: str | None
    language: str | None
    source: str
    service: str | None
    at: float
    future: asyncio.Future[bool]


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


#: Inserts a whole batch of taps in one statement: SQLite reads the batch as a JSON array, skips
#: (channel, user) pairs already stored or earlier in the same batch, and returns the ones it
#: inserted — so a batch costs one call into SQLite however many taps it holds.
INSERT_ACKS = (
    "INSERT INTO acks (channel, user_id, first_name, language, source, service, acked_at)"
    " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),"
    " json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'),"
    " json_extract(value, '$[6]')"
    " FROM json_each(?) WHERE true"
    " ON CONFLICT (channel, user_id) DO NOTHING"
    " RETURNING channel, user_id"
)


class Store:
    """Kooch's database. Open with :meth:`open`, close with :meth:`close` (flushes pending writes)."""

    #: Most taps one transaction takes; bounds the latency of the first tap in a big batch.
    MAX_ACK_BATCH = 2000
    #: Most other writes one transaction takes while taps are waiting, so that a flood of
    #: starts or clicks slows acknowledgements by at most this many small writes per commit.
    MAX_OTHER_BATCH = 64
    #: Other writes waiting for the writer before callers are made to wait (back-pressure): memory
    #: stays bounded when the disk falls behind, and the oldest writes are committed first. Taps are
    #: not counted here: the bot holds at most about 1,250 updates (bot.py), which bounds them.
    QUEUE_BOUND = 10_000

    def __init__(
        self,
        path: Path,
        writer: aiosqlite.Connection,
        reader: aiosqlite.Connection,
        clock: Clock = SYSTEM,
    ) -> None:
        self.path = path
        #: The time every row written without an explicit ``at`` gets; the repositories over this
        #: store (announcements, campaigns, insight) read it too.
        self.clock = clock
        self._writer = writer
        self._reader = reader
        self._acks: collections.deque[_Ack] = collections.deque()
        self._others: collections.deque[_Write] = collections.deque()
        self._room = asyncio.Semaphore(self.QUEUE_BOUND)
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.commits = 0

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
            if _damaged(exc):
                raise StoreUnavailable(
                    f"the database file {path} is damaged ({exc}): restore the latest backup "
                    "(made with `python bot.py backup`), see README Backups"
                ) from None
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
                await conn.execute("PRAGMA busy_timeout=5000")
            # Prove now that we can write, rather than on the first tap.
            await writer.execute("BEGIN IMMEDIATE")
            await writer.execute("ROLLBACK")
        except sqlite3.Error as exc:
            await writer.close()
            await reader.close()
            if _damaged(exc):
                raise StoreUnavailable(
                    f"the database file {path} is damaged ({exc}): restore the latest backup "
                    "(made with `python bot.py backup`), see README Backups"
                ) from None
            raise StoreUnavailable(
                f"the database {path} is not writable: {exc}. Check the file's permissions "
                "and the free disk space, or set storage.sqlite_path elsewhere."
            ) from None
        store = cls(path, writer, reader, clock)
        store._task = asyncio.create_task(store._write_loop(), name="kooch-store-writer")
        return store

    async def close(self) -> None:
        """Commit every write already queued, then close. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._wakeup.set()
            await self._task
        await self._writer.close()
        await self._reader.close()

    # ----------------------------------------------------------------------------- group commit

    @property
    def reader(self) -> aiosqlite.Connection:
        """The read connection, for the queries of the other modules in this package."""
        return self._reader

    async def write(self, op: WriteOp) -> Any:
        """Run ``op(connection)`` inside the next group-commit transaction; return its result.

        Returns only after COMMIT; raises :class:`WriteFailed` if the transaction did not commit.
        ``op`` must only execute SQL (no BEGIN/COMMIT) and must not await anything else.
        """
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self._enqueue(self._others, _Write(op, future))
        return await future

    async def _enqueue(self, lane: collections.deque[Any], item: Any, *, bounded: bool = True) -> None:
        if self._closed:
            raise WriteFailed("the store is closed")
        if not bounded:
            # Taps are bounded upstream (the bot holds at most about 1,250 updates at once).
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
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._acks or self._others:
                acks = _take(self._acks, self.MAX_ACK_BATCH)
                limit = self.MAX_OTHER_BATCH if acks else self.MAX_ACK_BATCH
                others = _take(self._others, limit)
                await self._commit_batch(acks, others)
                for _ in others:
                    self._room.release()
            if self._closed:
                return

    async def _commit_batch(self, acks: list[_Ack], others: list[_Write]) -> None:
        results: list[tuple[bool, Any]] = []
        inserted: set[tuple[str, int]] = set()
        try:
            await self._writer.execute("BEGIN IMMEDIATE")
            if acks:
                rows = json.dumps(
                    [
                        [a.channel, a.user_id, storable(a.first_name), a.language, a.source, a.service, a.at]
                        for a in acks
                    ],
                    ensure_ascii=False,
                )
                async with self._writer.execute(INSERT_ACKS, (rows,)) as cursor:
                    inserted = {(str(c), int(u)) for c, u in await cursor.fetchall()}
            for item in others:
                # A savepoint per write: one bad write fails alone, the batch still commits.
                await self._writer.execute("SAVEPOINT w")
                try:
                    results.append((True, await item.op(self._writer)))
                    await self._writer.execute("RELEASE w")
                except sqlite3.OperationalError:
                    raise  # the database itself is failing (read-only, full, locked): fail the batch
                except Exception as exc:
                    # This write alone is wrong (a constraint, a bad value): undo it, keep the rest.
                    await self._writer.execute("ROLLBACK TO w")
                    await self._writer.execute("RELEASE w")
                    results.append((False, exc))
            await self._writer.execute("COMMIT")
            self.commits += 1
        except Exception as exc:
            # If BEGIN itself failed no transaction is open and there is nothing to undo.
            with contextlib.suppress(sqlite3.Error):
                await self._writer.execute("ROLLBACK")
            if len(acks) > 1 and not isinstance(exc, sqlite3.OperationalError):
                # One tap's values broke the batch's statement, not the database: halve the batch
                # until only the offending tap fails (log2(n) more commits at most, per bad tap).
                half = len(acks) // 2
                await self._commit_batch(acks[:half], others)
                await self._commit_batch(acks[half:], [])
                return
            log.error("commit of %d writes failed: %s", len(acks) + len(others), exc)
            futures: list[asyncio.Future[Any]] = [a.future for a in acks] + [o.future for o in others]
            for future in futures:
                if not future.done():
                    future.set_exception(WriteFailed(str(exc)))
            return
        for ack in acks:
            # The first tap of a pair in this batch took the insert; later ones are repeats.
            key = (ack.channel, ack.user_id)
            if not ack.future.done():
                ack.future.set_result(key in inserted)
            inserted.discard(key)
        for item, (ok, value) in zip(others, results, strict=True):
            if item.future.done():
                continue
            if ok:
                item.future.set_result(value)
            else:
                item.future.set_exception(WriteFailed(str(value)))

    # ----------------------------------------------------------------------------- acknowledgements

    async def add_ack(
        self,
        channel: str,
        user_id: int,
        first_name: str | None,
        language: str | None,
        source: str,
        at: float | None = None,
        service: str | None = None,
    ) -> bool:
        """Record a tap; True if it is the user's first for this channel. Returns after COMMIT.

        Taps have their own lane in the writer: a batch of them is one statement, and other writes
        cannot hold them up by more than :attr:`MAX_OTHER_BATCH` writes per commit.
        """
        at = self.clock.now() if at is None else at
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._enqueue(
            self._acks,
            _Ack(channel, user_id, first_name, language, source, service, at, future),
            bounded=False,
        )
        return await future

    async def ack_counts(self, channels: Iterable[str], now: float | None = None) -> dict[str, AckCounts]:
        """(total, last 24 h) per channel: exact, fast at any size, and unchanged by the retention
        job, because it reads the aggregates of migration 0005: ``ack_totals`` for the total, the
        15-minute slots of ``ack_buckets`` for the last 24 h; only the one slot cut by the window's
        start is counted from ``acks`` (rows younger than any retention)."""
        now = self.clock.now() if now is None else now
        keys = list(channels)
        out = {key: AckCounts(0, 0) for key in keys}
        if not keys:
            return out
        start = now - DAY
        edge = (int(start) // ACK_SLOT_S + 1) * ACK_SLOT_S  # the first slot wholly in the window
        marks = ", ".join("?" for _ in keys)
        async with self._reader.execute(
            f"SELECT channel, SUM(live + archived) FROM ack_totals WHERE channel IN ({marks})"
            " GROUP BY channel",
            keys,
        ) as cursor:
            async for channel, total in cursor:
                out[channel] = AckCounts(int(total or 0), 0)
        async with self._reader.execute(
            "SELECT channel, SUM(live + archived) FROM ack_buckets"
            f" WHERE channel IN ({marks}) AND bucket >= ? GROUP BY channel",
            (*keys, edge),
        ) as cursor:
            async for channel, recent in cursor:
                out[channel] = AckCounts(out[channel].total, int(recent or 0))
        async with self._reader.execute(
            "SELECT channel, COUNT(*) FROM acks WHERE acked_at >= ? AND acked_at < ?"
            f" AND channel IN ({marks}) GROUP BY channel",
            (start, edge, *keys),
        ) as cursor:
            async for channel, n in cursor:
                counts = out[channel]
                out[channel] = AckCounts(counts.total, counts.last_24h + int(n))
        return out

    async def has_acked(self, channel: str, user_id: int) -> bool:
        async with self._reader.execute(
            "SELECT 1 FROM acks WHERE channel = ? AND user_id = ?", (channel, user_id)
        ) as cursor:
            return await cursor.fetchone() is not None

    async def acks_of_channel(self, channel: str) -> list[tuple[int, str | None, str]]:
        """(user_id, language, source) of every ack of a channel; for tests and exports."""
        async with self._reader.execute(
            "SELECT user_id, language, source FROM acks WHERE channel = ? ORDER BY acked_at",
            (channel,),
        ) as cursor:
            return [(int(r[0]), r[1], str(r[2])) for r in await cursor.fetchall()]

    # ----------------------------------------------------------------------------- subscribers

    async def record_start(
        self, user_id: int, language: str | None, source: str | None, at: float | None = None
    ) -> None:
        """Remember that a user started the bot; the first source is kept, a later one fills a gap."""
        at = self.clock.now() if at is None else at

        async def op(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO subscribers (user_id, language, source, started_at, last_seen_at)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET language = excluded.language,"
                " source = COALESCE(subscribers.source, excluded.source),"
                " last_seen_at = excluded.last_seen_at, blocked = 0",
                (user_id, language, source, at, at),
            )

        await self.write(op)

    async def started_count(self) -> int:
        """Users who started the bot, including those whose row the retention job deleted since."""
        async with self._reader.execute(
            "SELECT (SELECT COUNT(*) FROM subscribers) + COALESCE("
            "(SELECT value FROM insight_counters WHERE name = 'subscribers_expired'), 0)"
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def forget_user(self, user_id: int) -> int:
        """Delete every row about a subscriber (acks, start); return how many rows went."""

        async def op(db: aiosqlite.Connection) -> int:
            total = 0
            for sql in ("DELETE FROM acks WHERE user_id = ?", "DELETE FROM subscribers WHERE user_id = ?"):
                cursor = await db.execute(sql, (user_id,))
                total += cursor.rowcount
            # Their delivery rows too (a campaign under way then never sends to them).
            await db.execute("DELETE FROM campaign_recipients WHERE user_id = ?", (user_id,))
            return total

        return int(await self.write(op))

    # ----------------------------------------------------------------------------- announcements

    async def current_announcement(self, channel: str) -> Announcement | None:
        async with self._reader.execute(
            "SELECT id, channel, chat_id, message_id, posted_at, posted_by, content_hash, pinned"
            " FROM announcements WHERE channel = ? AND current = 1 ORDER BY id DESC LIMIT 1",
            (channel,),
        ) as cursor:
            row = await cursor.fetchone()
        return _announcement(row) if row else None

    async def add_announcement(
        self,
        channel: str,
        chat_id: int,
        message_id: int,
        posted_by: int,
        content_hash: str,
        pinned: bool,
        at: float | None = None,
    ) -> None:
        at = self.clock.now() if at is None else at

        async def op(db: aiosqlite.Connection) -> None:
            await db.execute("UPDATE announcements SET current = 0 WHERE channel = ?", (channel,))
            await db.execute(
                "INSERT INTO announcements"
                " (channel, chat_id, message_id, posted_at, posted_by, content_hash, pinned)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (channel, chat_id, message_id, at, posted_by, content_hash, int(pinned)),
            )

        await self.write(op)

    # ----------------------------------------------------------------------------- confirmations

    async def create_pending(
        self, kind: str, operator_id: int, payload: dict[str, Any], at: float | None = None
    ) -> int:
        at = self.clock.now() if at is None else at

        async def op(db: aiosqlite.Connection) -> int:
            cursor = await db.execute(
                "INSERT INTO pending_actions (kind, operator_id, payload, created_at) VALUES (?, ?, ?, ?)",
                (kind, operator_id, json.dumps(payload), at),
            )
            return int(cursor.lastrowid or 0)

        return int(await self.write(op))

    async def take_pending(self, pending_id: int, kind: str, new_state: str) -> Pending | None:
        """Close an open pending action and return it; None if it was already taken or unknown.

        The UPDATE … WHERE state = 'open' makes a double-pressed confirm button act once.
        """

        async def op(db: aiosqlite.Connection) -> Pending | None:
            cursor = await db.execute(
                "UPDATE pending_actions SET state = ? WHERE id = ? AND kind = ? AND state = 'open'"
                " RETURNING id, kind, operator_id, payload, created_at",
                (new_state, pending_id, kind),
            )
            row = await cursor.fetchone()
            await cursor.close()
            if row is None:
                return None
            return Pending(int(row[0]), str(row[1]), int(row[2]), json.loads(row[3]), float(row[4]))

        result: Pending | None = await self.write(op)
        return result

    # ----------------------------------------------------------------------------- audit

    async def add_audit(
        self, operator_id: int, action: str, detail: str, result: str, at: float | None = None
    ) -> None:
        at = self.clock.now() if at is None else at

        async def op(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO audit (at, operator_id, action, detail, result) VALUES (?, ?, ?, ?, ?)",
                (at, operator_id, action, detail, result),
            )

        await self.write(op)

    async def recent_audit(self, limit: int = 20) -> list[AuditEntry]:
        """The last ``limit`` audit entries, newest first."""
        async with self._reader.execute(
            "SELECT id, at, operator_id, action, detail, result FROM audit ORDER BY id DESC LIMIT ?",
            (limit,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [AuditEntry(int(r[0]), float(r[1]), int(r[2]), str(r[3]), str(r[4]), str(r[5])) for r in rows]


def _take(lane: collections.deque[T], limit: int) -> list[T]:
    return [lane.popleft() for _ in range(min(limit, len(lane)))]


def _announcement(row: Any) -> Announcement:
    return Announcement(
        id=int(row[0]),
        channel=str(row[1]),
        chat_id=int(row[2]),
        message_id=int(row[3]),
        posted_at=float(row[4]),
        posted_by=int(row[5]),
        content_hash=str(row[6]),
        pinned=bool(row[7]),
    )


__all__ = [
    "AckCounts",
    "Announcement",
    "AuditEntry",
    "MigrationError",
    "Pending",
    "Store",
    "StoreUnavailable",
    "WriteFailed",
]
