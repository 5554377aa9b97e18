"""The /audit listing: the operators' recent actions, in messages within Telegram's length limit."""

from __future__ import annotations

from collections.abc import Sequence

from kooch.operators.audit import AuditEntry
from kooch.telegram.limits import MAX_TEXT_LENGTH
from kooch.wording import format_time


def _who(entry: AuditEntry) -> str:
    if entry.operator_id is None:  # someone who is not an operator: a pseudonym, not their id
        return f"user:{entry.pseudonym}"
    return "system" if entry.operator_id == 0 else str(entry.operator_id)


def _detail(entry: AuditEntry) -> str:
    if entry.operator_id is None:  # a refused attempt keeps the command's name (the action) only
        return "(text not kept)"
    return entry.detail if len(entry.detail) <= 80 else entry.detail[:79] + "…"


def format_audit(entries: Sequence[AuditEntry], tz: str) -> list[str]:
    """Audit entries (oldest first) as messages within Telegram's length limit."""
    lines = []
    for e in entries:
        lines.append(f"{format_time(e.at, tz)} · {_who(e)} · {e.action} · {_detail(e)} → {e.result}")
    if not lines:
        return ["The audit log is empty."]
    header = f"🧾 Last {len(lines)} operator actions, oldest first ({tz}):"
    messages: list[str] = []
    current = header
    for line in lines:
        if len(current) + 1 + len(line) > MAX_TEXT_LENGTH:
            messages.append(current)
            current = line
        else:
            current += "\n" + line
    messages.append(current)
    return messages
