"""The Bot API calls that Kooch's features make, in Kooch's terms.

Features (``kooch.announce``, ``kooch.campaigns``) call a :class:`Gateway` instead of
``telegram.Bot``, so they import nothing of python-telegram-bot: they get plain results, and
Telegram's answers other than success as the exceptions below, each carrying Telegram's own
description (:func:`kooch.telegram.errors.explain_telegram_error` words it for people).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from telegram import Bot, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from kooch.telegram.limits import fit
from kooch.telegram.markup import markup
from kooch.telegram.post import Post

log = logging.getLogger(__name__)
T = TypeVar("T")


class TelegramFailed(Exception):
    """Any answer of Telegram's but success; :attr:`description` is Telegram's text."""

    def __init__(self, description: str, kind: str = "TelegramError") -> None:
        super().__init__(description)
        self.description = description
        #: python-telegram-bot's name for it (``TimedOut``, ``BadRequest`` ...), for logs.
        self.kind = kind


class Refused(TelegramFailed):
    """400 Bad Request: Telegram refused the call as made (rights, lengths, a chat it lacks)."""


class Blocked(Refused):
    """403 Forbidden: the user blocked the bot, or the bot is not in the chat any more."""


class RateLimited(TelegramFailed):
    """429 Too Many Requests: wait :attr:`retry_after` seconds, then try again."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:g} s", "RetryAfter")
        self.retry_after = retry_after


class Transient(TelegramFailed):
    """A time-out, a 5xx or a broken connection: the same call may work later."""


@contextmanager
def translated() -> Iterator[None]:
    """Telegram's errors as the exceptions above (the order matters: BadRequest is a NetworkError)."""
    try:
        yield
    except RetryAfter as exc:
        after = exc.retry_after
        raise RateLimited(after.total_seconds() if isinstance(after, timedelta) else float(after)) from exc
    except Forbidden as exc:
        raise Blocked(exc.message, "Forbidden") from exc
    except BadRequest as exc:
        raise Refused(exc.message, "BadRequest") from exc
    except NetworkError as exc:
        raise Transient(exc.message, type(exc).__name__) from exc
    except TelegramError as exc:
        raise TelegramFailed(exc.message, type(exc).__name__) from exc


@dataclass(frozen=True)
class Sent:
    chat_id: int
    message_id: int


@dataclass(frozen=True)
class ChatInfo:
    """What Kooch reads of a chat: ``getChat``'s id, title, description and pinned message."""

    id: int
    #: Empty when the chat has none (Telegram leaves the field out).
    title: str = ""
    description: str = ""
    pinned_message_id: int | None = None


def refuses_style(exc: BadRequest) -> bool:
    """Telegram (or a Bot API server before 9.4, or a clone) refused a button's colour."""
    return "style" in exc.message.lower()


async def plain_fallback(post: Post, send: Callable[[bool], Awaitable[T]]) -> T:
    """``send(True)`` (the buttons coloured as the post says), and once more ``send(False)`` (plain)
    when Telegram refused the colours; a post without coloured buttons is sent plain at once."""
    if not any(b.style for row in post.buttons for b in row):
        return await send(False)
    try:
        return await send(True)
    except BadRequest as exc:
        if not refuses_style(exc):
            raise
        log.warning("Telegram refused a button's colour (%s): sent plain", exc.message)
        return await send(False)


async def reply_post(message: Message, post: Post, bot_username: str | None) -> Message:
    """Reply to ``message`` with ``post``, its colours dropped where Telegram refuses them."""

    async def reply(styled: bool) -> Message:
        return await message.reply_text(post.text, reply_markup=markup(post, bot_username, styled=styled))

    return await plain_fallback(post, reply)


def bot_username(bot: Bot) -> str | None:
    """The bot's @username without the @ (what ``t.me/<bot>`` links need); None before getMe."""
    try:
        return bot.username
    except RuntimeError:  # python-telegram-bot: not initialized yet
        return None


class Gateway:
    """One Bot's calls, with Telegram's errors translated (see :func:`translated`)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def initialize(self) -> None:
        await self.bot.initialize()

    async def shutdown(self) -> None:
        await self.bot.shutdown()

    async def send_post(self, chat: int | str, post: Post, *, paid: bool = False) -> Sent:
        """Send ``post`` (its text and its buttons); ``paid``: as a paid broadcast
        (``allow_paid_broadcast``: above the free rate, 0.1 Star from the bot's balance)."""

        async def send(styled: bool) -> Message:
            return await self.bot.send_message(
                chat,
                fit(post.text),
                reply_markup=markup(post, bot_username(self.bot), styled=styled),
                allow_paid_broadcast=True if paid else None,
            )

        with translated():
            message = await plain_fallback(post, send)
        return Sent(message.chat.id, message.message_id)

    async def star_balance(self) -> float:
        """The bot's Telegram Stars (``getMyStarBalance``), fractions of a Star included."""
        with translated():
            amount = await self.bot.get_my_star_balance()
        return amount.amount + (amount.nanostar_amount or 0) / 1e9

    async def send_text(self, chat: int | str, text: str) -> Sent:
        return await self.send_post(chat, Post(text))

    async def edit_post(self, chat_id: int, message_id: int, post: Post) -> None:
        """Replace a message's text and buttons with ``post``'s."""

        async def edit(styled: bool) -> object:
            return await self.bot.edit_message_text(
                post.text,
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=markup(post, bot_username(self.bot), styled=styled),
            )

        with translated():
            await plain_fallback(post, edit)

    async def edit_buttons(self, chat_id: int, message_id: int, post: Post) -> None:
        """Replace only a message's buttons (its text stays)."""

        async def edit(styled: bool) -> object:
            return await self.bot.edit_message_reply_markup(
                chat_id, message_id, reply_markup=markup(post, bot_username(self.bot), styled=styled)
            )

        with translated():
            await plain_fallback(post, edit)

    async def pin(self, chat_id: int, message_id: int, *, notify: bool = True) -> None:
        with translated():
            await self.bot.pin_chat_message(
                chat_id, message_id, disable_notification=None if notify else True
            )

    async def unpin(self, chat_id: int, message_id: int) -> None:
        with translated():
            await self.bot.unpin_chat_message(chat_id, message_id)

    async def get_chat(self, chat: int | str) -> ChatInfo:
        with translated():
            full = await self.bot.get_chat(chat)
        pinned = full.pinned_message
        return ChatInfo(
            full.id, full.title or "", full.description or "", pinned.message_id if pinned else None
        )

    async def set_title(self, chat_id: int, title: str) -> None:
        with translated():
            await self.bot.set_chat_title(chat_id, title)

    async def set_description(self, chat_id: int, description: str) -> None:
        with translated():
            await self.bot.set_chat_description(chat_id, description)

    async def member_count(self, chat: int | str) -> int:
        with translated():
            return await self.bot.get_chat_member_count(chat)
