"""Rendered posts (:class:`kooch.telegram.post.Post`) as Telegram inline keyboards."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from kooch.telegram.post import Button, Post


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Rows of buttons as a Telegram inline keyboard (None when there are none)."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.text, url=b.url)
                if b.url is not None
                else InlineKeyboardButton(b.text, callback_data=b.callback_data)
                for b in row
            ]
            for row in rows
        ]
    )


def markup(post: Post) -> InlineKeyboardMarkup | None:
    """The post's buttons as a Telegram inline keyboard (None when it has none)."""
    return keyboard(post.buttons)
