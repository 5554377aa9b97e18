"""SQL of the link checks (``link_checks``, migration 0009): the last verdict of each URL.

:meth:`LinkStore.record` stores a round of verdicts and returns what changed, in the same
transaction: what the operators are told is exactly what was stored, once, whichever process
(or restart) ran the round.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kooch.destinations.links import Kind, Link, LinkResult, Verdict
from kooch.store.db import Database
from kooch.store.engine import Store


@dataclass(frozen=True)
class StoredCheck:
    result: LinkResult
    checked_at: float
    changed_at: float


@dataclass(frozen=True)
class Change:
    """A link whose verdict turned from working to broken, or back."""

    result: LinkResult
    #: The verdict before (None: never checked before, and broken now).
    before: Verdict | None

    @property
    def recovered(self) -> bool:
        return self.result.verdict.ok


def _verdict(kind: str, status: int | None, final_url: str | None, detail: str) -> Verdict:
    return Verdict(Kind(kind), None if status is None else int(status), final_url, detail)


class LinkStore:
    """The link checks' table. Cheap to create: holds only the Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def record(self, results: Sequence[LinkResult], at: float | None = None) -> list[Change]:
        """Store a round's verdicts; returns the links that broke or recovered since the last round.

        A link seen for the first time is a change only when it is broken (a working one is what
        everyone expects). A verdict that changes from one kind of broken to another (a 404
        becoming a timeout) is stored but is no change: it was broken and still is."""
        now = self.store.clock.now() if at is None else at

        async def op(db: Database) -> list[Change]:
            changes = []
            for result in results:
                link, verdict = result.link, result.verdict
                row = await db.fetchrow(
                    "SELECT kind, status, final_url, detail, changed_at FROM link_checks WHERE url = ?",
                    (link.url,),
                )
                before = None if row is None else _verdict(row[0], row[1], row[2], row[3])
                changed = (before is None and not verdict.ok) or (
                    before is not None and before.ok != verdict.ok
                )
                changed_at = now if row is None or changed else float(row[4])
                if before is None:
                    await db.execute(
                        "INSERT INTO link_checks (url, service, field, kind, status, final_url, detail,"
                        " checked_at, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            link.url,
                            link.service,
                            link.field,
                            verdict.kind.value,
                            verdict.status,
                            verdict.final_url,
                            verdict.detail,
                            now,
                            changed_at,
                        ),
                    )
                else:
                    await db.execute(
                        "UPDATE link_checks SET service = ?, field = ?, kind = ?, status = ?, final_url = ?,"
                        " detail = ?, checked_at = ?, changed_at = ? WHERE url = ?",
                        (
                            link.service,
                            link.field,
                            verdict.kind.value,
                            verdict.status,
                            verdict.final_url,
                            verdict.detail,
                            now,
                            changed_at,
                            link.url,
                        ),
                    )
                if changed:
                    changes.append(Change(result, before))
            return changes

        result: list[Change] = await self.store.write(op)
        return result

    async def last(self) -> list[StoredCheck]:
        """Every stored verdict, in no particular order (callers order them by the config)."""
        rows = await self.store.reader.fetch(
            "SELECT url, service, field, kind, status, final_url, detail, checked_at, changed_at"
            " FROM link_checks"
        )
        return [
            StoredCheck(
                LinkResult(Link(str(r[1]), str(r[2]), str(r[0])), _verdict(r[3], r[4], r[5], r[6])),
                float(r[7]),
                float(r[8]),
            )
            for r in rows
        ]

    async def last_checked_at(self) -> float | None:
        value = await self.store.reader.fetchval("SELECT MAX(checked_at) FROM link_checks")
        return None if value is None else float(value)
