"""What each recipient of a reminder receives, and the operator's preview of it. Pure.

A reminder reaches each recipient in their language: the text for that language (else the one
for every language, else the default language's), with the services' buttons named in their
language. So an operator's preview is one message per language among the recipients, each
rendered exactly as that group receives it (:func:`preview_groups`), and the confirmation says
which readers will get a text that is not in their language (:func:`fallback_lines`) and how long
sending takes, rounded up (:func:`duration_line`).

With ``web.public_url`` the service buttons go through Kooch's redirect links, their source
``campaign-<id>`` (:func:`campaign_source`): each campaign's clicks are counted apart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from kooch.announce.render import PREVIEW_ACK_DATA, button_link, service_rows
from kooch.campaigns.model import ANY_LANGUAGE, text_for
from kooch.config import Config, Service
from kooch.config.model import STARS_PER_PAID_MESSAGE
from kooch.i18n import format_number, gettext, is_rtl, language_name, ltr, ngettext, paragraph, to_digits
from kooch.telegram.post import Button, Post

#: The redirect links' source of a preview's buttons (as the announcement's preview).
PREVIEW_SOURCE = "preview"
_CAMPAIGN_SOURCE = re.compile(r"^campaign-(\d{1,18})$")


def campaign_source(campaign_id: int) -> str:
    """The ``s=`` of a campaign's redirect links: ``campaign-42``."""
    return f"campaign-{campaign_id}"


def campaign_of_source(source: str | None) -> int | None:
    """The campaign a redirect link's source names, if it names one."""
    match = _CAMPAIGN_SOURCE.match(source or "")
    return int(match.group(1)) if match else None


def reader_language(config: Config, language: str | None) -> str:
    """The language a recipient reads Kooch in: theirs if the config has texts for it, else the
    default language."""
    return language if language is not None and language in config.texts else config.default_language


def render_reminder(
    config: Config,
    texts: Mapping[str, str],
    language: str | None,
    channel: str | None,
    *,
    source: str | None = None,
    preview: bool = False,
) -> Post:
    """What one recipient receives: the text in their language, the links named in their language
    (through ``/go/`` with ``source`` when ``web.public_url`` is set), and "I've moved".

    ``preview``: the operator's copy; its "I've moved" is answered, never recorded, and its links
    count as a preview's."""
    lang = reader_language(config, language)
    via = PREVIEW_SOURCE if preview else source
    ch = config.channel_by_key(channel) if channel else None
    # A redirect link names the channel only for the services it lists (/go/ refuses the others).
    listed = {s.key for s in config.services_for(ch)} if ch is not None else set()

    def link(s: Service) -> str:
        if via is None:
            return s.url
        return button_link(config, s, channel if s.key in listed else None, via)

    # With reach.copy_buttons, each service's handle can be copied beside its link.
    rows = service_rows(config, config.services_for(None), lang, 2, ch.reach if ch else config.reach, link)
    if ch is not None:
        ack = PREVIEW_ACK_DATA if preview else ch.ack_data
        rows.append((Button(config.text(lang, "moved_button"), callback_data=ack),))
    return Post(paragraph(text_for(texts, language, config.default_language), lang), tuple(rows))


# ---------------------------------------------------------------------------------------------
# Which language a text is in


_RTL_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")


def written_in(text: str, config: Config, hint: str | None = None) -> str | None:
    """The language an operator's one text for everyone is written in, as far as its letters say:
    a right-to-left script is one of the config's right-to-left languages, Latin letters one of its
    left-to-right ones; ``hint`` (the operator's own language), then the default language, are
    preferred among those. None: no letters to tell by."""
    rtl = len(_RTL_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if not rtl and not latin:
        return None
    wanted = rtl >= latin
    candidates = [lang for lang in config.texts if is_rtl(lang) == wanted]
    for choice in (hint, config.default_language):
        if choice in candidates:
            return choice
    if candidates:
        return candidates[0]
    return "fa" if wanted else "en"


def text_language(config: Config, texts: Mapping[str, str], language: str, hint: str | None) -> str | None:
    """The language of the text a reader of ``language`` gets from ``texts`` (see :func:`text_for`)."""
    if language in texts:
        return language
    if ANY_LANGUAGE in texts:
        return written_in(texts[ANY_LANGUAGE], config, hint)
    if config.default_language in texts:
        return config.default_language
    return next(iter(texts), None)


# ---------------------------------------------------------------------------------------------
# The operator's preview


@dataclass(frozen=True)
class PreviewGroup:
    """The recipients who read Kooch in one language, and what they receive."""

    language: str
    readers: int
    #: The language of the text they get (None: it cannot be told).
    text_language: str | None
    post: Post

    @property
    def in_their_language(self) -> bool:
        return self.text_language is None or self.text_language == self.language


def preview_groups(
    config: Config,
    texts: Mapping[str, str],
    readers: Mapping[str | None, int],
    channel: str | None,
    hint: str | None = None,
) -> list[PreviewGroup]:
    """One group per language among the recipients (``readers``: how many per subscriber language,
    as stored), the largest first, each with its preview rendered as that group receives it."""
    counts: dict[str, int] = {}
    for language, n in readers.items():
        if n:
            lang = reader_language(config, language)
            counts[lang] = counts.get(lang, 0) + n
    return [
        PreviewGroup(
            lang,
            n,
            text_language(config, texts, lang, hint),
            render_reminder(config, texts, lang, channel, preview=True),
        )
        for lang, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def preview_label(group: PreviewGroup, reader: str) -> str:
    """The line above a group's preview: ``👁 What 40 English readers get:``."""
    text = ngettext(
        reader,
        "👁 What {n} {language} reader gets:",
        "👁 What {n} {language} readers get:",
        group.readers,
    ).format(n=format_number(group.readers, reader), language=language_name(group.language, reader))
    return paragraph(text, reader)


def fallback_lines(groups: list[PreviewGroup], reader: str) -> list[str]:
    """One line per group whose text is not in its language: ``⚠️ 40 English readers will get the
    Persian text.``"""
    lines = []
    for g in groups:
        if g.in_their_language or g.text_language is None:
            continue
        text = ngettext(
            reader,
            "⚠️ {n} {language} reader will get the {text_language} text.",
            "⚠️ {n} {language} readers will get the {text_language} text.",
            g.readers,
        ).format(
            n=format_number(g.readers, reader),
            language=language_name(g.language, reader),
            text_language=language_name(g.text_language, reader),
        )
        lines.append(paragraph(text, reader))
    return lines


def send_seconds(recipients: int, rate_per_s: float) -> float:
    """Seconds to send to ``recipients`` at ``rate_per_s``, rounded up to a whole second."""
    return float(math.ceil(recipients / rate_per_s)) if recipients > 0 else 0.0


def duration_line(recipients: int, rate_per_s: float, reader: str) -> str:
    """How long a campaign takes, never less than it will: ``under a minute``, else whole minutes
    rounded up (``about 4 min``, ``about 1 h 05 min``)."""
    _ = partial(gettext, reader)
    rate = to_digits(f"{rate_per_s:g}", reader)
    seconds = send_seconds(recipients, rate_per_s)
    if seconds < 60:
        return paragraph(_("At {rate} messages/s it takes under a minute.").format(rate=rate), reader)
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        duration = _("{m} min").format(m=minutes)
    else:
        duration = _("{h} h {m} min").format(h=minutes // 60, m=f"{minutes % 60:02d}")
    return paragraph(
        _("At {rate} messages/s it takes about {duration}.").format(
            rate=rate, duration=to_digits(duration, reader)
        ),
        reader,
    )


# ---------------------------------------------------------------------------------------------
# Paid broadcasts (campaigns.paid): their cost in Telegram Stars, and the bot's balance


def paid_cost(recipients: int) -> float:
    """Stars a paid broadcast to ``recipients`` costs (0.1 a message)."""
    return round(recipients * STARS_PER_PAID_MESSAGE, 1)


def stars(value: float, language: str) -> str:
    """``1,234.5`` Stars in ``language``'s digits, kept left to right."""
    return ltr(format_number(value, language, 1))


def paid_line(recipients: int, free_rate: bool, reader: str) -> str:
    """What a reminder costs, for its approvers: paid, or unpaid at the free rate."""
    _ = partial(gettext, reader)
    if free_rate:
        return paragraph(
            _("💫 Unpaid, at the free rate: the bot's Stars were short of a paid broadcast."), reader
        )
    text = _("💫 A paid broadcast: {cost} Stars (0.1 a message) from the bot's balance.")
    return paragraph(text.format(cost=stars(paid_cost(recipients), reader)), reader)


def balance_lines(
    recipients: int, balance: float | None, free_rate_per_s: float, reader: str
) -> tuple[str, bool]:
    """The operator's preview of a paid broadcast: its cost and the bot's balance
    (``getMyStarBalance``; None: Telegram did not say), and whether the balance is short, in which
    case the free rate is offered instead."""
    _ = partial(gettext, reader)
    cost = paid_cost(recipients)
    rate = to_digits(f"{free_rate_per_s:g}", reader)
    if balance is None:
        text = _(
            "⚠️ A paid broadcast costs {cost} Stars (0.1 a message), and Telegram did not say the "
            "bot's balance: the button below sends at the free rate ({rate} messages/s)."
        ).format(cost=stars(cost, reader), rate=rate)
        return paragraph(text, reader), True
    if balance + 1e-9 < cost:
        text = _(
            "⚠️ A paid broadcast costs {cost} Stars (0.1 a message); the bot has {balance}: {short} "
            "Stars short. Top up the bot's Stars and ask again, or send at the free rate with the "
            "button below ({rate} messages/s)."
        ).format(
            cost=stars(cost, reader),
            balance=stars(balance, reader),
            short=stars(cost - balance, reader),
            rate=rate,
        )
        return paragraph(text, reader), True
    text = _("💫 A paid broadcast: {cost} Stars (0.1 a message); the bot has {balance}.").format(
        cost=stars(cost, reader), balance=stars(balance, reader)
    )
    return paragraph(text, reader), False
