"""Telling the operators: the one way every part of Kooch sends a note to all of them.

Asks for the operators in force at each call (a reload may have changed them). A
failure to reach one operator (never started the bot, blocked it) is logged and skips only them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import TelegramError

log = logging.getLogger(__name__)

MAX_TEXT = 4096


class OperatorNotifier:
    def __init__(self, operators: Callable[[], Iterable[int]], bot: Bot) -> None:
        #: The operators' ids in force now (read at every call).
        self.operators = operators
        self.bot = bot

    async def tell(self, text: str) -> None:
        """Send ``text`` to every operator."""
        await self.send(text)

    async def tell_others(self, text: str, skip: int | None) -> None:
        """Send ``text`` to every operator but ``skip`` (who already got the answer)."""
        await self.send(text, skip=skip)

    async def send(
        self, text: str, *, skip: int | None = None, keyboard: InlineKeyboardMarkup | None = None
    ) -> int:
        """Send to every operator (but ``skip``); returns how many were reached."""
        reached = 0
        for operator in sorted(self.operators()):
            if operator == skip:
                continue
            try:
                await self.bot.send_message(operator, text[:MAX_TEXT], reply_markup=keyboard)
                reached += 1
            except TelegramError as exc:
                log.info("could not tell operator %s (%s)", operator, exc)
        return reached
