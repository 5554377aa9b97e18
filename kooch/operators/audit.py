"""SQL of the audit log (``audit``): who did what, when, and how it went.

A thin class over :class:`~kooch.store.engine.Store` (its group commit and its clock). The /audit
listing that operators read is :mod:`kooch.insight.audit`.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from kooch.store.engine import Store


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    #: 0: the bot itself (the retention job, a scheduled post of no one).
    operator_id: int
    action: str
    detail: str
    result: str


class AuditLog:
    """The audit table. Cheap to create: holds only the Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def add(
        self, operator_id: int, action: str, detail: str, result: str, at: float | None = None
    ) -> None:
        at = self.store.clock.now() if at is None else at

        async def op(db: aiosqlite.Connection) -> None:
            await db.execute(
                "INSERT INTO audit (at, operator_id, action, detail, result) VALUES (?, ?, ?, ?, ?)",
                (at, operator_id, action, detail, result),
            )

        await self.store.write(op)

    async def recent(self, limit: int = 20) -> list[AuditEntry]:
        """The last ``limit`` entries, oldest first (the order they happened in)."""
        async with self.store.reader.execute(
            "SELECT id, at, operator_id, action, detail, result FROM audit ORDER BY id DESC LIMIT ?",
            (limit,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            AuditEntry(int(r[0]), float(r[1]), int(r[2]), str(r[3]), str(r[4]), str(r[5]))
            for r in reversed(list(rows))
        ]
