"""Operator wording of four-eyes approval (English, as the other operator wording)."""

from __future__ import annotations

from kooch.operators.approval import Request
from kooch.wording import format_time

ACTIONS = {
    "announce": "post the announcement",
    "moved": "change the channels (/moved)",
    "schedule": "schedule the announcement",
}

APPROVE = "✅ Approve"
REFUSE = "✖️ Refuse"


def what(request: Request) -> str:
    channels = ", ".join(request.payload.get("channels", []))
    undo = " undo" if request.payload.get("undo") else ""
    return f"{ACTIONS.get(request.action, request.action)}{undo} ({channels})"


def approval_question(request: Request, requester: str, expires_at: float, tz: str, detail: str) -> str:
    """What every other operator gets, after the preview: who asks what, until when."""
    lines = [f"🔐 Approval needed (#{request.id}): {requester} asks to {what(request)}."]
    if detail:
        lines += ["", detail]
    lines += [
        "",
        f"A second operator must approve it; the request expires at {format_time(expires_at, tz)} ({tz}).",
    ]
    return "\n".join(lines)


def waiting(request_id: int, reached: int, expires_at: float, tz: str) -> str:
    """The requester's confirmation, once the request went out."""
    if reached == 0:
        return (
            f"🔐 Request #{request_id} needs a second operator's approval, but no other operator could "
            "be reached (each must have started the bot). It stays open until "
            f"{format_time(expires_at, tz)} ({tz})."
        )
    return (
        f"🔐 Request #{request_id} sent to {reached} other operator(s): it is done once one of them "
        f"approves (until {format_time(expires_at, tz)}, {tz})."
    )


OWN = "You asked for this: another operator must approve it."
STALE = "This request was already decided or has expired."
EXPIRED = "This request expired: the requester must ask again."


def approved_notice(request: Request, approver: int, report: str) -> str:
    return f"✅ Request #{request.id} ({what(request)}) was approved by {approver}:\n{report}"


def refused_notice(request: Request, operator: int) -> str:
    return f"✖️ Request #{request.id} ({what(request)}) was refused by {operator}: nothing was done."


def expired_notice(request: Request) -> str:
    return f"⌛ Request #{request.id} ({what(request)}) expired without a second operator's approval."
