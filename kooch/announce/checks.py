"""Telegram's limits on what the config renders: each announcement and the /start reply are
rendered at load and measured, so an over-long post is a config error, not a 400 on the day.

:func:`load_checked_config` is the loader every entry point uses (start-up, reload, ``check``,
``health``): the config's own validation plus these checks, reported together with key paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from kooch.announce.render import render_announcement, render_links
from kooch.config import Config, load_config, parse_config
from kooch.config.load import ConfigCheck
from kooch.telegram import limits
from kooch.telegram.post import Button


def check_posts(config: Config) -> Iterator[tuple[str, str]]:
    """Render each announcement and the /start reply of each language; measure them."""
    for i, channel in enumerate(config.channels):
        path = f"channels[{i}]"
        if not config.services_for(channel):
            yield path, "has no enabled service: the announcement would carry no links"
            continue
        post = render_announcement(config, channel)
        yield from _measure(path, post.text, post.buttons, f"announcement of {channel.label}")
        if len(channel.ack_data.encode()) > limits.MAX_CALLBACK_DATA:
            yield f"{path}.key", "is too long for Telegram's 64-byte callback data"
    for lang in config.texts:
        post = render_links(config, lang, "welcome")
        yield from _measure(f"texts.{lang}.welcome", post.text, post.buttons, f"/start reply ({lang})")


def _measure(
    path: str, text: str, buttons: tuple[tuple[Button, ...], ...], what: str
) -> Iterator[tuple[str, str]]:
    if len(text) > limits.MAX_TEXT_LENGTH:
        yield path, f"the {what} is {len(text)} characters; Telegram allows {limits.MAX_TEXT_LENGTH}"
    total = sum(len(row) for row in buttons)
    if total > limits.MAX_BUTTONS:
        yield path, f"the {what} has {total} buttons; Telegram allows {limits.MAX_BUTTONS}"


#: Every check beyond the config's own validation.
CHECKS: tuple[ConfigCheck, ...] = (check_posts,)


def load_checked_config(path: str | Path) -> Config:
    """:func:`kooch.config.load_config` with Telegram's limits on the rendered posts."""
    return load_config(path, CHECKS)


def parse_checked_config(text: str, file: str = "config.yaml", base_dir: Path | None = None) -> Config:
    """:func:`kooch.config.parse_config` with Telegram's limits on the rendered posts."""
    return parse_config(text, file, base_dir, CHECKS)
