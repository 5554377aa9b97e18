"""SQL of the audit log (``audit``): who did what, when, and how it went.

An operator's action (or the bot's own) keeps the operator's id and the command as sent. A refused
attempt by someone who is not an operator keeps a pseudonym of them and the command's name, never
their id nor what they typed: a stranger's ``/stats my-home-address-…`` is not ours to keep.

A thin class over :class:`~kooch.store.engine.Store` (its group commit and its clock). The /audit
listing that operators read is :mod:`kooch.insight.audit`.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kooch.i18n import strip_controls
from kooch.store.db import Database
from kooch.store.engine import Store

REFUSED = "refused: not an operator"
#: The pseudonym of a refused attempt whose author cannot be named (no pseudonym key).
UNKNOWN = "?"


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


class AuditLog:
    """The audit table. Cheap to create: holds the Store and how strangers are named.

    ``pseudonymize`` turns a user id into the pseudonym a refused attempt is kept under (None: no
    key, kept as :data:`UNKNOWN`); the composition root gives the audit scope's.
    """

    def __init__(self, store: Store, pseudonymize: Callable[[int], str | None] | None = None) -> None:
        self.store = store
        self.pseudonymize = pseudonymize or (lambda _user_id: None)

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
            " kind, step, pending_id, requester_id, codes, ids, count FROM audit"
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

    async def erase_user(self, db: Database, user_id: int) -> int:
        """``/forget``'s part here: the user's own actions as an operator, and their refused
        attempts (found by their pseudonym). Runs inside the /forget transaction."""
        pseudonym = self.pseudonymize(user_id)
        # Another operator's decision on their request stays (it is the other's action), without
        # naming them.
        await db.execute("UPDATE audit SET requester_id = NULL WHERE requester_id = ?", (user_id,))
        return await db.execute(
            "DELETE FROM audit WHERE operator_id = ? OR pseudonym = ?", (user_id, pseudonym)
        )


def _record(row: Any) -> Record | None:
    kind, step, pending_id, requester_id, codes, ids, count = row
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
    )


async def delete_audit_before(db: Database, cutoff: float, limit: int) -> int:
    """The retention job's part here: at most ``limit`` audit rows older than ``cutoff``."""
    return await db.execute(
        "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < ? LIMIT ?)", (cutoff, limit)
    )
