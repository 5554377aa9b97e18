"""The SQL of operator insight: chart series, export cursors, the retention job, aggregates.

Counts come from the aggregate tables of migration 0005 (``ack_buckets``, ``click_buckets``,
``insight_counters``), kept up to date by triggers: they stay right after the retention job has
deleted the personal rows behind them, and reading them costs the same with a thousand
acknowledgements as with a million.

The export reads through a snapshot of its own in a worker thread
(:func:`kooch.store.snapshot.open_snapshot`): one read transaction gives both files the same
snapshot, the rows stream in chunks, and the store's shared reader stays free for /stats meanwhile.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass

from kooch.operators.audit import delete_audit_before
from kooch.operators.pending import delete_closed_before
from kooch.store.db import Database
from kooch.store.engine import Store
from kooch.store.snapshot import Snapshot

#: Width of an aggregate slot, seconds (see migrations/0005_insight.sql).
BUCKET_S = 900
DAY = 86400.0
#: Rows the retention job deletes per transaction: small enough that taps are never held up long.
RETENTION_CHUNK = 5000
#: Rows fetched at once by the export cursors.
EXPORT_CHUNK = 5000
EXPIRED_STARTS = "subscribers_expired"


#: Most points per line in the chart's whole-campaign panel; the last 24 hours keep 15 minutes.
CHART_POINTS = 480


@dataclass(frozen=True)
class ChartSlots:
    """What the /stats chart draws, summed in SQL so its size does not grow with the campaign.

    ``slots`` are ``(line, end, acknowledgements)`` in time order, where a line is a service key
    ('' for taps that named none) when ``by_service``, else a channel key, and ``end`` (Unix
    seconds) is the end of the slot: every acknowledgement counted in it had happened by then, so
    the chart draws it there and never before it happened. Slots are 15 minutes wide in the last
    24 hours and wider before (a multiple of 15 minutes, at most :data:`CHART_POINTS` of them since
    ``start``). The slot cut by the start of the last 24 hours is split at that moment (the part
    inside counted from the rows, as :meth:`SubscriberStore.ack_counts` counts it): the count
    before the window is exact, and the last 24 hours on the chart are the ones /stats says. The
    slot still running is counted by the minute from the rows (a quarter of an hour of taps at
    most), so the first minutes after a post have a shape, not one jump at "now".
    """

    by_service: bool
    start: float
    slots: tuple[tuple[str, float, int], ...]
    per_channel: dict[str, int]


@dataclass(frozen=True)
class ChannelClicks:
    humans: int = 0
    bots: int = 0


@dataclass(frozen=True)
class RetentionResult:
    acks: int
    subscribers: int
    audit: int = 0
    #: Pending confirmations already used or cancelled.
    confirmations: int = 0

    @property
    def total(self) -> int:
        return self.acks + self.subscribers + self.audit + self.confirmations


class InsightStore:
    """Insight queries on a :class:`Store`; writes go through its group commit."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ----------------------------------------------------------------------------- /stats

    async def chart_slots(
        self, channels: Sequence[str], since: float | None, now: float, points: int = CHART_POINTS
    ) -> ChartSlots:
        """The chart's series from ``since`` (the first announcement; earlier taps are folded into
        the first point) or from the first acknowledgement, to ``now``."""
        keys = tuple(channels)
        marks = ", ".join("?" for _ in keys)
        summary = await self.store.reader.fetch(
            "SELECT channel, SUM(live + archived),"
            " MAX(CASE WHEN service <> '' AND live + archived > 0 THEN 1 ELSE 0 END),"
            " (SELECT MIN(bucket) FROM ack_buckets b WHERE b.channel = t.channel)"
            f" FROM ack_totals t WHERE channel IN ({marks}) GROUP BY channel",
            keys,
        )
        per_channel = {str(c): int(n) for c, n, _, _ in summary}
        by_service = any(bool(s) for _, _, s, _ in summary)
        firsts = [float(b) for _, n, _, b in summary if b is not None and n]
        # The campaign starts when it was announced; before any announcement, at the first slot.
        first = since if since is not None else min(firsts, default=now - DAY)
        start = min(first, now - 60)
        origin = int(start) // BUCKET_S * BUCKET_S
        window = now - DAY
        recent = int(window) // BUCKET_S * BUCKET_S  # the slot cut by the window's start
        step = max(1, -(-(recent - origin) // (points * BUCKET_S))) * BUCKET_S
        line = "service" if by_service else "channel"
        rows = await self.store.reader.fetch(
            f"SELECT {line}, CASE WHEN bucket >= ? THEN bucket ELSE ? + (bucket - ?) / ? * ? END AS slot,"
            f" SUM(live + archived) FROM ack_buckets WHERE channel IN ({marks}) AND live + archived > 0"
            " GROUP BY 1, 2 ORDER BY 2",
            (recent, origin, origin, step, step, *keys),
        )  # one hop to the database thread, not one per 64 rows
        row_line = "COALESCE(service, '')" if by_service else "channel"
        inside = {
            str(k): int(n)
            for k, n in await self.store.reader.fetch(
                f"SELECT {row_line}, COUNT(*) FROM acks WHERE acked_at >= ? AND acked_at < ?"
                f" AND channel IN ({marks}) GROUP BY 1",
                (float(window), recent + BUCKET_S, *keys),
            )
        }
        running = int(now) // BUCKET_S * BUCKET_S
        minutes = await self._by_minute(row_line, keys, running)
        slots: list[tuple[str, float, int]] = []
        for k, b, n in rows:
            key, bucket, count = str(k), int(b), int(n)
            if bucket == running and key in minutes:
                # The running slot, minute by minute (what the rows do not hold, at its end).
                by_minute = minutes[key]
                slots.extend((key, end, m) for end, m in by_minute)
                rest = count - sum(m for _, m in by_minute)
                if rest > 0:
                    slots.append((key, float(bucket + BUCKET_S), rest))
            elif bucket == recent:
                # The cut slot: the part before the window ends at its start, the rest at its end.
                after = min(inside.get(key, 0), count)
                if count > after:
                    slots.append((key, window, count - after))
                if after:
                    slots.append((key, float(bucket + BUCKET_S), after))
            else:
                end = bucket + (BUCKET_S if bucket > recent else step)
                slots.append((key, float(min(end, recent) if bucket < recent else end), count))
        slots.sort(key=lambda s: (s[1], s[0]))
        return ChartSlots(by_service, start, tuple(slots), per_channel)

    async def _by_minute(
        self, line: str, keys: Sequence[str], slot: int
    ) -> dict[str, list[tuple[float, int]]]:
        """The taps of the 15-minute slot starting at ``slot``, per line and minute: ``(end of the
        minute, taps)``, minutes without taps left out. Counted with one comparison per minute
        rather than by rounding times, which SQLite (truncates) and PostgreSQL (rounds) differ on."""
        ends = [slot + 60 * (i + 1) for i in range(BUCKET_S // 60)]
        marks = ", ".join("?" for _ in keys)
        upto = ", ".join("SUM(CASE WHEN acked_at < ? THEN 1 ELSE 0 END)" for _ in ends)
        out: dict[str, list[tuple[float, int]]] = {}
        for key, *cumulative in await self.store.reader.fetch(
            f"SELECT {line}, {upto} FROM acks WHERE acked_at >= ? AND acked_at < ?"
            f" AND channel IN ({marks}) GROUP BY 1",
            (*ends, float(slot), float(slot + BUCKET_S), *keys),
        ):
            counts = [int(c or 0) for c in cumulative]
            out[str(key)] = [
                (float(end), n - before)
                for end, n, before in zip(ends, counts, [0, *counts], strict=False)
                if n > before
            ]
        return out

    async def clicks_by_channel(self, channels: Sequence[str]) -> dict[str, ChannelClicks]:
        """Clicks on the redirect links per channel (people and bots apart)."""
        out = {key: ChannelClicks() for key in channels}
        if not channels:
            return out
        marks = ", ".join("?" for _ in channels)
        for channel, humans, bots in await self.store.reader.fetch(
            f"SELECT channel, SUM(humans), SUM(bots) FROM click_totals WHERE channel IN ({marks})"
            " GROUP BY channel",
            tuple(channels),
        ):
            out[str(channel)] = ChannelClicks(int(humans or 0), int(bots or 0))
        return out

    async def first_announcement(self, channels: Sequence[str]) -> float | None:
        """When the campaign began: the first announcement posted to any of the channels."""
        if not channels:
            return None
        marks = ", ".join("?" for _ in channels)
        row = await self.store.reader.fetchrow(
            f"SELECT MIN(posted_at) FROM announcements WHERE channel IN ({marks})", tuple(channels)
        )
        return float(row[0]) if row and row[0] is not None else None

    async def expired_starts(self) -> int:
        """Users who started the bot and whose row the retention job deleted since."""
        row = await self.store.reader.fetchrow(
            "SELECT value FROM insight_counters WHERE name = ?", (EXPIRED_STARTS,)
        )
        return int(row[0]) if row else 0

    # ----------------------------------------------------------------------------- retention

    async def delete_older_than(self, cutoff: float, chunk: int = RETENTION_CHUNK) -> RetentionResult:
        """Delete what is personal and older than ``cutoff`` (Unix seconds), keeping counts:
        acknowledgements, starts (by the last time the user was seen), audit rows, and pending
        confirmations already used or cancelled. Then empty the WAL, as ``/forget`` does.

        Each chunk is its own transaction: a million old rows never hold up the taps of the day.
        An acknowledgement's slot moves its count from ``live`` to ``archived`` in the same
        transaction that deletes the row; a deleted start adds to ``subscribers_expired``.
        """
        result = RetentionResult(
            acks=await self._in_chunks(_delete_old_acks, cutoff, chunk),
            subscribers=await self._in_chunks(_delete_old_starts, cutoff, chunk),
            audit=await self._in_chunks(delete_audit_before, cutoff, chunk),
            confirmations=await self._in_chunks(delete_closed_before, cutoff, chunk),
        )
        if result.total:
            await self.store.checkpoint()
        return result

    async def _in_chunks(
        self, delete: Callable[[Database, float, int], Awaitable[int]], cutoff: float, chunk: int
    ) -> int:
        total = 0
        while True:
            n = int(await self.store.write(lambda db: delete(db, cutoff, chunk)))
            total += n
            if n < chunk:
                return total


async def _delete_old_acks(db: Database, cutoff: float, chunk: int) -> int:
    rows = list(
        await db.fetch(
            "SELECT channel, user_id, COALESCE(service, ''), acked_at FROM acks WHERE acked_at < ? LIMIT ?",
            (cutoff, chunk),
        )
    )
    if not rows:
        return 0
    slots: dict[tuple[str, str, int], int] = {}
    totals: dict[tuple[str, str], int] = {}
    for channel, _, service, at in rows:
        slot = (str(channel), str(service), int(at // BUCKET_S) * BUCKET_S)
        slots[slot] = slots.get(slot, 0) + 1
        totals[slot[:2]] = totals.get(slot[:2], 0) + 1
    # The delete trigger takes each row off ``live``; ``archived`` keeps it counted.
    await db.executemany("DELETE FROM acks WHERE channel = ? AND user_id = ?", [(r[0], r[1]) for r in rows])
    await db.executemany(
        "UPDATE ack_buckets SET archived = archived + ? WHERE channel = ? AND service = ? AND bucket = ?",
        [(n, channel, service, bucket) for (channel, service, bucket), n in slots.items()],
    )
    await db.executemany(
        "UPDATE ack_totals SET archived = archived + ? WHERE channel = ? AND service = ?",
        [(n, channel, service) for (channel, service), n in totals.items()],
    )
    return len(rows)


async def _delete_old_starts(db: Database, cutoff: float, chunk: int) -> int:
    n = await db.execute(
        "DELETE FROM subscribers WHERE user_id IN"
        " (SELECT user_id FROM subscribers WHERE last_seen_at < ? LIMIT ?)",
        (cutoff, chunk),
    )
    if n:
        await db.execute(
            "INSERT INTO insight_counters (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = insight_counters.value + excluded.value",
            (EXPIRED_STARTS, n),
        )
    return n


# --------------------------------------------------------------------------------- export (sync)


#: One acknowledgement as the export reads it: (time, channel, service, language, source, user id).
#: A plain tuple, not a dataclass: a million of them are made per export.
ExportAck = tuple[float, str, str | None, str | None, str, int, str | None]


@dataclass(frozen=True)
class ClickSlot:
    bucket: int
    channel: str
    service: str
    humans: int
    bots: int


def iter_acks(
    conn: Snapshot,
    channels: Sequence[str],
    since: float | None,
    chunk: int = EXPORT_CHUNK,
    postgresql: bool = False,
) -> Iterator[list[ExportAck]]:
    """Acknowledgements of ``channels`` since ``since`` in time order, ``chunk`` rows at a time,
    each with the services its person arrived on (move codes; space-separated keys, or None)."""
    marks = ", ".join("?" for _ in channels)
    if not channels:
        return
    # The services in name order: PostgreSQL's aggregate sorts, SQLite's follows its input's order.
    arrived = (
        "(SELECT string_agg(service, ' ' ORDER BY service) FROM service_arrivals s"
        " WHERE s.channel = acks.channel AND s.user_id = acks.user_id)"
        if postgresql
        else "(SELECT group_concat(service, ' ') FROM (SELECT service FROM service_arrivals s"
        " WHERE s.channel = acks.channel AND s.user_id = acks.user_id ORDER BY service))"
    )
    yield from conn.rows(
        f"SELECT acked_at, channel, service, language, source, user_id, {arrived}"
        f" FROM acks WHERE acked_at >= ? AND channel IN ({marks}) ORDER BY acked_at",
        (float(since) if since is not None else float("-inf"), *channels),
        chunk,
    )


def iter_click_slots(conn: Snapshot, channels: Sequence[str], since: float | None) -> Iterator[ClickSlot]:
    """Click counts per slot, channel and service, oldest first; clicks without a channel are
    included (channel '') as they belong to every channel's campaign."""
    keys = (*channels, "")
    marks = ", ".join("?" for _ in keys)
    first = int(since // BUCKET_S) * BUCKET_S if since is not None else -(2**62)
    for rows in conn.rows(
        "SELECT bucket, channel, service, humans, bots FROM click_buckets"
        f" WHERE bucket >= ? AND channel IN ({marks}) AND humans + bots > 0 ORDER BY bucket",
        (first, *keys),
        EXPORT_CHUNK,
    ):
        for r in rows:
            yield ClickSlot(int(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4]))
