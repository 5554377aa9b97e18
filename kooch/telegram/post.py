"""A message as Kooch composes it: a text and rows of buttons, plain data with no Telegram I/O.

The features render posts (``kooch.announce.render``); ``kooch.telegram.markup`` turns one into a
Telegram keyboard where it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    """A URL button (``url``), a callback button (``callback_data``), a button that opens the
    sending bot with a ``/start`` parameter (``start``: its URL ``t.me/<bot>?start=<start>`` is
    known only where the post is sent, by the bot that sends it), or one that copies
    ``copy_text`` to the clipboard. ``style`` colours it (``success``, ``primary``, ``danger``)."""

    text: str
    url: str | None = None
    callback_data: str | None = None
    start: str | None = None
    copy_text: str | None = None
    style: str | None = None


@dataclass(frozen=True)
class Post:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
