"""The channel's "moved" state, as plain data: its title with the suffix and its description with
the links, measured against Telegram's limits (title ≤ 128, description ≤ 255 characters).

The handler (``handlers/living.py``) saves the originals first, then applies these, reporting each
step; ``/moved undo`` puts the originals back.
"""

from __future__ import annotations

from dataclasses import dataclass

from kooch.config import MAX_CHAT_DESCRIPTION, MAX_CHAT_TITLE, Channel, Config

#: The description's first line when the channel gives no ``moved_description``.
DEFAULT_HEADERS = {
    "fa": "این کانال کوچ کرد. ما را اینجا دنبال کنید:",
    "en": "This channel has moved. Follow us here:",
}


@dataclass(frozen=True)
class MovedTitle:
    title: str
    #: Set when the title would be too long for Telegram; then ``title`` is not to be used.
    too_long: bool = False


@dataclass(frozen=True)
class MovedDescription:
    text: str
    #: How many of the channel's services fit within 255 characters (all, ideally).
    links: int
    services: int

    @property
    def complete(self) -> bool:
        return self.links == self.services

    @property
    def fits(self) -> bool:
        return self.links > 0 or self.services == 0


def moved_title(original: str, channel: Channel) -> MovedTitle:
    """``original`` + the channel's suffix (not twice: an original that already ends with it)."""
    suffix = channel.moved_title_suffix
    title = original if original.endswith(suffix) else original + suffix
    return MovedTitle(title, too_long=len(title) > MAX_CHAT_TITLE)


def moved_description(config: Config, channel: Channel) -> MovedDescription:
    """The header and as many ``name: url`` lines as fit in Telegram's 255 characters, in the
    channel's order of services (the pinned announcement carries them all)."""
    lang = channel.language
    header = channel.moved_description or DEFAULT_HEADERS.get(lang, DEFAULT_HEADERS["en"])
    services = config.services_for(channel)
    lines = [header.rstrip()]
    fitted = 0
    for s in services:
        line = f"{s.name(lang, config.default_language)}: {s.url}"
        if len("\n".join([*lines, line])) > MAX_CHAT_DESCRIPTION:
            break
        lines.append(line)
        fitted += 1
    return MovedDescription("\n".join(lines), fitted, len(services))
