"""An operator's first contact: what their /start says before the subscribers' welcome.

They learn they are an operator of Kooch, of which channels, and what to do first (/preview,
then /announce), in their language.
"""

from __future__ import annotations

from functools import partial

from kooch.config import Config
from kooch.i18n import gettext, ngettext
from kooch.i18n.bidi import isolate, ltr, paragraph


def channel_names(config: Config, language: str) -> str:
    """Every channel by its @username (or its key), listed in ``language``: how a subscriber and a
    newcomer know them (the menus' descriptions, the welcome, /help)."""
    comma = gettext(language, ", ")
    return comma.join(ltr(c.chat) if isinstance(c.chat, str) else isolate(c.key) for c in config.channels)


def operator_welcome(config: Config, language: str) -> str:
    _ = partial(gettext, language)
    names = channel_names(config, language)
    n = len(config.channels)
    lines = [
        ngettext(
            language,
            "👋 You are an operator of Kooch for the channel {channels}.",
            "👋 You are an operator of Kooch for the channels {channels}.",
            n,
        ).format(channels=names),
        "",
        _("To begin:"),
        _("1. {preview}: the announcement exactly as it will be posted, with its links checked.").format(
            preview=ltr("/preview")
        ),
        _("2. {announce}: post it (you confirm first).").format(announce=ltr("/announce")),
        _("Then {stats} shows how the move goes; {help} lists every command.").format(
            stats=ltr("/stats"), help=ltr("/help")
        ),
        "",
        _("Subscribers who start the bot get this:"),
    ]
    return paragraph("\n".join(lines), language)
