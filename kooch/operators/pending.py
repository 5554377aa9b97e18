"""SQL of the operators' pending confirmations (``pending_actions``): an action that waits for its
confirm button, kept in the database so that it is consumed exactly once, even across a restart.

An id is never given twice (migration 0014: AUTOINCREMENT on SQLite, an identity sequence on
PostgreSQL): a row deleted by /forget or by the retention job leaves its number used, so the audit's
"#16" names one action only.

A thin class over :class:`~kooch.store.engine.Store` (its group commit and its clock).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from kooch.store.db import Database
from kooch.store.engine import Store


@dataclass(frozen=True)
class Pending:
    id: int
    kind: str
    operator_id: int
    payload: dict[str, Any]
    created_at: float


class PendingActions:
    """Pending confirmations. Cheap to create: holds only the Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def create(
        self, kind: str, operator_id: int, payload: dict[str, Any], at: float | None = None
    ) -> int:
        """Open a pending action; returns its id (what the confirm button carries)."""
        at = self.store.clock.now() if at is None else at

        async def op(db: Database) -> int:
            return int(
                await db.fetchval(
                    "INSERT INTO pending_actions (kind, operator_id, payload, created_at)"
                    " VALUES (?, ?, ?, ?) RETURNING id",
                    (kind, operator_id, json.dumps(payload), at),
                )
            )

        return int(await self.store.write(op))

    async def get(self, pending_id: int, kind: str) -> Pending | None:
        """The open pending action ``pending_id`` of ``kind``, left open; None if closed or unknown."""
        row = await self.store.reader.fetchrow(
            "SELECT id, kind, operator_id, payload, created_at FROM pending_actions"
            " WHERE id = ? AND kind = ? AND state = 'open'",
            (pending_id, kind),
        )
        return None if row is None else _pending(row)

    async def open_of(self, operator_id: int) -> list[Pending]:
        """The actions ``operator_id`` opened that still wait, oldest first."""
        rows = await self.store.reader.fetch(
            "SELECT id, kind, operator_id, payload, created_at FROM pending_actions"
            " WHERE operator_id = ? AND state = 'open' ORDER BY id",
            (operator_id,),
        )
        return [_pending(r) for r in rows]

    async def take(
        self, pending_id: int, kind: str, new_state: str, *, not_by: int | None = None
    ) -> Pending | None:
        """Close an open pending action and return it; None if it was already taken or unknown
        (or, with ``not_by``, opened by that operator: nobody approves their own request).

        The UPDATE … WHERE state = 'open' makes a double-pressed confirm button act once.
        """

        async def op(db: Database) -> Pending | None:
            row = await db.fetchrow(
                "UPDATE pending_actions SET state = ? WHERE id = ? AND kind = ? AND state = 'open'"
                " AND operator_id <> ? RETURNING id, kind, operator_id, payload, created_at",
                (new_state, pending_id, kind, -1 if not_by is None else not_by),
            )
            return None if row is None else _pending(row)

        result: Pending | None = await self.store.write(op)
        return result

    async def expire(self, kind: str, created_before: float, limit: int = 100) -> list[Pending]:
        """Close, as ``expired``, the open actions of ``kind`` created before ``created_before``;
        returns them. Atomic per row: of two processes sweeping at once, each gets its own."""

        async def op(db: Database) -> list[Pending]:
            rows = await db.fetch(
                "UPDATE pending_actions SET state = 'expired' WHERE id IN (SELECT id FROM pending_actions"
                " WHERE kind = ? AND state = 'open' AND created_at < ? ORDER BY id LIMIT ?)"
                " RETURNING id, kind, operator_id, payload, created_at",
                (kind, created_before, limit),
            )
            return [_pending(r) for r in rows]

        result: list[Pending] = await self.store.write(op)
        return result


def _pending(row: Any) -> Pending:
    return Pending(int(row[0]), str(row[1]), int(row[2]), json.loads(row[3]), float(row[4]))


async def erase_user(db: Database, user_id: int) -> int:
    """``/forget``'s part here: the pending confirmations an operator opened, with their payloads.
    Runs inside the /forget transaction."""
    return await db.execute("DELETE FROM pending_actions WHERE operator_id = ?", (user_id,))


async def delete_closed_before(db: Database, cutoff: float, limit: int) -> int:
    """The retention job's part here: at most ``limit`` confirmations created before ``cutoff``
    and already used or cancelled (an open one waits for its button)."""
    return await db.execute(
        "DELETE FROM pending_actions WHERE id IN"
        " (SELECT id FROM pending_actions WHERE created_at < ? AND state <> 'open' LIMIT ?)",
        (cutoff, limit),
    )
