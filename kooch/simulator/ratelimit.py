"""Sliding-window rate limits shaped like Telegram's flood control.

Telegram does not publish exact algorithms, only guidance: about 30 messages per
second overall, about one per second per chat, about 20 per minute per group or
channel. A sliding window per key reproduces the observable behaviour (a 429 with a
``retry_after`` that is the time until the oldest counted send leaves the window),
which is what a bot's retry logic has to cope with.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class Window:
    """At most ``limit`` events in any ``seconds``-long interval."""

    limit: int
    seconds: float

    @classmethod
    def per_second(cls, rate: float) -> Window:
        """Turn a (possibly fractional) per-second rate into a window.

        ``30`` → 30 per 1 s; ``0.5`` → 1 per 2 s.
        """
        if rate <= 0:
            raise ValueError("rate must be positive")
        if rate >= 1:
            return cls(limit=max(1, round(rate)), seconds=1.0)
        return cls(limit=1, seconds=1.0 / rate)

    @classmethod
    def per_minute(cls, count: int) -> Window:
        """``count`` events per 60 s."""
        if count <= 0:
            raise ValueError("count must be positive")
        return cls(limit=count, seconds=60.0)


class SlidingWindowLimiter:
    """Per-key sliding windows; one instance per rule (global, per chat, ...)."""

    __slots__ = ("_events", "window")

    def __init__(self, window: Window) -> None:
        self.window = window
        self._events: dict[object, deque[float]] = {}

    def wait_time(self, key: object, now: float) -> float:
        """Seconds until ``key`` may act again (0 when allowed now)."""
        events = self._events.get(key)
        if events is None:
            return 0.0
        horizon = now - self.window.seconds
        while events and events[0] <= horizon:
            events.popleft()
        if len(events) < self.window.limit:
            return 0.0
        return events[0] + self.window.seconds - now

    def record(self, key: object, now: float) -> None:
        """Count one event for ``key`` at ``now``."""
        events = self._events.get(key)
        if events is None:
            events = self._events[key] = deque()
        events.append(now)


def retry_after_seconds(wait: float, floor: int) -> int:
    """Telegram's ``retry_after`` is a whole number of seconds, at least 1."""
    return max(1, floor, math.ceil(wait - 1e-9))


@dataclass(slots=True)
class Fault:
    """An injected failure: the next ``remaining`` calls of a method fail this way."""

    remaining: int
    error_code: int
    description: str
    retry_after: int | None


@dataclass(slots=True)
class RateLimits:
    """Active flood-control rules (see :meth:`Faults.set_rate_limits`)."""

    global_limiter: SlidingWindowLimiter | None
    per_chat_limiter: SlidingWindowLimiter | None
    per_channel_limiter: SlidingWindowLimiter | None
    edits_limiter: SlidingWindowLimiter | None
    retry_after_floor: int
    #: Paid broadcasts (``allow_paid_broadcast``): counted here instead of the global limiter.
    paid_limiter: SlidingWindowLimiter | None = None
