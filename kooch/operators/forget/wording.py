"""The words of an operator's /forget, in the reader's language (from the catalogs): the question
with its buttons, the answer, and the note to the other operators. Plain functions of plain data."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from kooch.i18n import gettext, isolate, ltr, paragraph, to_digits
from kooch.operators.forget.service import Cancelled


def _requests(cancelled: Sequence[Cancelled], language: str) -> str:
    """``#17 (/announce), #18 (/moved)``: each request by its number and its command."""
    return gettext(language, ", ").join(
        f"{ltr('#' + to_digits(str(c.id), language))} ({ltr('/' + c.action)})" for c in cancelled
    )


def question(cancelled: Sequence[Cancelled], language: str) -> str:
    """What an operator's /forget asks before doing anything."""
    _ = partial(gettext, language)
    lines = [
        _("⚠️ Forget you? You are an operator, so:"),
        _(
            "• what you did on the channels stays in /audit, under a code instead of your id or name: "
            "the operators answer for what happens on the channels;"
        ),
        _("• everything else Kooch keeps about you is deleted, as for any subscriber;"),
    ]
    if cancelled:
        lines.append(
            _("• your requests waiting for approval are cancelled: {requests};").format(
                requests=_requests(cancelled, language)
            )
        )
    lines += [
        _("• the other operators are told, by your Telegram name."),
        "",
        _("You stay an operator as long as your id is in the config."),
    ]
    return paragraph("\n".join(lines), language)


def forget_label(language: str) -> str:
    return gettext(language, "🗑 Forget me")


def done(cancelled: Sequence[Cancelled], language: str) -> str:
    """The question, once confirmed."""
    _ = partial(gettext, language)
    lines = [_("🗑 Done: what Kooch kept about you is deleted; your actions stay in /audit under a code.")]
    if cancelled:
        lines.append(_("Cancelled: {requests}.").format(requests=_requests(cancelled, language)))
    return paragraph("\n".join(lines), language)


def kept(language: str) -> str:
    """The question, once cancelled."""
    return paragraph(gettext(language, "Not forgotten: nothing was deleted."), language)


def told(name: str, cancelled: Sequence[Cancelled], language: str) -> str:
    """What every other operator reads: who (by their Telegram name, from the tap), what stays,
    what was cancelled, what is left to do."""
    _ = partial(gettext, language)
    lines = [
        _(
            "ℹ️ {name} asked Kooch to forget them. Their actions stay in /audit, under a code "
            "instead of their id."
        ).format(name=isolate(name))
    ]
    if cancelled:
        lines.append(
            _("Their requests waiting for approval were cancelled: {requests}.").format(
                requests=_requests(cancelled, language)
            )
        )
    lines.append(_("If they have left, remove them from operators in the config."))
    return paragraph("\n".join(lines), language)


def former_operator(code: str, language: str) -> str:
    """How /audit names a forgotten operator: their code, never their id nor their name."""
    return gettext(language, "former operator {code}").format(code=ltr(code))
