"""Four-eyes approval (``approval: 2``): an operator's gated action (/announce, /moved, a
schedule, /remind) waits for a second, different operator's approval.

A request is a pending action of kind :data:`KIND` (``pending_actions``), opened by the requester,
carrying the action and its payload: all its state is in the database, so any process of the bot
can decide it and a restart loses nothing. Deciding is one atomic state change, so of two
approvers tapping at once one wins; the requester's own tap never closes it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from kooch.operators.pending import Pending, PendingActions

KIND = "approval"


class Decision(enum.StrEnum):
    APPROVED = "approved"
    REFUSED = "refused"
    #: The requester tapped their own request: nothing happens, it stays open for another.
    OWN = "own request"
    EXPIRED = "expired"
    #: Already decided (or expired, or unknown).
    STALE = "stale"


@dataclass(frozen=True)
class Request:
    id: int
    #: The gated action's name (:mod:`kooch.actions`).
    action: str
    requester: int
    #: The action's own pending payload (channels, …).
    payload: dict[str, Any]
    created_at: float

    @classmethod
    def of(cls, pending: Pending) -> Request:
        return cls(
            pending.id,
            str(pending.payload["action"]),
            pending.operator_id,
            dict(pending.payload["payload"]),
            pending.created_at,
        )


async def open_request(pending: PendingActions, action: str, requester: int, payload: dict[str, Any]) -> int:
    """Open a request for ``action``; returns its id (what the Approve / Refuse buttons carry)."""
    return await pending.create(KIND, requester, {"action": action, "payload": payload})


async def decide(
    pending: PendingActions, request_id: int, operator_id: int, *, approve: bool, now: float, ttl: float
) -> tuple[Decision, Request | None]:
    """``operator_id`` approves (or refuses) request ``request_id``: what came of it, and the
    request when it was found."""
    found = await pending.get(request_id, KIND)
    if found is None:
        return Decision.STALE, None
    request = Request.of(found)
    if found.operator_id == operator_id:
        return Decision.OWN, request
    if now - found.created_at > ttl:
        taken = await pending.take(request_id, KIND, "expired")
        return (Decision.EXPIRED if taken is not None else Decision.STALE), request
    state = "done" if approve else "refused"
    taken = await pending.take(request_id, KIND, state, not_by=operator_id)
    if taken is None:
        return Decision.STALE, request
    return (Decision.APPROVED if approve else Decision.REFUSED), Request.of(taken)


async def expire_requests(pending: PendingActions, now: float, ttl: float) -> list[Request]:
    """Close the requests nobody decided within ``ttl``; returns them (to audit and tell)."""
    return [Request.of(p) for p in await pending.expire(KIND, now - ttl)]
