"""The Bot API calls that Kooch's features make, in Kooch's terms.

Features (``kooch.announce``, ``kooch.campaigns``) call a :class:`Gateway` instead of
``telegram.Bot``, so they import nothing of python-telegram-bot: they get plain results, and
Telegram's answers other than success as the exceptions below, each carrying Telegram's own
description (:func:`kooch.telegram.errors.explain_telegram_error` words it for people).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from kooch.telegram.limits import fit
from kooch.telegram.markup import markup
from kooch.telegram.post import Post


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


class Gateway:
    """One Bot's calls, with Telegram's errors translated (see :func:`translated`)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def initialize(self) -> None:
        await self.bot.initialize()

    async def shutdown(self) -> None:
        await self.bot.shutdown()

    async def send_post(self, chat: int | str, post: Post) -> Sent:
        """Send ``post`` (its text and its buttons)."""
        with translated():
            message = await self.bot.send_message(chat, fit(post.text), reply_markup=markup(post))
        return Sent(message.chat.id, message.message_id)

    async def send_text(self, chat: int | str, text: str) -> Sent:
        return await self.send_post(chat, Post(text))

    async def edit_post(self, chat_id: int, message_id: int, post: Post) -> None:
        """Replace a message's text and buttons with ``post``'s."""
        with translated():
            await self.bot.edit_message_text(
                post.text, chat_id=chat_id, message_id=message_id, reply_markup=markup(post)
            )

    async def edit_buttons(self, chat_id: int, message_id: int, post: Post) -> None:
        """Replace only a message's buttons (its text stays)."""
        with translated():
            await self.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=markup(post))

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
