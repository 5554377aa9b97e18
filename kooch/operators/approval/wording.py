"""Operator wording of four-eyes approval, in the reader's language (the words come from the
catalogs). Plain functions of plain data."""

from __future__ import annotations

from functools import partial

from kooch.i18n import format_datetime, format_number, gettext, ngettext, paragraph, to_digits
from kooch.i18n.formats import zone_words


def approve_label(language: str = "en") -> str:
    return gettext(language, "✅ Approve")


def refuse_label(language: str = "en") -> str:
    return gettext(language, "✖️ Refuse")


def _id(request_id: int, language: str) -> str:
    return to_digits(str(request_id), language)


def _until(expires_at: float, tz: str, language: str) -> str:
    return format_datetime(expires_at, tz, language, numeric=True)


def approval_question(
    request_id: int, what: str, requester: str, expires_at: float, tz: str, detail: str, language: str = "en"
) -> str:
    """What every other operator gets, after the preview: who asks what (``requester`` and
    ``what``: the operator and the action in the reader's words, the name already isolated by
    :func:`kooch.operators.wording.operator_name`), until when."""
    _ = partial(gettext, language)
    head = _("🔐 Approval needed (#{id}): {requester} asks to {action}.").format(
        id=_id(request_id, language), requester=requester, action=what
    )
    lines = [paragraph(head, language)]
    if detail:
        lines += ["", detail]
    foot = _("A second operator must approve it; the request expires at {when} ({tz}).").format(
        when=_until(expires_at, tz, language), tz=zone_words(tz, language)
    )
    lines += ["", paragraph(foot, language)]
    return "\n".join(lines)


def waiting(request_id: int, reached: int, expires_at: float, tz: str, language: str = "en") -> str:
    """The requester's confirmation, once the request went out."""
    until = _until(expires_at, tz, language)
    if reached == 0:
        text = gettext(
            language,
            "🔐 Request #{id} needs a second operator's approval, but no other operator could "
            "be reached (each must have started the bot). It stays open until {when} ({tz}).",
        ).format(id=_id(request_id, language), when=until, tz=zone_words(tz, language))
    else:
        text = ngettext(
            language,
            "🔐 Request #{id} sent to {n} other operator: it is done once they approve (until {when}, {tz}).",
            "🔐 Request #{id} sent to {n} other operators: it is done once one of them approves "
            "(until {when}, {tz}).",
            reached,
        ).format(
            id=_id(request_id, language),
            n=format_number(reached, language),
            when=until,
            tz=zone_words(tz, language),
        )
    return paragraph(text, language)


def own(language: str = "en") -> str:
    return gettext(language, "You asked for this: another operator must approve it.")


def stale(language: str = "en") -> str:
    return gettext(language, "This request was already decided or has expired.")


def expired(language: str = "en") -> str:
    return gettext(language, "This request expired: the requester must ask again.")


OWN = own("en")
STALE = stale("en")
EXPIRED = expired("en")


def approved_notice(request_id: int, what: str, approver: str, report: str, language: str = "en") -> str:
    """``approver``: the operator as the reader reads them (:func:`kooch.operators.wording.operator_name`)."""
    head = gettext(language, "✅ Request #{id} ({action}) was approved by {operator}:").format(
        id=_id(request_id, language), action=what, operator=approver
    )
    return paragraph(head, language) + "\n" + report


def refused_notice(request_id: int, what: str, operator: str, language: str = "en") -> str:
    """``operator``: who refused, as the reader reads them (:func:`kooch.operators.wording.operator_name`)."""
    text = gettext(language, "✖️ Request #{id} ({action}) was refused by {operator}: nothing was done.")
    return paragraph(
        text.format(
            id=_id(request_id, language),
            action=what,
            operator=operator,
        ),
        language,
    )


def expired_notice(request_id: int, what: str, language: str = "en") -> str:
    text = gettext(language, "⌛ Request #{id} ({action}) expired without a second operator's approval.")
    return paragraph(text.format(id=_id(request_id, language), action=what), language)


def you_refused(request_id: int, language: str = "en") -> str:
    """The approver's own message, once they refused."""
    text = gettext(language, "✖️ You refused request #{id}: nothing was done.")
    return paragraph(text.format(id=_id(request_id, language)), language)


def you_approved(request_id: int, report: str, language: str = "en") -> str:
    """The approver's own message, once they approved: the request's report below."""
    text = gettext(language, "✅ You approved request #{id}:").format(id=_id(request_id, language))
    return paragraph(text, language) + "\n" + report
