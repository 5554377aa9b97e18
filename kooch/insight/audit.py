"""The /audit listing: the operators' recent actions, in messages within Telegram's length limit."""

from __future__ import annotations

from collections.abc import Sequence

from kooch.operators.audit import AuditEntry
from kooch.telegram.limits import MAX_TEXT_LENGTH
from kooch.wording import format_time


def format_audit(entries: Sequence[AuditEntry], tz: str) -> list[str]:
    """Audit entries (oldest first) as messages within Telegram's length limit."""
    lines = []
    for e in entries:
        who = "system" if e.operator_id == 0 else str(e.operator_id)
        detail = e.detail if len(e.detail) <= 80 else e.detail[:79] + "…"
        lines.append(f"{format_time(e.at, tz)} · {who} · {e.action} · {detail} → {e.result}")
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
