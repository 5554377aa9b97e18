"""The /audit listing: the operators' recent actions, in messages within Telegram's length limit."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache

from kooch.i18n import (
    format_datetime,
    format_number,
    gettext,
    isolate,
    ltr,
    ngettext,
    paragraph,
    pgettext,
    to_digits,
)
from kooch.i18n.formats import zone_words
from kooch.operators.audit import FORMER_OPERATOR, AuditEntry, Record
from kooch.operators.forget.wording import former_operator
from kooch.telegram.limits import split


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


#: What the other commands record as their result (in English, as stored since the first round),
#: each said in the reader's words by /audit (context "audit"): the English words are the pattern
#: a stored result is matched against. The most specific first; a field may be a phrase itself.
RECORDED: tuple[Callable[[str], str], ...] = (
    lambda language: pgettext(language, "audit", "stale request #{id}"),
    lambda language: pgettext(language, "audit", "cancelled campaign #{id}"),
    lambda language: pgettext(language, "audit", "reminder {key} queued as campaign #{id}"),
    lambda language: pgettext(language, "audit", "reminder {key} cancelled"),
    lambda language: pgettext(language, "audit", "listed {campaigns} campaigns, {reminders} reminders"),
    lambda language: pgettext(language, "audit", "listed {n}"),
    lambda language: pgettext(language, "audit", "stats for {channels}"),
    lambda language: pgettext(language, "audit", "status for {channels}"),
    lambda language: pgettext(language, "audit", "all channels ({channels})"),
    lambda language: pgettext(language, "audit", "exported {acks} acks, {clicks} click rows ({who})"),
    lambda language: pgettext(language, "audit", "previewed {n}, {broken} broken link(s)"),
    lambda language: pgettext(language, "audit", "previewed {n}"),
    lambda language: pgettext(language, "audit", "cancelled #{id}"),
    lambda language: pgettext(language, "audit", "asked to confirm forget #{id}"),
    lambda language: pgettext(language, "audit", "cancelled: nothing deleted"),
    lambda language: pgettext(
        language,
        "audit",
        "deleted {acks} acknowledgements, {starts} starts, {rows} audit rows, {used} used confirmations",
    ),
    lambda language: pgettext(language, "audit", "deleted {acks} acknowledgements, {starts} starts"),
    lambda language: pgettext(language, "audit", "error: {error}"),
    lambda language: pgettext(language, "audit", "bad options"),
    lambda language: pgettext(language, "audit", "bad arguments"),
    lambda language: pgettext(language, "audit", "no text"),
    lambda language: pgettext(language, "audit", "too long"),
    lambda language: pgettext(language, "audit", "too large"),
    lambda language: pgettext(language, "audit", "unknown channel"),
    lambda language: pgettext(language, "audit", "unknown language"),
    lambda language: pgettext(language, "audit", "empty audience"),
    lambda language: pgettext(language, "audit", "already ended"),
    lambda language: pgettext(language, "audit", "stale reminder"),
    lambda language: pgettext(language, "audit", "stale confirmation"),
    lambda language: pgettext(language, "audit", "expired confirmation"),
    lambda language: pgettext(language, "audit", "stale cancel"),
    lambda language: pgettext(language, "audit", "stale"),
    lambda language: pgettext(language, "audit", "cancelled"),
    lambda language: pgettext(language, "audit", "none"),
    lambda language: pgettext(language, "audit", "refused: no pseudonym key"),
    lambda language: pgettext(language, "audit", "applied"),
    lambda language: pgettext(language, "audit", "restored"),
    lambda language: pgettext(language, "audit", "unchanged"),
    lambda language: pgettext(language, "audit", "invalid"),
    lambda language: pgettext(language, "audit", "invalid-again"),
    lambda language: pgettext(language, "audit", "unreadable"),
)


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], Callable[[str], str]], ...]:
    def pattern(template: str) -> re.Pattern[str]:
        parts = re.split(r"\{(\w+)\}", template)
        text = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
        return re.compile(f"^{text}$", re.DOTALL)

    return tuple((pattern(words("en")), words) for words in RECORDED)


def _matching(result: str) -> tuple[Callable[[str], str], dict[str, str]] | None:
    for pattern, words in _patterns():
        found = pattern.match(result)
        if found is not None:
            return words, found.groupdict()
    return None


def recorded_words(result: str, language: str) -> str:
    """A command's recorded result in the reader's words (numbers in their digits, a field that is
    itself a recorded phrase said too, channel keys and details left to right); a result no
    template matches stays as it was recorded, kept left to right."""
    matched = _matching(result)
    if matched is None:
        return isolate(result)
    words, fields = matched

    def field(value: str) -> str:
        if value.isdigit():
            return to_digits(value, language)
        return recorded_words(value, language) if _matching(value) else ltr(value)

    return words(language).format(**{k: field(v) for k, v in fields.items()})


#: A gated action's record in a reader's words (kooch.actions.registry.record_words).
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
            said = f"{ltr(e.action)} · {isolate(_detail(e, language))} → {recorded_words(e.result, language)}"
        lines.append(paragraph(f"{when} · {_who(e, language)} · {said}", language))
    if not lines:
        return [paragraph(gettext(language, "The audit log is empty."), language)]
    header = ngettext(
        language,
        "🧾 Last {n} operator action, oldest first ({tz}):",
        "🧾 Last {n} operator actions, oldest first ({tz}):",
        len(lines),
    ).format(n=format_number(len(lines), language), tz=zone_words(tz, language))
    return split("\n".join([paragraph(header, language), *lines]))
