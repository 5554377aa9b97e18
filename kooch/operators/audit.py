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

import enum
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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


class Step(enum.StrEnum):
    """Where a gated action's row stands in its life (the audit's ``step`` column)."""

    #: The operator was shown the preview and asked to confirm.
    ASKED = "asked"
    #: Confirmed, and sent to the other operators for approval.
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"
    #: The requester tapped Approve on their own request: nothing happened.
    OWN = "own"
    EXPIRED = "expired"
    #: A button of a request or confirmation already decided, used or cancelled.
    STALE = "stale"
    #: Confirmed and done (no approval needed).
    DONE = "done"
    CANCELLED = "cancelled"
    #: A scheduled time that passed before the confirmation.
    TOO_LATE = "too-late"
    #: Nothing to confirm: the operator was told why (the codes say it: ``unknown-channel``…).
    ANSWERED = "answered"
    #: A confirm button pressed after the confirmation expired.
    CONFIRM_EXPIRED = "confirm-expired"


@dataclass(frozen=True)
class Record:
    """A gated action's audit row as data: which action, which step, which request, and the
    outcome's codes and ids; /audit words it for each reader (:mod:`kooch.insight.audit`).

    The actor is the row's ``operator_id``; :attr:`requester_id`, when an approval step is
    another operator's decision on their request, is a column of its own too (never inside a
    JSON blob), so that /forget can replace either by a pseudonym with an UPDATE."""

    kind: str
    step: Step
    pending_id: int | None = None
    requester_id: int | None = None
    #: What the outcome was, one code per channel or part (``posted``, ``refused``, ``queued``…).
    codes: tuple[str, ...] = ()
    #: The outcome's ids: messages posted, scheduled posts, the campaign.
    ids: tuple[int, ...] = ()
    #: A count the step carries: the operators a request reached, a campaign's recipients.
    count: int | None = None
    #: The requester once they were forgotten as an operator (``operator:<code>``, as the
    #: ``pseudonym`` of their own rows): :attr:`requester_id` is NULL then. Set by /forget only.
    requester_pseudonym: str | None = None

    def summary(self) -> str:
        """The ``result`` column: the record in codes (for exports and older readers), no
        person's id in it."""
        parts = [f"{self.kind} {self.step}"]
        if self.pending_id is not None:
            parts.append(f"#{self.pending_id}")
        if self.codes:
            parts.append(" ".join(self.codes))
        if self.ids:
            parts.append("ids " + ",".join(str(i) for i in self.ids))
        if self.count is not None:
            parts.append(f"n={self.count}")
        return " ".join(parts)


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
    #: A gated action's row, as data (None for the other commands' rows and older ones).
    record: Record | None = None

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
        self,
        operator_id: int,
        action: str,
        detail: str,
        result: str | Record,
        at: float | None = None,
    ) -> None:
        """An operator's action (0: the bot's own), with the command as sent, and its result: a
        :class:`Record` for a gated action's step, else words.

        Stored as plain text, without the direction controls of the reply it may come from: the
        log is read in any language (and exported), and /audit sets it for its reader.
        """
        at = self.store.clock.now() if at is None else at
        record = result if isinstance(result, Record) else None
        text = result.summary() if isinstance(result, Record) else result
        detail, text = strip_controls(detail), strip_controls(text)
        typed: tuple[object, ...] = (None,) * 7
        if record is not None:
            typed = (
                record.kind,
                str(record.step),
                record.pending_id,
                record.requester_id,
                json.dumps(list(record.codes)),
                json.dumps(list(record.ids)),
                record.count,
            )

        async def op(db: Database) -> None:
            await db.execute(
                "INSERT INTO audit (at, operator_id, action, detail, result,"
                " kind, step, pending_id, requester_id, codes, ids, count)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (at, operator_id, action, detail, text, *typed),
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
            "SELECT id, at, operator_id, action, detail, result, pseudonym,"
            " kind, step, pending_id, requester_id, codes, ids, count, requester_pseudonym FROM audit"
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
                _record(r[7:]),
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
    """Replace operator ``user_id`` by ``pseudonym`` in the audit: as the actor of their rows, as
    the requester another operator's decision was about (``requester_id`` becomes NULL and
    ``requester_pseudonym`` says the same pseudonym), and where another row's words name them
    (``requested by 4242`` in an older approval's result). Returns how many rows changed. The rows
    stay; nothing in them says the id any more."""
    whole = re.compile(rf"(?<!\d){user_id}(?!\d)")
    pattern = f"%{user_id}%"
    named = 0
    for row in await db.fetch(
        "SELECT id, operator_id, detail, result, requester_id FROM audit"
        " WHERE detail LIKE ? OR result LIKE ?",
        (pattern, pattern),
    ):
        detail, result = whole.sub(pseudonym, str(row[2])), whole.sub(pseudonym, str(row[3]))
        if (detail, result) != (row[2], row[3]):
            await db.execute("UPDATE audit SET detail = ?, result = ? WHERE id = ?", (detail, result, row[0]))
            # Their own rows and the requests they made are counted below.
            named += row[1] != user_id and row[4] != user_id
    # Another operator's decision on their request: the decision stays the other's, their part
    # in it is said by the pseudonym (their own rows are counted as theirs below).
    requested = await db.execute(
        "UPDATE audit SET requester_id = NULL, requester_pseudonym = ?"
        " WHERE requester_id = ? AND (operator_id IS NULL OR operator_id <> ?)",
        (pseudonym, user_id, user_id),
    )
    await db.execute(
        "UPDATE audit SET requester_id = NULL, requester_pseudonym = ? WHERE requester_id = ?",
        (pseudonym, user_id),
    )
    return (
        named
        + requested
        + await db.execute(
            "UPDATE audit SET operator_id = NULL, pseudonym = ? WHERE operator_id = ?", (pseudonym, user_id)
        )
    )


def _record(row: Any) -> Record | None:
    kind, step, pending_id, requester_id, codes, ids, count, requester_pseudonym = row
    if kind is None or step is None:
        return None
    return Record(
        str(kind),
        Step(str(step)),
        None if pending_id is None else int(pending_id),
        None if requester_id is None else int(requester_id),
        tuple(str(c) for c in json.loads(codes or "[]")),
        tuple(int(i) for i in json.loads(ids or "[]")),
        None if count is None else int(count),
        None if requester_pseudonym is None else str(requester_pseudonym),
    )


async def delete_audit_before(db: Database, cutoff: float, limit: int) -> int:
    """The retention job's part here: at most ``limit`` audit rows older than ``cutoff``."""
    return await db.execute(
        "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? LIMIT ?)", (cutoff, limit)
    )
