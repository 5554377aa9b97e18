"""python-telegram-bot's AIORateLimiter, except for answers to button taps.

``answerCallbackQuery`` is not a message: Telegram's sending limits do not apply to it, and it has
a deadline of its own. AIORateLimiter would still route it through its machinery and, after any
429 anywhere, hold it back for the whole ``retry_after`` — long enough for the taps of a flood to
miss Telegram's callback deadline. So taps are answered directly; everything else goes through
AIORateLimiter (30 messages/s overall, 20/min per group or channel, retries on 429).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

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
            return await callback(*args, **kwargs)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
