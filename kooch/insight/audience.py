"""The channels' audience as counts (issue 26): joins and departures per day from ``chat_member``
updates, and among the departures those of people who had tapped "I've moved"; the reaction totals
Telegram reports on an announcement (``message_reaction_count``) over time.

Counts only, never people: a departure adds one to a day's count (and to the day's "after moving"
count when that person had tapped), and nobody who joined or left is kept (migration 0016). So
/forget and the retention job leave these tables alone, and /stats, its chart and /export read
them as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from kooch.store.db import Database
from kooch.store.engine import Store
from kooch.store.snapshot import Snapshot

#: Statuses of someone in the channel (``restricted`` only with ``is_member``, decided by the caller).
IN_CHANNEL = frozenset({"creator", "administrator", "member", "restricted"})


@dataclass(frozen=True)
class AudienceCounts:
    """A channel's joins and departures counted so far, and its announcement's latest reactions."""

    joined: int = 0
    left: int = 0
    #: Departures of people who had tapped "I've moved" for the channel.
    left_after_moving: int = 0
    #: The last reaction total Telegram reported on the channel's announcements (None: none yet).
    reactions: int | None = None

    @property
    def known(self) -> bool:
        """Telegram reported anything (chat_member updates or reactions) for the channel."""
        return bool(self.joined or self.left or self.reactions is not None)


#: A channel Telegram reported nothing about.
NOTHING_REPORTED = AudienceCounts()


@dataclass(frozen=True)
class AudienceDay:
    """One row of /export's audience file."""

    day: str
    channel: str
    joined: int
    left: int
    left_after_moving: int
    #: The last reaction total reported that day (None: none that day).
    reactions: int | None


def change(was_in: bool, is_in: bool) -> tuple[int, int]:
    """(joined, left) of a ``chat_member`` update: who was not in the channel and is now, or the reverse."""
    return (int(is_in and not was_in), int(was_in and not is_in))


def local_day(at: float, timezone: str) -> str:
    """``2026-12-06``: the day of ``at`` in the config's time zone (the days /export counts in)."""
    return datetime.fromtimestamp(at, ZoneInfo(timezone)).date().isoformat()


class AudienceStore:
    """The counts' SQL over :class:`~kooch.store.engine.Store` (its group commit and its reader).
    Cheap to create."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def member_changed(self, channel: str, user_id: int, joined: int, left: int, day: str) -> bool:
        """Count a join or a departure on ``day``; a departure is "after moving" when that person
        had tapped "I've moved" for the channel. The user id is only looked up, never stored.
        Returns whether it was a departure after moving."""

        async def op(db: Database) -> bool:
            moved = bool(left) and (
                await db.fetchrow("SELECT 1 FROM acks WHERE channel = ? AND user_id = ?", (channel, user_id))
                is not None
            )
            await db.execute(
                "INSERT INTO audience_days (channel, day, joined, left_channel, left_after_moving)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, day) DO UPDATE SET"
                " joined = audience_days.joined + excluded.joined,"
                " left_channel = audience_days.left_channel + excluded.left_channel,"
                " left_after_moving = audience_days.left_after_moving + excluded.left_after_moving",
                (channel, day, joined, left, int(moved)),
            )
            return moved

        return bool(await self.store.write(op))

    async def reactions_reported(self, channel: str, message_id: int, at: float, total: int) -> None:
        """Keep one report of an announcement's reaction total (a later one at the same time wins)."""

        async def op(db: Database) -> None:
            await db.execute(
                "INSERT INTO reaction_counts (channel, message_id, at, total) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (channel, message_id, at) DO UPDATE SET total = excluded.total",
                (channel, message_id, at, total),
            )

        await self.store.write(op)

    async def counts(self, channels: Iterable[str]) -> dict[str, AudienceCounts]:
        """Per channel: joins, departures and departures after moving so far, and the latest
        reaction total reported (of its newest announcement reported on)."""
        keys = list(channels)
        out = {key: AudienceCounts() for key in keys}
        if not keys:
            return out
        marks = ", ".join("?" for _ in keys)
        reader = self.store.reader
        for channel, joined, left, after in await reader.fetch(
            "SELECT channel, SUM(joined), SUM(left_channel), SUM(left_after_moving) FROM audience_days"
            f" WHERE channel IN ({marks}) GROUP BY channel",
            keys,
        ):
            out[channel] = AudienceCounts(int(joined or 0), int(left or 0), int(after or 0))
        for channel, total in await reader.fetch(
            "SELECT r.channel, r.total FROM reaction_counts r"
            f" WHERE r.channel IN ({marks}) AND r.at = (SELECT MAX(q.at) FROM reaction_counts q"
            " WHERE q.channel = r.channel)",
            keys,
        ):
            c = out[channel]
            out[channel] = AudienceCounts(c.joined, c.left, c.left_after_moving, int(total))
        return out


def iter_audience_days(conn: Snapshot, channels: Sequence[str], timezone: str) -> Iterator[AudienceDay]:
    """Every day with joins, departures or reactions, per channel, oldest first (/export)."""
    if not channels:
        return
    marks = ", ".join("?" for _ in channels)
    days: dict[tuple[str, str], list[int | None]] = {}
    for rows in conn.rows(
        "SELECT day, channel, joined, left_channel, left_after_moving FROM audience_days"
        f" WHERE channel IN ({marks})",
        list(channels),
        1000,
    ):
        for day, channel, joined, left, after in rows:
            days[(str(day), str(channel))] = [int(joined), int(left), int(after), None]
    for rows in conn.rows(
        f"SELECT channel, at, total FROM reaction_counts WHERE channel IN ({marks}) ORDER BY at",
        list(channels),
        1000,
    ):
        for channel, at, total in rows:
            entry = days.setdefault((local_day(float(at), timezone), str(channel)), [0, 0, 0, None])
            entry[3] = int(total)  # the day's last report
    for (day, channel), (joined, left, after, reactions) in sorted(days.items()):
        yield AudienceDay(day, channel, int(joined or 0), int(left or 0), int(after or 0), reactions)
