"""What operators read about arrivals, in their language (the words come from the catalogs): the
alerts when a count cannot be read and when it can again, and the /stats lines. Plain functions
of plain data.
"""

from __future__ import annotations

from functools import partial

from kooch.i18n import format_number, gettext, isolate, ngettext, paragraph, to_digits
from kooch.i18n.formats import every


def source_name(kind: str, name: str, chat: str, language: str = "en") -> str:
    """``Bale (@kooch_bale)`` for a destination, ``the Telegram channel @kooch_demo`` for a channel."""
    if kind == "service":
        return gettext(language, "{service} ({chat})").format(service=name, chat=isolate(chat))
    return gettext(language, "the Telegram channel {chat}").format(chat=isolate(chat))


def failing_alert(what: str, reason: str, interval_s: float, language: str = "en") -> str:
    _ = partial(gettext, language)
    lines = [
        _("⚠️ Arrivals: the member count of {what} cannot be read: {reason}.").format(
            what=what, reason=isolate(reason)
        ),
        _(
            "Kooch keeps trying {every} and tells you once it answers again; "
            "/stats shows the last count read."
        ).format(every=every(interval_s, language)),
    ]
    return "\n".join(paragraph(line, language) for line in lines)


def _members(n: int, language: str) -> str:
    return ngettext(language, "{n} member", "{n} members", n).format(n=format_number(n, language))


def recovered_alert(what: str, members: int, language: str = "en") -> str:
    text = gettext(language, "✅ Arrivals: {what} answers again: {members}.").format(
        what=what, members=_members(members, language)
    )
    return paragraph(text, language)


def signed(n: int, language: str = "en") -> str:
    """``+12``, ``−5`` (a real minus sign), ``±0``."""
    digits = format_number(abs(n), language)
    return f"+{digits}" if n > 0 else (f"−{digits}" if n < 0 else "±" + to_digits("0", language))


def arrivals_heading(language: str = "en") -> str:
    return paragraph(gettext(language, "🛬 Arrivals: members of each destination channel"), language)


def destination_line(
    name: str,
    where: str,
    now: int | None,
    at_announcement: int | None,
    error: str | None,
    language: str = "en",
) -> str:
    """One destination in /stats: members now and the change since the announcement."""
    _ = partial(gettext, language)
    service = _("{service} ({chat})").format(service=name, chat=where)
    reason = isolate(error) if error else ""
    if now is None:
        if error:
            line = _("• {service}: no count yet ({reason})").format(service=service, reason=reason)
        else:
            line = _("• {service}: no count yet").format(service=service)
        return line
    line = _("• {service}: {members}").format(service=service, members=_members(now, language))
    if at_announcement is not None:
        line += " " + _("({change})").format(change=channel_change(now, at_announcement, language))
    if error:
        line += _("; last read failed: {reason}").format(reason=reason)
    return line  # /stats puts each line in the reader's direction


def channel_change(now: int, at_announcement: int, language: str = "en") -> str:
    """The Telegram channel's change since the announcement, after its member count in /stats."""
    return gettext(language, "{change} since the announcement").format(
        change=signed(now - at_announcement, language)
    )
