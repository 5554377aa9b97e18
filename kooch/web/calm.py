"""Page work waits while the event loop is behind, so the taps that share the loop come first.

Kooch answers taps and serves its pages on one event loop, and asyncio has no priorities: a flood
of landing-page loads from the final post would take the loop round by round, and every tap would
wait behind a thousand page responses. :class:`Calm` measures how late the loop wakes a short sleep
(its lag) and lets page handlers start only while that lag is below a threshold, at most
``concurrency`` at a time. A closed-loop flood, where each browser waits for its page before the
next, is throttled by it to what the loop can spare; the requests wait parked, costing nothing, and
are still answered. A page waits at most ``max_wait_s``: the people opening the landing page and
the redirect links are moving too, and a long flood of taps must slow them, not starve them.
The webhook (taps themselves), ``/healthz`` and ``/metrics`` never wait here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

#: How often the loop's lag is sampled, and the lag above which page work waits.
SAMPLE_EVERY_S = 0.002
LAG_THRESHOLD_S = 0.002
#: Page handlers running at once; more wait for a slot even while the loop keeps up.
CONCURRENCY = 8
#: The longest a page waits for the loop to catch up before it is served anyway.
MAX_WAIT_S = 0.05


class Calm:
    """A gate page handlers pass (``async with calm.turn():``); see the module's docstring."""

    def __init__(
        self,
        *,
        threshold_s: float = LAG_THRESHOLD_S,
        every_s: float = SAMPLE_EVERY_S,
        concurrency: int = CONCURRENCY,
        max_wait_s: float = MAX_WAIT_S,
    ) -> None:
        self.threshold_s = threshold_s
        self.max_wait_s = max_wait_s
        self.every_s = every_s
        self._slots = asyncio.Semaphore(concurrency)
        self._calm = asyncio.Event()
        self._calm.set()
        self._sampler: asyncio.Task[None] | None = None
        #: Times a page waited because the loop was behind, since the start; and set from the
        #: first such wait on (what a test or a probe waits for).
        self.held = 0
        self.has_held = asyncio.Event()

    @property
    def behind(self) -> bool:
        return not self._calm.is_set()

    def start(self) -> None:
        if self._sampler is None:
            self._sampler = asyncio.create_task(self._sample(), name="kooch-web-calm")

    async def stop(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
            self._sampler = None
        self._calm.set()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        async with self._slots:
            if not self._calm.is_set():
                self.held += 1
                self.has_held.set()
                await self.settled()
            yield

    async def settled(self) -> None:
        """Return once the loop has caught up, or after ``max_wait_s`` at most."""
        if not self._calm.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._calm.wait(), self.max_wait_s)

    async def _sample(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.every_s)
            lag = loop.time() - before - self.every_s
            if lag > self.threshold_s:
                self._calm.clear()
            else:
                self._calm.set()
