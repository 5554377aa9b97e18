"""The /audit listing: the operators' recent actions, in messages within Telegram's length limit."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kooch.i18n import format_datetime, format_number, gettext, isolate, ltr, ngettext, paragraph, to_digits
from kooch.operators.audit import FORMER_OPERATOR, AuditEntry, Record
from kooch.operators.forget_wording import former_operator
from kooch.telegram.limits import MAX_TEXT_LENGTH
from kooch.wording import zone_words


def _who(entry: AuditEntry, language: str) -> str:
    if entry.former_operator:  # an operator who asked to be forgotten: their code, not their id
        return former_operator(str(entry.pseudonym).removeprefix(FORMER_OPERATOR), language)
    if entry.operator_id is None:  # someone who is not an operator: a pseudonym, not their id
        return ltr(f"user:{entry.pseudonym}")
    if entry.operator_id == 0:
        return gettext(language, "system")
    return ltr(to_digits(str(entry.operator_id), language))


def _detail(entry: AuditEntry, language: str) -> str:
    # A refused attempt keeps the command's name (the action) only.
    if entry.operator_id is None and not entry.former_operator:
        return gettext(language, "(text not kept)")
    return entry.detail if len(entry.detail) <= 80 else entry.detail[:79] + "…"


#: A gated action's record in a reader's words (kooch.actions.wording.record_words).
RecordWords = Callable[[Record, str], str]


def format_audit(
    entries: Sequence[AuditEntry], tz: str, language: str = "en", words: RecordWords | None = None
) -> list[str]:
    """Audit entries (oldest first) as messages within Telegram's length limit, each line set in
    the reader's direction.

    The header is in the reader's language, the date in their calendar; a gated action's row (a
    typed record) is said in the reader's words by ``words``; the other rows (the command as sent,
    its recorded result) stay as they were recorded, kept left to right inside the line.
    """
    lines = []
    for e in entries:
        when = ltr(format_datetime(e.at, tz, language, numeric=True))
        if e.record is not None and words is not None:
            said = words(e.record, language)
        else:
            said = f"{ltr(e.action)} · {isolate(_detail(e, language))} → {isolate(e.result)}"
        lines.append(paragraph(f"{when} · {_who(e, language)} · {said}", language))
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
