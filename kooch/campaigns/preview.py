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

from kooch.announce.render import PREVIEW_ACK_DATA, button_link
from kooch.campaigns.model import ANY_LANGUAGE, text_for
from kooch.config import Config, Service
from kooch.i18n import is_rtl, paragraph
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

    buttons = [Button(s.name(lang, config.default_language), url=link(s)) for s in config.services_for(None)]
    rows: list[tuple[Button, ...]] = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
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


def send_seconds(recipients: int, rate_per_s: float) -> float:
    """Seconds to send to ``recipients`` at ``rate_per_s``, rounded up to a whole second."""
    return float(math.ceil(recipients / rate_per_s)) if recipients > 0 else 0.0
