"""What people read about move codes and the mirror, in their language (the catalogs' words):
the personal links on Telegram, the destination bot's answers, the /stats and /status lines."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from kooch.i18n import format_number, gettext, isolate, ltr, paragraph
from kooch.telegram.post import Button, Post


def links_intro(language: str = "en") -> str:
    """Above the personal links, in the subscriber's private chat with Kooch."""
    text = gettext(
        language,
        "🛬 Arrived on the other side? Open your personal link there: it tells the channel you "
        "made it (only that you arrived, nothing about your account there). Each link works once.",
    )
    return paragraph(text, language)


def link_button(service: str, language: str = "en") -> str:
    return gettext(language, "✅ I'm on {service}: confirm").format(service=isolate(service))


def personal_links_post(links: Sequence[tuple[str, str]], language: str = "en") -> Post:
    """The personal links, one button per service: (service name, link)."""
    return Post(
        links_intro(language),
        tuple((Button(link_button(name, language), url=url),) for name, url in links),
    )


def tap_answer(language: str = "en") -> str:
    """The tap's toast when a personal link waits in the bot (the tap opens the bot's chat)."""
    return gettext(language, "Thank you! Your personal link to confirm your arrival is in the bot.")


def welcome(service: str, link: str, language: str = "en") -> str:
    """The destination bot's answer to a good code: a welcome and the destination channel's link."""
    _ = partial(gettext, language)
    lines = [
        _("Welcome to {service}! Your arrival is counted.").format(service=isolate(service)),
        _("The channel is here: {link}").format(link=ltr(link)),
    ]
    return "\n".join(paragraph(line, language) for line in lines)


def used(link: str, language: str = "en") -> str:
    _ = partial(gettext, language)
    lines = [_("This link was used already: your arrival is counted once.")]
    if link:
        lines.append(_("The channel is here: {link}").format(link=ltr(link)))
    return "\n".join(paragraph(line, language) for line in lines)


def expired(link: str, language: str = "en") -> str:
    _ = partial(gettext, language)
    lines = [_("This link has expired. Open the bot on Telegram again (/links) for a new one.")]
    if link:
        lines.append(_("The channel is here: {link}").format(link=ltr(link)))
    return "\n".join(paragraph(line, language) for line in lines)


def unknown(language: str = "en") -> str:
    text = gettext(
        language, "This link is not one Kooch gave. Open the bot on Telegram (/links) for your personal link."
    )
    return paragraph(text, language)


def arrived_line(service: str, arrived: int, tapped: int, language: str = "en") -> str:
    """One line of /stats per channel and verified service (the reader's direction is set there)."""
    n = partial(format_number, language=language)
    return gettext(language, "🛬 arrived on {service}: {arrived} (of {tapped} who tapped)").format(
        service=isolate(service), arrived=n(arrived), tapped=n(tapped)
    )


def mirror_heading(language: str = "en") -> str:
    return gettext(language, "🪞 Mirror (the channel's new posts on the destinations):")


def mirror_line(
    service: str, mirrored: int, pending: int, failed: int, error: str | None, language: str = "en"
) -> str:
    n = partial(format_number, language=language)
    line = gettext(language, "• {service}: {mirrored} mirrored, {pending} pending, {failed} failed").format(
        service=isolate(service), mirrored=n(mirrored), pending=n(pending), failed=n(failed)
    )
    if error:
        line += gettext(language, "; last error: {error}").format(error=isolate(error))
    return line


def mirror_failing(service: str, error: str, language: str = "en") -> str:
    text = gettext(
        language,
        "⚠️ Mirror: {service} refuses the channel's posts: {error}. Kooch keeps them and sends them "
        "once it answers again; /status shows how many wait.",
    ).format(service=isolate(service), error=isolate(error))
    return paragraph(text, language)


def mirror_recovered(service: str, language: str = "en") -> str:
    text = gettext(language, "✅ Mirror: {service} answers again; the waiting posts are being sent.").format(
        service=isolate(service)
    )
    return paragraph(text, language)


def privacy_lines(services: Sequence[str], language: str = "en") -> str:
    """/privacy's paragraph when move codes are on."""
    _ = partial(gettext, language)
    names = _(", ").join(isolate(s) for s in services)
    text = _(
        "Arrival links ({services}): a personal link is a random code that Kooch links to your "
        "Telegram account and the channel. When you open it on the other service, Kooch stores only "
        "that you arrived there and when. It never stores your account, id or name on the other "
        "service. /forget deletes the codes and the arrivals too."
    ).format(services=names)
    return paragraph(text, language)
