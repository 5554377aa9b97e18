"""SQL of the subscribers: their "I've moved" taps (``acks``), their starts (``subscribers``), the
counts read from them, and ``/forget``.

A thin class over :class:`~kooch.store.engine.Store`: taps go through its batched lane (one
statement per transaction for all the taps waiting), other writes through its group commit, reads
through its read connection; the times it writes are the store's clock's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from kooch.store.db import Database
from kooch.store.engine import BatchedInsert, Store, storable

DAY = 86400.0
#: Width of the slots of ``ack_buckets`` (migration 0005), seconds.
ACK_SLOT_S = 900


#: Another feature's part of ``/forget``: deletes (or makes nobody's) what its own tables hold about
#: a user, inside the one transaction of the whole /forget; returns how many rows it touched.
Eraser = Callable[[Database, int], Awaitable[int]]


@dataclass(frozen=True)
class AckCounts:
    total: int
    last_24h: int


#: Inserts a whole batch of taps in one statement: SQLite reads the batch as a JSON array,
#: PostgreSQL as one array per column; both skip (channel, user) pairs already stored or earlier in
#: the same batch, and return the ones they inserted.
ACKS = BatchedInsert(
    "INSERT INTO acks (channel, user_id, first_name, language, source, service, acked_at)"
    " SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),"
    " json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'),"
    " json_extract(value, '$[6]')"
    " FROM json_each(?) WHERE true"
    " ON CONFLICT (channel, user_id) DO NOTHING"
    " RETURNING channel, user_id",
    key_width=2,
    postgresql="INSERT INTO acks (channel, user_id, first_name, language, source, service, acked_at)"
    " SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],"
    " $7::float8[])"
    " ON CONFLICT (channel, user_id) DO NOTHING"
    " RETURNING channel, user_id",
)


class SubscriberStore:
    """Acknowledgements and starts. Cheap to create: holds the Store and the erasers.

    ``erasers`` are the other features' parts of :meth:`forget_user` (their tables are theirs):
    the composition root gives them all (:func:`kooch.app.features.core.subscriber_store`); a store
    made without them forgets the acknowledgements and the start only.
    """

    def __init__(self, store: Store, erasers: Sequence[Eraser] = ()) -> None:
        self.store = store
        self.erasers = tuple(erasers)

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
        """Record a tap; True if it is the user's first for this channel. Returns after COMMIT."""
        at = self.store.clock.now() if at is None else at
        row = (channel, user_id, storable(first_name), language, source, service, at)
        return await self.store.insert_batched(ACKS, row)

    async def ack_counts(self, channels: Iterable[str], now: float | None = None) -> dict[str, AckCounts]:
        """(total, last 24 h) per channel: exact, fast at any size, and unchanged by the retention
        job, because it reads the aggregates of migration 0005: ``ack_totals`` for the total, the
        15-minute slots of ``ack_buckets`` for the last 24 h; only the one slot cut by the window's
        start is counted from ``acks`` (rows younger than any retention)."""
        now = self.store.clock.now() if now is None else now
        keys = list(channels)
        out = {key: AckCounts(0, 0) for key in keys}
        if not keys:
            return out
        start = now - DAY
        edge = (int(start) // ACK_SLOT_S + 1) * ACK_SLOT_S  # the first slot wholly in the window
        marks = ", ".join("?" for _ in keys)
        reader = self.store.reader
        for channel, total in await reader.fetch(
            f"SELECT channel, SUM(live + archived) FROM ack_totals WHERE channel IN ({marks})"
            " GROUP BY channel",
            keys,
        ):
            out[channel] = AckCounts(int(total or 0), 0)
        for channel, recent in await reader.fetch(
            "SELECT channel, SUM(live + archived) FROM ack_buckets"
            f" WHERE channel IN ({marks}) AND bucket >= ? GROUP BY channel",
            (*keys, edge),
        ):
            out[channel] = AckCounts(out[channel].total, int(recent or 0))
        for channel, n in await reader.fetch(
            "SELECT channel, COUNT(*) FROM acks WHERE acked_at >= ? AND acked_at < ?"
            f" AND channel IN ({marks}) GROUP BY channel",
            (float(start), edge, *keys),
        ):
            counts = out[channel]
            out[channel] = AckCounts(counts.total, counts.last_24h + int(n))
        return out

    async def has_acked(self, channel: str, user_id: int) -> bool:
        row = await self.store.reader.fetchrow(
            "SELECT 1 FROM acks WHERE channel = ? AND user_id = ?", (channel, user_id)
        )
        return row is not None

    async def acks_of_channel(self, channel: str) -> list[tuple[int, str | None, str]]:
        """(user_id, language, source) of every ack of a channel; for tests and exports."""
        rows = await self.store.reader.fetch(
            "SELECT user_id, language, source FROM acks WHERE channel = ? ORDER BY acked_at",
            (channel,),
        )
        return [(int(r[0]), r[1], str(r[2])) for r in rows]

    # ----------------------------------------------------------------------------- starts

    async def record_start(
        self, user_id: int, language: str | None, source: str | None, at: float | None = None
    ) -> None:
        """Remember that a user started the bot; the first source is kept, a later one fills a gap."""
        at = self.store.clock.now() if at is None else at

        async def op(db: Database) -> None:
            await db.execute(
                "INSERT INTO subscribers (user_id, language, source, started_at, last_seen_at)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (user_id) DO UPDATE SET language = excluded.language,"
                " source = COALESCE(subscribers.source, excluded.source),"
                " last_seen_at = excluded.last_seen_at, blocked = 0",
                (user_id, language, source, at, at),
            )

        await self.store.write(op)

    async def started_count(self) -> int:
        """Users who started the bot, including those whose row the retention job deleted since."""
        value = await self.store.reader.fetchval(
            "SELECT (SELECT COUNT(*) FROM subscribers) + COALESCE("
            "(SELECT value FROM insight_counters WHERE name = 'subscribers_expired'), 0)"
        )
        return int(value or 0)

    # ----------------------------------------------------------------------------- /forget

    async def forget_user(self, user_id: int) -> int:
        """Delete every row about a user, here and through the erasers, in one transaction; then
        empty the WAL, so that no older copy of those pages stays on disk (SQLite; on PostgreSQL
        VACUUM reclaims the dead rows, see the README's Privacy). Returns how many rows
        were about them (0: nothing was stored)."""

        async def op(db: Database) -> int:
            total = 0
            for sql in ("DELETE FROM acks WHERE user_id = ?", "DELETE FROM subscribers WHERE user_id = ?"):
                total += await db.execute(sql, (user_id,))
            for erase in self.erasers:
                total += await erase(db, user_id)
            return total

        total = int(await self.store.write(op))
        if total:
            await self.store.checkpoint()
        return total
