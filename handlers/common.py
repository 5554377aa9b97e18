"""Small helpers shared by the handler modules: turning rendered posts into Telegram markup."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from kooch.render import Post


def markup(post: Post) -> InlineKeyboardMarkup | None:
    """The post's buttons as an inline keyboard (None when it has none)."""
    if not post.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.text, url=b.url)
                if b.url is not None
                else InlineKeyboardButton(b.text, callback_data=b.callback_data)
                for b in row
            ]
            for row in post.buttons
        ]
    )
