"""SQL of the audit log (``audit``): who did what, when, and how it went.

An operator's action (or the bot's own) keeps the operator's id and the command as sent. A refused
attempt by someone who is not an operator keeps a pseudonym of them and the command's name, never
their id nor what they typed: a stranger's ``/stats my-home-address-…`` is not ours to keep.

A thin class over :class:`~kooch.store.engine.Store` (its group commit and its clock). The /audit
listing that operators read is :mod:`kooch.insight.audit`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kooch.i18n import strip_controls
from kooch.store.db import Database
from kooch.store.engine import Store

REFUSED = "refused: not an operator"
#: The pseudonym of a refused attempt whose author cannot be named (no pseudonym key).
UNKNOWN = "?"


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    #: 0: the bot itself (the retention job, a scheduled post of no one); None: a refused attempt
    #: by someone who is not an operator, known by :attr:`pseudonym` only.
    operator_id: int | None
    action: str
    detail: str
    result: str
    pseudonym: str | None = None


class AuditLog:
    """The audit table. Cheap to create: holds the Store and how strangers are named.

    ``pseudonymize`` turns a user id into the pseudonym a refused attempt is kept under (None: no
    key, kept as :data:`UNKNOWN`); the composition root gives the audit scope's.
    """

    def __init__(self, store: Store, pseudonymize: Callable[[int], str | None] | None = None) -> None:
        self.store = store
        self.pseudonymize = pseudonymize or (lambda _user_id: None)

    async def add(
        self, operator_id: int, action: str, detail: str, result: str, at: float | None = None
    ) -> None:
        """An operator's action (0: the bot's own), with the command as sent.

        Stored as plain text, without the direction controls of the reply it may come from: the
        log is read in any language (and exported), and /audit sets it for its reader.
        """
        at = self.store.clock.now() if at is None else at
        detail, result = strip_controls(detail), strip_controls(result)

        async def op(db: Database) -> None:
            await db.execute(
                "INSERT INTO audit (at, operator_id, action, detail, result) VALUES (?, ?, ?, ?, ?)",
                (at, operator_id, action, detail, result),
            )

        await self.store.write(op)

    async def refused(self, user_id: int, action: str, at: float | None = None) -> None:
        """Someone who is not an operator tried ``action``: their pseudonym and the command name."""
        at = self.store.clock.now() if at is None else at
        pseudonym = self.pseudonymize(user_id) or UNKNOWN

        async def op(db: Database) -> None:
            await db.execute(
                "INSERT INTO audit (at, pseudonym, action, result) VALUES (?, ?, ?, ?)",
                (at, pseudonym, action, REFUSED),
            )

        await self.store.write(op)

    async def recent(self, limit: int = 20) -> list[AuditEntry]:
        """The last ``limit`` entries, oldest first (the order they happened in)."""
        rows = await self.store.reader.fetch(
            "SELECT id, at, operator_id, action, detail, result, pseudonym FROM audit"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            AuditEntry(
                int(r[0]),
                float(r[1]),
                None if r[2] is None else int(r[2]),
                str(r[3]),
                str(r[4]),
                str(r[5]),
                None if r[6] is None else str(r[6]),
            )
            for r in reversed(rows)
        ]

    async def erase_user(self, db: Database, user_id: int) -> int:
        """``/forget``'s part here: the user's own actions as an operator, and their refused
        attempts (found by their pseudonym). Runs inside the /forget transaction."""
        pseudonym = self.pseudonymize(user_id)
        return await db.execute(
            "DELETE FROM audit WHERE operator_id = ? OR pseudonym = ?", (user_id, pseudonym)
        )


async def delete_audit_before(db: Database, cutoff: float, limit: int) -> int:
    """The retention job's part here: at most ``limit`` audit rows older than ``cutoff``."""
    return await db.execute(
        "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? LIMIT ?)", (cutoff, limit)
    )
