"""SQL of the audit log (``audit``): who did what, when, and how it went.

An operator's action (or the bot's own) keeps the operator's id and the command as sent. A refused
attempt by someone who is not an operator keeps a pseudonym of them and the command's name, never
their id nor what they typed: a stranger's ``/stats my-home-address-…`` is not ours to keep.

An operator's /forget keeps their actions: the rows are the channels' record of who did what (an
approval, a post), so their id is replaced by a pseudonym of them (:data:`FORMER_OPERATOR` and a
keyed hash in its own scope), the same on every row, instead of the rows being deleted.

A thin class over :class:`~kooch.store.engine.Store` (its group commit and its clock). The /audit
listing that operators read is :mod:`kooch.insight.audit`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from kooch.i18n import strip_controls
from kooch.store.db import Database
from kooch.store.engine import Store

REFUSED = "refused: not an operator"
#: The pseudonym of a refused attempt whose author cannot be named (no pseudonym key).
UNKNOWN = "?"
#: How a forgotten operator's rows name them: this, then their pseudonym in the operators' scope
#: (never the strangers' one, so a later /forget of the same person as a stranger, which deletes
#: their refused attempts by pseudonym, cannot reach the actions they did as an operator).
FORMER_OPERATOR = "operator:"


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

    @property
    def former_operator(self) -> bool:
        """An operator's action, kept under their pseudonym after their /forget."""
        return self.pseudonym is not None and self.pseudonym.startswith(FORMER_OPERATOR)


class AuditLog:
    """The audit table. Cheap to create: holds the Store and how strangers are named.

    ``pseudonymize`` turns a user id into the pseudonym a refused attempt is kept under (None: no
    key, kept as :data:`UNKNOWN`); the composition root gives the audit scope's. ``operators``
    does the same for a forgotten operator's actions, in a scope of its own.
    """

    def __init__(
        self,
        store: Store,
        pseudonymize: Callable[[int], str | None] | None = None,
        operators: Callable[[int], str | None] | None = None,
    ) -> None:
        self.store = store
        self.pseudonymize = pseudonymize or (lambda _user_id: None)
        self.operators = operators or (lambda _user_id: None)

    def former_operator(self, user_id: int) -> str:
        """What a forgotten operator's rows say instead of their id: the same every time with the
        pseudonym key, so the audit still groups their actions, and not reversible without it.
        Without a key, a random code: one forget's rows still share it, nothing leads back."""
        return FORMER_OPERATOR + (self.operators(user_id) or secrets.token_hex(8))

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

    async def add_former(
        self, user_id: int, action: str, detail: str, result: str, at: float | None = None
    ) -> None:
        """An entry about someone already forgotten (their /forget itself), under their pseudonym."""
        at = self.store.clock.now() if at is None else at
        pseudonym = self.former_operator(user_id)

        async def op(db: Database) -> None:
            await db.execute(
                "INSERT INTO audit (at, pseudonym, action, detail, result) VALUES (?, ?, ?, ?, ?)",
                (at, pseudonym, action, detail, result),
            )

        await self.store.write(op)

    async def erase_user(self, db: Database, user_id: int) -> int:
        """``/forget``'s part here: their refused attempts (found by their pseudonym) are deleted;
        what they did as an operator stays, under a pseudonym (:func:`pseudonymize_operator`): an
        operator removed from the config is still accountable for what they did. Runs inside the
        /forget transaction."""
        refused = await db.execute(
            "DELETE FROM audit WHERE operator_id IS NULL AND pseudonym = ?", (self.pseudonymize(user_id),)
        )
        return refused + await pseudonymize_operator(db, user_id, self.former_operator(user_id))


async def pseudonymize_operator(db: Database, user_id: int, pseudonym: str) -> int:
    """Replace operator ``user_id`` by ``pseudonym`` in the audit: as the actor of their rows, and
    where another row's words name them (``requested by 4242`` in an approval's result). Returns
    how many rows changed. The rows stay; nothing in them says the id any more."""
    whole = re.compile(rf"(?<!\d){user_id}(?!\d)")
    pattern = f"%{user_id}%"
    named = 0
    for row in await db.fetch(
        "SELECT id, operator_id, detail, result FROM audit WHERE detail LIKE ? OR result LIKE ?",
        (pattern, pattern),
    ):
        detail, result = whole.sub(pseudonym, str(row[2])), whole.sub(pseudonym, str(row[3]))
        if (detail, result) != (row[2], row[3]):
            await db.execute("UPDATE audit SET detail = ?, result = ? WHERE id = ?", (detail, result, row[0]))
            named += row[1] != user_id  # their own rows are counted below
    return named + await db.execute(
        "UPDATE audit SET operator_id = NULL, pseudonym = ? WHERE operator_id = ?", (pseudonym, user_id)
    )


async def delete_audit_before(db: Database, cutoff: float, limit: int) -> int:
    """The retention job's part here: at most ``limit`` audit rows older than ``cutoff``."""
    return await db.execute(
        "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? LIMIT ?)", (cutoff, limit)
    )
