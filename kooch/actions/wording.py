"""The words every gated action shares, for one reader: a request's name, the steps and the
outcome codes as /audit says them. Plain functions of plain data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from kooch.i18n import format_number, gettext, isolate, ltr, to_digits
from kooch.operators.audit import FORMER_OPERATOR, Record, Step
from kooch.operators.forget.wording import former_operator


def for_channels(words: str, channels: Sequence[str], language: str) -> str:
    """``post the announcement (demo, news)``: an action's words and its channels."""
    listed = gettext(language, ", ").join(isolate(c) for c in channels)
    return gettext(language, "{action} ({channels})").format(action=words, channels=listed)


def step_words(record: Record, language: str) -> str:
    """The step of a gated action's audit row, in the reader's words."""
    _ = partial(gettext, language)
    number = ltr("#" + to_digits(str(record.pending_id or 0), language))
    if record.requester_pseudonym is not None:  # they asked to be forgotten: their code only
        requester = former_operator(record.requester_pseudonym.removeprefix(FORMER_OPERATOR), language)
    else:
        requester = ltr(to_digits(str(record.requester_id or 0), language))
    words = {
        Step.ASKED: _("asked to confirm {id}"),
        Step.REQUESTED: _("sent {id} for approval (operators reached: {n})"),
        Step.APPROVED: _("approved {id}, asked by {requester}"),
        Step.REFUSED: _("refused {id}, asked by {requester}"),
        Step.OWN: _("tried to approve their own request {id}"),
        Step.EXPIRED: _("{id} expired without approval"),
        Step.STALE: _("pressed a button already used ({id})"),
        Step.DONE: _("confirmed {id}"),
        Step.CANCELLED: _("cancelled {id}"),
        Step.TOO_LATE: _("confirmed {id} too late: its time had passed"),
        Step.ANSWERED: _("nothing to confirm"),
        Step.CONFIRM_EXPIRED: _("pressed confirm on {id} after it expired"),
    }[record.step]
    return words.format(id=number, requester=requester, n=format_number(record.count or 0, language))


def code_words(code: str, language: str, own: Callable[[str, str], str | None] | None = None) -> str:
    """One outcome code (``demo:posted``) in the reader's words: the action's ``own`` words for
    it (:meth:`kooch.actions.model.Action.code_words`), else the ones every action shares; a code
    no wording knows is shown as it is."""
    _ = partial(gettext, language)
    channel, _sep, what = code.rpartition(":")
    shared = {
        "left-out": _("left out: announced meanwhile"),
        "not-in-config": _("no longer in the config"),
        "announced": _("already has an announcement"),
        "broken-links": _("broken links"),
        "unknown-channel": _("unknown channel"),
    }
    words = (own(what, language) if own is not None else None) or shared.get(what) or ltr(what)
    return f"{isolate(channel)}: {words}" if channel else words
