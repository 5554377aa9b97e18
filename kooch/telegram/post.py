"""A message as Kooch composes it: a text and rows of buttons, plain data with no Telegram I/O.

The features render posts (``kooch.announce.render``); ``kooch.telegram.markup`` turns one into a
Telegram keyboard where it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    """A URL button (``url``) or a callback button (``callback_data``)."""

    text: str
    url: str | None = None
    callback_data: str | None = None


@dataclass(frozen=True)
class Post:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
