"""A bounded update queue that also bounds the updates being processed.

python-telegram-bot's update fetcher takes each update off ``Application.update_queue`` and, with
concurrent updates, starts a task for it at once; its semaphore only limits how many of those tasks
*run*. Under a flood, waiting tasks would pile up in memory without limit. This queue makes
``get()`` wait until fewer than ``in_flight`` updates are being processed (the Application calls
``task_done()`` after processing each update it took), and its ``maxsize`` makes the updater wait
before fetching more. Together they keep memory flat: the rest of a flood stays queued at
Telegram, in order, so the oldest taps are still answered first.
"""

from __future__ import annotations

import asyncio
from typing import Any


class InFlightBoundedQueue(asyncio.Queue[Any]):
    def __init__(self, maxsize: int, in_flight: int) -> None:
        super().__init__(maxsize)
        self._slots = asyncio.Semaphore(in_flight)

    async def get(self) -> Any:
        await self._slots.acquire()
        try:
            return await super().get()
        except BaseException:
            self._slots.release()
            raise

    def task_done(self) -> None:
        super().task_done()
        self._slots.release()
