"""Kooch's rate limiter: Telegram's sending limits, with operators' sends ahead of the crowd's.

Telegram allows a bot about 30 messages a second in all and 20 a minute per group or channel, and
answers 429 with a ``retry_after`` above that. python-telegram-bot's ``AIORateLimiter`` keeps a
bot under those limits, but its overall limiter serves waiting calls strictly in arrival order:
with a thousand subscribers' replies waiting (a /start flood answered at 30 a second), an
operator's /stats reply waited behind all of them, half a minute. So the overall budget here is
:class:`SendSlots`: at most ``limit`` calls in any ``period`` seconds, handed out to **urgent**
callers first (calls made inside :func:`urgent`: while an operator's update is processed, see
:mod:`kooch.telegram.lanes`), then in arrival order. An urgent call never goes past the budget,
it only goes ahead in the queue, so Telegram sees the same pace.

A slot counts from the moment it is handed out until ``period`` seconds after its call returned:
Telegram counts a call when it arrives, somewhere in between, so no ``period``-long window at
Telegram ever holds more than ``limit`` (``AIORateLimiter``'s leaky bucket lets a burst of 30 and
then one every 1/30 s through, up to ~60 in a second: 429s).

Otherwise as ``AIORateLimiter``: every call with a ``chat_id`` takes a slot (but reading calls,
``get*``, which send nothing: /stats asks getChatMemberCount, and that waited behind the crowd's
replies too), calls to a group or channel also pass a 20-a-minute limiter of that chat, and a
429 is waited out (``retry_after``), then the call is retried, up to ``max_retries`` times. The
wait is the chat's alone when the 429 came in a user's chat and no other chat's came within a
second: the overall budget is kept here, so that is Telegram's one-message-a-second per chat
(an operator's /stats text and chart), and holding back every call for it (as ``AIORateLimiter``
does) cost the whole crowd a second. Messages to one chat are not spaced ahead of time: Telegram
allows short bursts, and most of Kooch's replies are two or three messages.

``answerCallbackQuery`` is not a message: Telegram's sending limits do not apply to it, and it has
a deadline of its own, so taps are answered directly, never held back. An answer Telegram refuses
because the query is too old (or was answered before) is dropped with a line in the log: it
happens when a tap is handled again after a restart (kooch/telegram/intake.py), the user's button
stopped spinning long ago, and there is nothing for an operator to do about it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import constants
from telegram.error import BadRequest, RetryAfter
from telegram.ext import BaseRateLimiter

from kooch.telegram.intake import too_late_to_answer

log = logging.getLogger(__name__)

UNLIMITED_ENDPOINTS = frozenset({"answerCallbackQuery"})
#: Most group limiters kept; above it, those with nothing counted are dropped (as AIORateLimiter).
MAX_GROUP_LIMITERS = 512
#: Two 429s closer than this, from different chats, are taken as the overall limit's: every call
#: waits (one alone, in a user's chat, is that chat's one-a-second limit: only the chat waits).
REFUSALS_APART_S = 1.0


#: A Bot API result object (python-telegram-bot's private ``JSONDict``, not imported: private).
_JSON = dict[str, Any]

_URGENT: ContextVar[bool] = ContextVar("kooch_urgent_sends", default=False)


@contextlib.contextmanager
def urgent() -> Iterator[None]:
    """Calls made inside (and in tasks started inside) go ahead of the others' at the limiter."""
    token = _URGENT.set(True)
    try:
        yield
    finally:
        _URGENT.reset(token)


def is_urgent() -> bool:
    return _URGENT.get()


class SendSlots:
    """At most ``limit`` calls in any ``period`` seconds: a call holds its slot while it runs and
    for ``period`` seconds after. A caller that finds nobody waiting and a slot free goes at once;
    waiting callers get slots urgent ones first, then oldest first, evenly spaced (one per
    ``period / limit``): under a flood the slots then free one at a time, so an urgent caller
    waits for the next one (~33 ms at 30 a second), not for a whole burst's window to pass."""

    def __init__(self, limit: int, period: float) -> None:
        if limit < 1 or period <= 0:
            raise ValueError(f"a send budget needs a positive limit and period: {limit}, {period}")
        self.limit = limit
        self.period = period
        self.spacing = period / limit
        #: When the next slot may be handed out at the earliest (loop time).
        self._next = 0.0
        self._running = 0
        #: When each recently finished call returned, oldest first (loop time).
        self._ended: deque[float] = deque()
        self._waiting: dict[bool, deque[asyncio.Future[None]]] = {True: deque(), False: deque()}
        self._timer: asyncio.TimerHandle | None = None

    def waiting(self, urgent: bool) -> int:
        """Callers waiting for a slot (the urgent ones, or the others)."""
        return sum(not f.done() for f in self._waiting[urgent])

    def _free_count(self, now: float) -> int:
        ended = self._ended
        while ended and ended[0] <= now - self.period:
            ended.popleft()
        return self.limit - self._running - len(ended)

    @contextlib.asynccontextmanager
    async def slot(self, urgent: bool = False) -> AsyncIterator[None]:
        """Hold a slot for the call made inside."""
        await self._acquire(urgent)
        try:
            yield
        finally:
            self._running -= 1
            self._ended.append(asyncio.get_running_loop().time())
            self._hand_out()

    def _free(self, now: float) -> bool:
        return now >= self._next and self._free_count(now) > 0

    def _take(self, now: float) -> None:
        self._running += 1
        self._next = now + self.spacing

    async def _acquire(self, urgent: bool) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if not any(self._waiting.values()):
            # Nobody waits: a slot free now is taken now, spaced or not (a few calls at once).
            if self._free_count(now) > 0:
                self._take(now)
                return
        elif urgent and not self._waiting[True] and self._free(now):
            self._take(now)  # only the crowd waits, and the next slot is due: it is this one
            return
        granted: asyncio.Future[None] = loop.create_future()
        self._waiting[urgent].append(granted)
        self._hand_out()
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self._running -= 1  # handed a slot just as it was cancelled: give it back unused
                self._hand_out()
            raise

    def _hand_out(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for queue in (self._waiting[True], self._waiting[False]):
            while queue and queue[0].done():
                queue.popleft()  # cancelled while waiting
            while queue and self._free(now):
                granted = queue.popleft()
                if not granted.done():
                    self._take(now)
                    granted.set_result(None)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not (self._waiting[True] or self._waiting[False]):
            return
        if self._running + len(self._ended) < self.limit:
            self._timer = loop.call_at(self._next, self._hand_out)  # the spacing
        elif self._ended:
            # Every slot taken: the oldest finished call leaves the window first (or a running
            # one ends, and its end hands out the next).
            self._timer = loop.call_at(max(self._next, self._ended[0] + self.period), self._hand_out)


class KoochRateLimiter(BaseRateLimiter[int]):
    """Telegram's sending limits for the Application's Bot (see the module docstring)."""

    def __init__(
        self,
        *,
        per_second: int = constants.FloodLimit.MESSAGES_PER_SECOND,
        group_per_minute: int = constants.FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP,
        max_retries: int = 0,
    ) -> None:
        self.sends = SendSlots(per_second, 1.0)
        self._group_per_minute = group_per_minute
        self._groups: dict[str | int, AsyncLimiter] = {}
        self._max_retries = max_retries
        #: Loop time until which no call goes out (a 429's retry_after).
        self._calm_until = 0.0
        #: The same for single users' chats (a 429 there: Telegram's limit per chat).
        self._chat_calm: dict[int, float] = {}
        #: When the last 429 came, and in which user's chat (None: anywhere else).
        self._refused: tuple[float, int | None] = (float("-inf"), None)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | _JSON | list[_JSON]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | _JSON | list[_JSON]:
        if endpoint.startswith("get"):
            # Reading (getChatMemberCount for /stats, getChat) sends no message: no slot.
            await self._calm()
            return await callback(*args, **kwargs)
        if endpoint in UNLIMITED_ENDPOINTS:
            try:
                return await callback(*args, **kwargs)
            except BadRequest as exc:
                if endpoint != "answerCallbackQuery" or not too_late_to_answer(exc):
                    raise
                log.info("a tap's answer came too late for Telegram (%s); dropped", exc.message)
                return True
        chat_id = data.get("chat_id")
        user_chat = chat_id if isinstance(chat_id, int) and chat_id > 0 else None
        group = self._group(chat_id)
        max_retries = rate_limit_args or self._max_retries
        attempt = 0
        first = is_urgent()
        while True:
            try:
                async with group or contextlib.nullcontext():
                    await self._calm(user_chat)
                    if chat_id is None:
                        return await callback(*args, **kwargs)
                    async with self.sends.slot(first):
                        await self._calm(user_chat)
                        return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= max_retries:
                    log.error("Telegram still refused %s after %d retries: %s", endpoint, attempt, exc)
                    raise
                attempt += 1
                self._refusal(user_chat, _seconds(exc.retry_after) + 0.1, endpoint)

    def _refusal(self, user_chat: int | None, wait: float, endpoint: str) -> None:
        """A 429: hold back that user's chat or, when it looks like the overall limit, every call."""
        now = asyncio.get_running_loop().time()
        last_at, last_chat = self._refused
        self._refused = (now, user_chat)
        # The overall budget is kept here, so a 429 in one user's chat is that chat's own limit
        # (an operator's /stats text and chart less than a second apart). One in a group, one
        # without a chat, or several chats' in a row: the overall limit (another process on the
        # same token, a stricter Telegram): everyone waits.
        if user_chat is not None and (now - last_at >= REFUSALS_APART_S or last_chat == user_chat):
            log.info("Telegram asked to wait %.1f s (429 on %s in one chat); that chat waits", wait, endpoint)
            if len(self._chat_calm) > MAX_GROUP_LIMITERS:
                self._chat_calm = {c: t for c, t in self._chat_calm.items() if t > now}
            self._chat_calm[user_chat] = max(self._chat_calm.get(user_chat, 0.0), now + wait)
            return
        log.info("Telegram asked to wait %.1f s (429 on %s); every call waits", wait, endpoint)
        self._calm_until = max(self._calm_until, now + wait)

    async def _calm(self, user_chat: int | None = None) -> None:
        """Wait out the last 429's retry_after, and the chat's (checked again once a slot is held:
        a 429 may come meanwhile)."""
        until = self._calm_until
        if user_chat is not None:
            until = max(until, self._chat_calm.get(user_chat, 0.0))
        wait = until - asyncio.get_running_loop().time()
        if wait > 0:
            await asyncio.sleep(wait)

    def _group(self, chat_id: object) -> AsyncLimiter | None:
        """The limiter of a group or channel (a negative id or an @username); None for others."""
        if chat_id is None or not self._group_per_minute:
            return None
        key: str | int
        try:
            key = int(str(chat_id))
        except ValueError:
            key = str(chat_id)
        if isinstance(key, int) and key >= 0:
            return None
        if key not in self._groups and len(self._groups) >= MAX_GROUP_LIMITERS:
            for old, idle in list(self._groups.items()):
                if idle.has_capacity(idle.max_rate):
                    del self._groups[old]
        found = self._groups.get(key)
        if found is None:
            found = self._groups[key] = AsyncLimiter(self._group_per_minute, 60)
        return found


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
