"""Making Telegram misbehave on purpose: injected failures and flood control.

:meth:`Faults.inject_fault` makes the next calls of a method fail with a chosen error
before they do anything (the HTTP front consults :meth:`Faults._take_fault` first);
:meth:`Faults.set_rate_limits` turns on Telegram-like flood control, which the sending
and editing methods consult through :meth:`Faults._consume_rate`.
"""

from __future__ import annotations

import asyncio
from collections import deque

from .errors import ApiError, bad_request
from .models import JSONDict, SimChat
from .ratelimit import Fault, RateLimits, SlidingWindowLimiter, Window, retry_after_seconds
from .world import World

#: Methods subject to the sending rate limits.
SENDING_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument", "copymessage", "forwardmessage"})

#: A Telegram Star in nanostars, and what one paid broadcast message costs (0.1 Star).
NANOSTARS_PER_STAR = 1_000_000_000
NANOSTARS_PER_PAID_MESSAGE = NANOSTARS_PER_STAR // 10


class Faults(World):
    """Injected failures and rate limits."""

    def inject_fault(
        self,
        method: str,
        count: int = 1,
        error_code: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail before doing anything."""
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request: injected fault",
                403: "Forbidden: injected fault",
                409: "Conflict: injected fault",
                429: f"Too Many Requests: retry after {retry_after}",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(error_code, "Injected fault")
        fault = Fault(count, error_code, description, retry_after)
        self._faults.setdefault(method.lower(), deque()).append(fault)

    def hold(self, method: str) -> None:
        """Make calls of ``method`` wait (unanswered) until :meth:`release`: a bot caught between
        two steps, to be killed there. :attr:`held` counts the calls waiting."""
        self._holds.setdefault(method.lower(), asyncio.Event())

    def release(self, method: str) -> None:
        event = self._holds.pop(method.lower(), None)
        if event is not None:
            event.set()

    async def _wait_if_held(self, method_key: str) -> None:
        event = self._holds.get(method_key)
        if event is None:
            return
        self.held += 1
        self._change_pulse.fire()
        try:
            await event.wait()
        finally:
            self.held -= 1

    def _take_fault(self, method_key: str) -> Fault | None:
        queue = self._faults.get(method_key)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        return fault

    def set_rate_limits(
        self,
        global_per_s: float | None = 30.0,
        per_chat_per_s: float | None = 1.0,
        per_channel_per_min: int | None = 20,
        edits_per_chat_per_min: int | None = None,
        retry_after: int = 1,
        paid_per_s: float | None = 1000.0,
    ) -> None:
        """Turn on flood control; ``None`` disables a rule.

        ``per_chat_per_s`` applies to every chat, ``per_channel_per_min`` to channels
        and groups, both to sendMessage/sendPhoto/sendDocument/copyMessage/
        forwardMessage. ``edits_per_chat_per_min`` applies to the edit methods.
        ``retry_after`` is the minimum reported wait; the actual one is the time until
        a slot frees, rounded up. A paid broadcast (``allow_paid_broadcast``) is counted
        against ``paid_per_s`` (Telegram's 1,000) instead of ``global_per_s``.
        """
        self._rate_limits = RateLimits(
            global_limiter=(SlidingWindowLimiter(Window.per_second(global_per_s)) if global_per_s else None),
            per_chat_limiter=(
                SlidingWindowLimiter(Window.per_second(per_chat_per_s)) if per_chat_per_s else None
            ),
            per_channel_limiter=(
                SlidingWindowLimiter(Window.per_minute(per_channel_per_min)) if per_channel_per_min else None
            ),
            edits_limiter=(
                SlidingWindowLimiter(Window.per_minute(edits_per_chat_per_min))
                if edits_per_chat_per_min
                else None
            ),
            retry_after_floor=retry_after,
            paid_limiter=SlidingWindowLimiter(Window.per_second(paid_per_s)) if paid_per_s else None,
        )

    @staticmethod
    def _paid(params: JSONDict) -> bool:
        """The send is a paid broadcast (``allow_paid_broadcast``)."""
        return bool(params.get("allow_paid_broadcast"))

    def _consume_rate(self, chat: SimChat, *, edit: bool, paid: bool = False) -> None:
        """Flood control, then (a paid broadcast) the Stars: 0.1 from the bot's balance."""
        if paid and self.star_balance_nanos < NANOSTARS_PER_PAID_MESSAGE:
            raise bad_request("BALANCE_TOO_LOW: not enough Telegram Stars for a paid broadcast")
        self._consume_window(chat, edit=edit, paid=paid)
        if paid:
            self.star_balance_nanos -= NANOSTARS_PER_PAID_MESSAGE
            self.paid_messages += 1

    def _consume_window(self, chat: SimChat, *, edit: bool, paid: bool) -> None:
        limits = self._rate_limits
        if limits is None:
            return
        now = self.clock.monotonic()
        checks: list[tuple[SlidingWindowLimiter, object]] = []
        if edit:
            if limits.edits_limiter is not None:
                checks.append((limits.edits_limiter, chat.id))
        else:
            overall = limits.paid_limiter if paid else limits.global_limiter
            if overall is not None:
                checks.append((overall, None))
            if limits.per_chat_limiter is not None:
                checks.append((limits.per_chat_limiter, chat.id))
            if limits.per_channel_limiter is not None and not chat.is_private:
                checks.append((limits.per_channel_limiter, chat.id))
        wait = max((limiter.wait_time(key, now) for limiter, key in checks), default=0.0)
        if wait > 0:
            self.throttled_count += 1
            seconds = retry_after_seconds(wait, limits.retry_after_floor)
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        for limiter, key in checks:
            limiter.record(key, now)
