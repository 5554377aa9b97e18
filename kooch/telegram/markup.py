"""Rendered posts (:class:`kooch.telegram.post.Post`) as Telegram inline keyboards."""

from __future__ import annotations

from telegram import CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup

from kooch.telegram.post import Button, Post


def start_link(bot_username: str, payload: str) -> str:
    """``https://t.me/<bot>?start=<payload>``: opens the bot, whose START sends ``/start <payload>``."""
    return f"https://t.me/{bot_username}?start={payload}"


def _button(b: Button, bot_username: str | None, styled: bool) -> InlineKeyboardButton | None:
    style = b.style if styled else None
    if b.start is not None:
        if bot_username is None:
            return None  # a bot without a username (never on Telegram) has no link to open
        return InlineKeyboardButton(b.text, url=start_link(bot_username, b.start), style=style)
    if b.copy_text is not None:
        return InlineKeyboardButton(b.text, copy_text=CopyTextButton(b.copy_text), style=style)
    if b.url is not None:
        return InlineKeyboardButton(b.text, url=b.url, style=style)
    return InlineKeyboardButton(b.text, callback_data=b.callback_data, style=style)


def keyboard(
    rows: tuple[tuple[Button, ...], ...], bot_username: str | None = None, *, styled: bool = True
) -> InlineKeyboardMarkup | None:
    """Rows of buttons as a Telegram inline keyboard (None when there are none).

    ``bot_username`` makes the ``start`` buttons' links; ``styled=False`` leaves out the buttons'
    colours (the plain fallback, where Telegram refused them)."""
    out = []
    for row in rows:
        buttons = [k for k in (_button(b, bot_username, styled) for b in row) if k is not None]
        if buttons:
            out.append(buttons)
    return InlineKeyboardMarkup(out) if out else None


def markup(
    post: Post, bot_username: str | None = None, *, styled: bool = True
) -> InlineKeyboardMarkup | None:
    """The post's buttons as a Telegram inline keyboard (None when it has none)."""
    return keyboard(post.buttons, bot_username, styled=styled)
