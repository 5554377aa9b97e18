"""What a subscriber reads at first contact, beyond the config's texts: the welcome when several
channels moved, and the reply to a deep link ``/start <channel>`` that names its channel.

The config's own ``welcome`` and ``links_header`` win when an admin wrote them; the built-in
ones speak of one channel, so with several channels Kooch says it in words that fit.
"""

from __future__ import annotations

from functools import partial

from kooch.config import Channel, Config
from kooch.config.texts import DEFAULT_TEXTS
from kooch.i18n import gettext
from kooch.i18n.bidi import isolate, ltr, paragraph, strip_controls
from kooch.operators.welcome import channel_names


def links_header(config: Config, language: str, key: str) -> str:
    """The line above the links for ``key`` (``welcome`` or ``links_header``): the config's, or
    with several channels the built-in words for several."""
    own = config.text(language, key)
    # config.text() sets the text for its reader (direction controls): compare the words.
    if len(config.channels) < 2 or strip_controls(own) != DEFAULT_TEXTS.get(language, {}).get(key):
        return own
    _ = partial(gettext, language)
    names = channel_names(config, language)
    if key == "welcome":
        text = _("Hello! {channels} have moved to these messengers:").format(channels=names)
    else:
        text = _("The new addresses of {channels}:").format(channels=names)
    return paragraph(text, language)


def channel_name(channel: Channel, title: str) -> str:
    """``Kooch demo (@kooch_demo)``: the title Telegram has (if any) and the username."""
    handle = ltr(channel.chat) if isinstance(channel.chat, str) else ""
    if not title:
        return handle or isolate(channel.key)
    return f"{isolate(title)} ({handle})" if handle else isolate(title)


def deep_link_header(channel: Channel, title: str, language: str) -> str:
    """Above one channel's links, for ``/start <channel>``."""
    text = gettext(language, "{channel} has moved. Its new addresses:")
    return paragraph(text.format(channel=channel_name(channel, title)), language)


def deep_link_footer(language: str) -> str:
    """Below them: what the "I've moved" button is for."""
    text = gettext(
        language, 'Once you have joined, tap "I\'ve moved" below so the channel knows you made it.'
    )
    return paragraph(text, language)


def moved_start_header(channel: Channel, title: str, language: str) -> str:
    """Above one channel's links, for the start that follows an "I've moved" tap."""
    text = gettext(
        language,
        "Thank you for moving with {channel}! Its new addresses are below, to keep or to forward. "
        "Reminders of what is new may come here; the button below turns them off.",
    )
    return paragraph(text.format(channel=channel_name(channel, title)), language)


def reminders_off_done(language: str) -> str:
    """The toast of the "No reminders" button."""
    text = gettext(language, "Reminders are off. {links} brings the addresses back at any time.")
    return paragraph(text.format(links=ltr("/links")), language)
