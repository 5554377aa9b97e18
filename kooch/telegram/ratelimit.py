"""python-telegram-bot's AIORateLimiter, except for answers to button taps.

``answerCallbackQuery`` is not a message: Telegram's sending limits do not apply to it, and it has
a deadline of its own. AIORateLimiter would still route it through its machinery and, after any
429 anywhere, hold it back for the whole ``retry_after`` — long enough for the taps of a flood to
miss Telegram's callback deadline. So taps are answered directly; everything else goes through
AIORateLimiter (30 messages/s overall, 20/min per group or channel, retries on 429).

An answer Telegram refuses because the query is too old (or was answered before) is dropped with a
line in the log: it happens when a tap is handled again after a restart (kooch/telegram/intake.py),
the user's button stopped spinning long ago, and there is nothing for an operator to do about it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest
from telegram.ext import AIORateLimiter

from kooch.telegram.intake import too_late_to_answer

log = logging.getLogger(__name__)

UNLIMITED_ENDPOINTS = frozenset({"answerCallbackQuery"})


#: A Bot API result object (python-telegram-bot's private ``JSONDict``, not imported: private).
_JSON = dict[str, Any]


class KoochRateLimiter(AIORateLimiter):
    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | _JSON | list[_JSON]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | _JSON | list[_JSON]:
        if endpoint in UNLIMITED_ENDPOINTS:
            try:
                return await callback(*args, **kwargs)
            except BadRequest as exc:
                if endpoint != "answerCallbackQuery" or not too_late_to_answer(exc):
                    raise
                log.info("a tap's answer came too late for Telegram (%s); dropped", exc.message)
                return True
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
