"""The /audit listing: the operators' recent actions, in messages within Telegram's length limit."""

from __future__ import annotations

from collections.abc import Sequence

from kooch.i18n import format_datetime, format_number, gettext, ngettext, paragraph
from kooch.operators.audit import FORMER_OPERATOR, AuditEntry
from kooch.operators.forget_wording import former_operator
from kooch.telegram.limits import MAX_TEXT_LENGTH
from kooch.wording import zone_words


def _who(entry: AuditEntry, language: str) -> str:
    if entry.former_operator:  # an operator who asked to be forgotten: their code, not their id
        return former_operator(str(entry.pseudonym).removeprefix(FORMER_OPERATOR), language)
    if entry.operator_id is None:  # someone who is not an operator: a pseudonym, not their id
        return f"user:{entry.pseudonym}"
    return gettext(language, "system") if entry.operator_id == 0 else str(entry.operator_id)


def _detail(entry: AuditEntry, language: str) -> str:
    # A refused attempt keeps the command's name (the action) only.
    if entry.operator_id is None and not entry.former_operator:
        return gettext(language, "(text not kept)")
    return entry.detail if len(entry.detail) <= 80 else entry.detail[:79] + "…"


def format_audit(entries: Sequence[AuditEntry], tz: str, language: str = "en") -> list[str]:
    """Audit entries (oldest first) as messages within Telegram's length limit.

    The header is in the reader's language, the date in their calendar; the rows themselves
    (the command as sent, its recorded result) stay as they were recorded.
    """
    lines = []
    for e in entries:
        when = format_datetime(e.at, tz, language, numeric=True)
        lines.append(f"{when} · {_who(e, language)} · {e.action} · {_detail(e, language)} → {e.result}")
    if not lines:
        return [paragraph(gettext(language, "The audit log is empty."), language)]
    header = ngettext(
        language,
        "🧾 Last {n} operator action, oldest first ({tz}):",
        "🧾 Last {n} operator actions, oldest first ({tz}):",
        len(lines),
    ).format(n=format_number(len(lines), language), tz=zone_words(tz, language))
    header = paragraph(header, language)
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
