"""SQL of the operators' pending confirmations (``pending_actions``): an action that waits for its
confirm button, kept in the database so that it is consumed exactly once, even across a restart.

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

    async def take(self, pending_id: int, kind: str, new_state: str) -> Pending | None:
        """Close an open pending action and return it; None if it was already taken or unknown.

        The UPDATE … WHERE state = 'open' makes a double-pressed confirm button act once.
        """

        async def op(db: Database) -> Pending | None:
            row = await db.fetchrow(
                "UPDATE pending_actions SET state = ? WHERE id = ? AND kind = ? AND state = 'open'"
                " RETURNING id, kind, operator_id, payload, created_at",
                (new_state, pending_id, kind),
            )
            if row is None:
                return None
            return Pending(int(row[0]), str(row[1]), int(row[2]), json.loads(row[3]), float(row[4]))

        result: Pending | None = await self.store.write(op)
        return result


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
