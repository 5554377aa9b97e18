"""The channels an operator command acts on: the one named, or all (pure functions of the config;
the handlers and the gated actions both use them)."""

from __future__ import annotations

from kooch.config import Channel, Config
from kooch.i18n import gettext, isolate, paragraph

__all__ = ["resolve_channels", "unknown_channel"]


def resolve_channels(
    config: Config, args: list[str], language: str = "en"
) -> tuple[list[Channel], bool] | str:
    """The channels a command acts on: the one named, or all; a string is the error to show."""
    if not args:
        return list(config.channels), False
    channel = config.channel(args[0])
    if channel is None:
        return unknown_channel(config, args[0], language)
    return [channel], True


def unknown_channel(config: Config, name: str, language: str) -> str:
    """The error for a channel name the config does not have, with the ones it has."""
    comma = gettext(language, ", ")
    known = comma.join(f"{c.key} ({isolate(c.label)})" for c in config.channels)
    text = gettext(language, "Unknown channel '{name}'. Known channels: {known}")
    return paragraph(text.format(name=name, known=known), language)
