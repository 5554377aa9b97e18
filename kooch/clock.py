"""Time as a parameter: everything that reads the time asks a :class:`Clock`.

The running bot uses :data:`SYSTEM`; tests pass a :class:`ManualClock` and move it, instead of
waiting out the real clock.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Wall-clock time, Unix seconds: what is stored and shown (``time.time()``)."""
        ...

    def monotonic(self) -> float:
        """Seconds that never go back: for intervals, pacing and time-outs (``time.monotonic()``)."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


#: The real clock.
SYSTEM: Clock = SystemClock()


class ManualClock:
    """A clock that moves only when told to (:meth:`advance`, :meth:`set`)."""

    def __init__(self, now: float = 1_800_000_000.0, monotonic: float = 1_000.0) -> None:
        self._now = now
        self._monotonic = monotonic

    def now(self) -> float:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._monotonic += seconds

    def set(self, now: float) -> None:
        self._now = now
