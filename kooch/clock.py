"""Time as a parameter: everything that reads the time asks a :class:`Clock`.

The running bot uses :data:`SYSTEM`; tests pass a :class:`ManualClock` and move it, instead of
waiting out the real clock. The engines that act on time (the sync engine, the campaign runner)
still sleep with asyncio, and moving a manual clock wakes none of them: after moving it, a test
calls the engine's ``wait_idle()``, which wakes it and returns once it has done everything due at
the clock's new time (:class:`Rounds`), instead of sleeping and hoping it is done.
"""

from __future__ import annotations

import asyncio
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


class Rounds:
    """How far a background engine has caught up with what it was asked to do.

    A caller asks (:meth:`ask`, which returns a number) and wakes the engine; the engine notes at
    the start of each round of work how many asks there were then (:attr:`asked`), and when a round
    ends with nothing left to do at the clock's time, reports that number (:meth:`caught_up`).
    :meth:`wait` returns once a round that started after the ask has ended so: everything due by
    then is done. A round that was already under way at the ask does not count, since it may have
    read the state before the caller changed it.
    """

    def __init__(self) -> None:
        self.asked = 0
        self._done = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []

    def ask(self) -> int:
        self.asked += 1
        return self.asked

    def caught_up(self, asked: int) -> None:
        """A round that started when ``asked`` asks had been made ended with nothing to do."""
        self._done = max(self._done, asked)
        waiting = []
        for number, future in self._waiters:
            if number <= self._done:
                if not future.done():
                    future.set_result(None)
            else:
                waiting.append((number, future))
        self._waiters = waiting

    async def wait(self, asked: int) -> None:
        if asked <= self._done:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((asked, future))
        await future
