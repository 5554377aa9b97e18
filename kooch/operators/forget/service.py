"""An operator's /forget: asked to confirm first, then everything about them as a person deleted
while what they did on the channels stays accountable.

A subscriber's /forget deletes at once (nothing of theirs matters to anyone else). An operator's
actions are the channels' record: an approval, a post, a refused request. So their /forget asks
first (a pending action of kind :data:`KIND`, taken once, by them only), and on confirmation:

- their requests still waiting for another operator's approval are **cancelled**: nobody may
  approve, in the name of someone who has left, an action they can no longer answer for, and the
  approvers are told (an Approve button under a cancelled request answers "already decided");
- their rows in the audit stay, their id replaced by a stable pseudonym
  (:meth:`~kooch.operators.audit.AuditLog.former_operator`), so /audit still groups their actions;
- the rest goes as for a subscriber (``SubscriberStore.forget_user``);
- the other operators are told, by the name Telegram gave in the confirming tap (used for that
  message, never stored).

Plain functions over the repositories; the handler does the Telegram side.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kooch.operators.approval.service import KIND as APPROVAL
from kooch.operators.audit import AuditLog
from kooch.operators.pending import Pending, PendingActions

#: The pending action behind the confirmation's buttons (``forget:confirm:<id>``).
KIND = "forget"
CONFIRM_PREFIX = f"{KIND}:confirm:"
CANCEL_PREFIX = f"{KIND}:cancel:"


@dataclass(frozen=True)
class Cancelled:
    """A request of theirs that waited for approval, cancelled by their /forget."""

    id: int
    #: ``announce``, ``moved``, ``schedule``…: the command asked for.
    action: str


@dataclass(frozen=True)
class Forgotten:
    #: Their requests that no other operator may approve now.
    cancelled: tuple[Cancelled, ...]
    #: Rows deleted or pseudonymized (0: nothing was stored about them).
    rows: int


def waiting_requests(pending: list[Pending]) -> tuple[Cancelled, ...]:
    """Of an operator's open pending actions, the requests other operators were asked to approve
    (their own unconfirmed questions concern nobody else)."""
    return tuple(Cancelled(p.id, str(p.payload.get("action", "?"))) for p in pending if p.kind == APPROVAL)


async def ask(pending: PendingActions, operator_id: int) -> tuple[int, tuple[Cancelled, ...]]:
    """Open the confirmation: its id (for the buttons) and the requests it would cancel."""
    confirmation = await pending.create(KIND, operator_id, {})
    return confirmation, waiting_requests(await pending.open_of(operator_id))


class Taken(enum.Enum):
    DONE = "done"
    #: Not theirs, already used or cancelled, or unknown.
    STALE = "stale"
    #: Older than the confirmation's time to live: closed, to be asked again.
    EXPIRED = "expired"


async def take(
    pending: PendingActions, confirmation: int, operator_id: int, state: str, *, not_before: float
) -> Taken:
    """Close the confirmation once, as ``state``, if it is ``operator_id``'s own (a button's data
    can be forged: nobody confirms another's forget) and was opened at ``not_before`` or later."""
    found = await pending.get(confirmation, KIND)
    if found is None or found.operator_id != operator_id:
        return Taken.STALE
    if found.created_at < not_before:
        await pending.take(confirmation, KIND, "expired")
        return Taken.EXPIRED
    return Taken.DONE if await pending.take(confirmation, KIND, state) is not None else Taken.STALE


async def forget_operator(
    forget_user: Callable[[int], Awaitable[int]], pending: PendingActions, audit: AuditLog, operator_id: int
) -> Forgotten:
    """Do it: cancel their waiting requests, pseudonymize their audit rows, delete the rest (with
    ``forget_user``, a subscriber's /forget, whose erasers include the audit's and the pending
    actions'), and audit the forget itself under the pseudonym."""
    cancelled = waiting_requests(await pending.open_of(operator_id))
    rows = await forget_user(operator_id)  # their pending actions go with the rest
    listed = ", ".join(f"#{c.id} ({c.action})" for c in cancelled)
    await audit.add_former(
        operator_id,
        "forget",
        "/forget",
        "forgotten: actions kept under this pseudonym" + (f"; cancelled {listed}" if listed else ""),
    )
    return Forgotten(cancelled, rows)
