"""The singleton work, run by the leader only: started when this replica gains the leadership,
stopped when it loses it.

Each replica builds every service; the ones only one process may run (the campaign sender, the post
sync, the arrivals rounds, ``setWebhook``, the bot menus, the scheduled posts' restore) are
*duties*, declared by their features (:mod:`kooch.app.background`) and registered here with their
start and stop. On SQLite the one process is the leader from the first moment: its duties start
inline, in the order registered, before the bot takes updates, as they always did. On PostgreSQL a
task waits for the election and starts them then, and stops them (in reverse) the moment the
leadership is lost, so two replicas never run them together for longer than one election check; what
they write that must not happen twice is fenced as well.

The periodic jobs (:mod:`kooch.app.background`) and the scheduled posts' one-off jobs
(:func:`leader_job`) are on every replica's JobQueue and return at once on a follower: cheaper
than starting and stopping jobs with the leadership.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from kooch.store.leader import Leader, SoleLeader

log = logging.getLogger(__name__)

Step = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Duty:
    name: str
    start: Step
    stop: Step


async def _nothing() -> None:
    return None


class Leadership:
    """The duties of ``leader``'s replica; :meth:`start` after every service is open."""

    def __init__(self, leader: Leader) -> None:
        self.leader = leader
        self._duties: list[Duty] = []
        self._running: list[Duty] = []
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._leading = False
        #: Terms this replica has led (for /status and the logs).
        self.terms = 0

    @property
    def elected(self) -> bool:
        """The leader is elected among replicas (PostgreSQL); on SQLite the one process leads."""
        return not isinstance(self.leader, SoleLeader)

    @property
    def role(self) -> str:
        return "leader" if self.leader.is_leader else "follower"

    async def add(self, name: str, start: Step, stop: Step = _nothing) -> None:
        """Register a duty; started now if this replica leads already."""
        duty = Duty(name, start, stop)
        async with self._lock:  # not while a new term starts the list: it would start it twice
            self._duties.append(duty)
            if self._leading:
                await self._start_one(duty, inline=isinstance(self.leader, SoleLeader))

    async def start(self) -> None:
        """Begin: the sole leader's duties inline (a failure stops the start-up), else the wait."""
        await self.leader.start()
        if isinstance(self.leader, SoleLeader):
            async with self._lock:
                self.terms += 1
                self._leading = True
                for duty in self._duties:
                    await self._start_one(duty, inline=True)
        self._task = asyncio.create_task(self._follow(), name="kooch-leadership")

    async def close(self) -> None:
        """Stop the duties (reverse order), then give the leadership up."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        async with self._lock:
            await self._stop_all()
        await self.leader.close()

    async def _follow(self) -> None:
        while True:
            epoch = await self.leader.wait_until_leader()
            async with self._lock:
                if not self._leading:
                    self._leading = True
                    self.terms += 1
                    log.info("%s leads (term %d): starting the singleton work", self.leader.name, epoch)
                    for duty in self._duties:
                        await self._start_one(duty, inline=False)
            await self.leader.wait_until_follower()
            async with self._lock:
                log.warning("%s no longer leads: stopping the singleton work", self.leader.name)
                await self._stop_all()

    async def _start_one(self, duty: Duty, *, inline: bool) -> None:
        if inline:
            await duty.start()
        else:
            try:
                await duty.start()
            except asyncio.CancelledError:
                raise
            except Exception:
                # One duty that cannot start (Telegram away for setWebhook) leaves the others running.
                log.exception("the leader's %s did not start", duty.name)
                return
        self._running.append(duty)

    async def _stop_all(self) -> None:
        self._leading = False
        while self._running:
            duty = self._running.pop()
            try:
                await duty.stop()
            except Exception:
                log.exception("the leader's %s did not stop cleanly", duty.name)


C = TypeVar("C")


def leader_job(job: Callable[[C], Coroutine[Any, Any, None]]) -> Callable[[C], Coroutine[Any, Any, None]]:
    """A JobQueue callback that does nothing on a follower (every replica's JobQueue has it)."""

    @functools.wraps(job)
    async def on_leader(context: C) -> None:
        services = context.application.bot_data.get("kooch")  # type: ignore[attr-defined]
        if services is not None and not services.leadership.leader.is_leader:
            return
        await job(context)

    return on_leader
