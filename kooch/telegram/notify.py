"""Telling the operators: the one way every part of Kooch sends a note to all of them.

Asks for the operators in force at each call (a reload may have changed them). A
failure to reach one operator (never started the bot, blocked it) is logged and skips only them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeAlias

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import TelegramError

from kooch.telegram.limits import fit

log = logging.getLogger(__name__)

#: A note: the same text for everyone, or the text in a given language (each operator reads theirs).
Words: TypeAlias = str | Callable[[str], str]


class OperatorNotifier:
    def __init__(
        self,
        operators: Callable[[], Iterable[int]],
        bot: Bot,
        language_of: Callable[[int], str] = lambda _operator: "en",
    ) -> None:
        #: The operators' ids in force now (read at every call).
        self.operators = operators
        self.bot = bot
        #: The language each operator reads (read at every call, as the operators are).
        self.language_of = language_of

    async def tell(self, text: Words) -> None:
        """Send ``text`` to every operator."""
        await self.send(text)

    async def tell_others(self, text: Words, skip: int | None) -> None:
        """Send ``text`` to every operator but ``skip`` (who already got the answer)."""
        await self.send(text, skip=skip)

    async def send(
        self,
        text: Words,
        *,
        skip: int | None = None,
        keyboard: InlineKeyboardMarkup | Callable[[str], InlineKeyboardMarkup] | None = None,
    ) -> int:
        """Send to every operator (but ``skip``); returns how many were reached."""
        reached = 0
        for operator in sorted(self.operators()):
            if operator == skip:
                continue
            try:
                language = self.language_of(operator)
                said = text if isinstance(text, str) else text(language)
                buttons = keyboard(language) if callable(keyboard) else keyboard
                await self.bot.send_message(operator, fit(said), reply_markup=buttons)
                reached += 1
            except TelegramError as exc:
                log.info("could not tell operator %s (%s)", operator, exc)
        return reached
