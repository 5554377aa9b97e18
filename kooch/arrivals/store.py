"""The SQL of arrivals: the member-count series (``member_counts``, migration 0008).

Counts only, one row per reading: a reading every 10 minutes is ~53,000 rows a year per source,
so the whole series of a campaign is read for the chart without thinning it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from kooch.store.db import Database
from kooch.store.engine import Store

Kind = Literal["channel", "service"]


@dataclass(frozen=True)
class Reading:
    """One member count: of a Telegram channel (``kind`` 'channel') or a destination ('service')."""

    kind: Kind
    source: str
    at: float
    members: int


@dataclass(frozen=True)
class CountSeries:
    """One source's readings in time order."""

    kind: Kind
    source: str
    times: tuple[float, ...]
    members: tuple[int, ...]

    @property
    def last(self) -> int | None:
        return self.members[-1] if self.members else None

    def at_or_after(self, t: float) -> int | None:
        """The count at ``t``: the last reading at or before it, else the first one after it
        (the watcher reads at start-up, so there is one near the announcement)."""
        value: int | None = None
        for when, members in zip(self.times, self.members, strict=True):
            if when > t:
                return members if value is None else value
            value = members
        return value


class ArrivalsStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def record(self, readings: Iterable[Reading]) -> None:
        """Store one round of readings in one transaction (a reading of the same source at the
        same second as one stored is the same reading)."""
        rows = [(r.kind, r.source, r.at, r.members) for r in readings]
        if not rows:
            return

        async def op(db: Database) -> None:
            await db.executemany(
                "INSERT INTO member_counts (kind, source, at, members) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (kind, source, at) DO UPDATE SET members = excluded.members",
                rows,
            )

        await self.store.write(op)

    async def series(
        self, kind: Kind, sources: Sequence[str], since: float | None = None
    ) -> list[CountSeries]:
        """Each source's readings from ``since`` (all of them when None), in ``sources`` order;
        a source never read is left out. The reading just before ``since`` is included, so a
        line starts at the count in force then."""
        out = []
        for source in sources:
            params: tuple[str | float, ...] = (kind, source)
            where = "kind = ? AND source = ?"
            if since is not None:
                where += (
                    " AND at >= COALESCE((SELECT MAX(at) FROM member_counts"
                    " WHERE kind = ? AND source = ? AND at <= ?), ?)"
                )
                params += (kind, source, since, since)
            rows = await self.store.reader.fetch(
                f"SELECT at, members FROM member_counts WHERE {where} ORDER BY at", params
            )
            if rows:
                out.append(
                    CountSeries(
                        kind, source, tuple(float(r[0]) for r in rows), tuple(int(r[1]) for r in rows)
                    )
                )
        return out
