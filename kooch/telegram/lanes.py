"""Three lanes for updates: operators and taps never wait behind rate-limited sends.

A tap (a callback query) must be answered within seconds, and answering is not a message: no
sending limit applies to it. A private message usually is answered by one, and Telegram's limits
(about 30 messages a second in all, one a second per chat) make those replies wait. With one
in-flight budget for both, 1,500 people sending /start just before 300 taps hold every slot while
their replies go out at 30 a second, and the taps, queued behind, are answered too late
("query is too old"). So each kind gets its own lane: its own in-flight budget and its own
backlog, both bounded.

Operators get a third lane, first of all: on the day, tens of thousands of subscribers' /start
arrive while an operator needs /stats now. An operator's update (a message in their private chat
with the bot, or any button they press) is handed out ahead of every other lane, in a budget
subscribers cannot fill, and the replies its handler sends go ahead of the subscribers' replies
at the rate limiter (:func:`kooch.telegram.ratelimit.urgent`, entered here for each operator
update). Who the operators are is read at each update (:attr:`LanedUpdateQueue.operators`: the
config in force, so a reload applies at once).

:class:`LanedUpdateQueue` is the Application's update queue. python-telegram-bot's update fetcher
starts a task for each update it takes off the queue at once, so the queue is where in-flight is
bounded: ``get()`` hands out the oldest update of a lane that has room (operators first, then
taps), and ``put()`` waits while the update's lane has a full backlog, so a flood stays queued at
Telegram, in order, instead of in memory. :class:`LanedUpdateProcessor` gives a lane its slot
back when an update's processing ends, and reports it finished like
:class:`~kooch.telegram.intake.TrackingUpdateProcessor` (the polling intake's done-tracking is
unchanged).

Anything put that is not an :class:`telegram.Update` (python-telegram-bot's stop signal) comes
out only once every lane is empty, as it would from a plain FIFO queue. Within a lane, updates
come out in the order they were put, so one chat's messages keep their order (an operator's
private chat is all in their lane).
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from telegram import Chat, Update

from kooch.telegram.intake import TrackingUpdateProcessor
from kooch.telegram.ratelimit import urgent


class Lane(enum.Enum):
    """The lanes, in the order :meth:`LanedUpdateQueue.get` serves them."""

    #: Operators' commands, replies and button presses: few, and someone is waiting for each.
    OPERATORS = "operators"
    #: Subscribers' button presses (callback queries): Telegram's deadline.
    TAPS = "taps"
    #: Everything else: /start, messages, channel posts, member updates.
    OTHERS = "others"


#: The lanes in serving order, and each one's place in it: iterating the Enum on every update
#: showed in the tap path's profile (py-spy), these are built once.
SERVED: tuple[Lane, ...] = tuple(Lane)
_RANK: dict[Lane, int] = {lane: i for i, lane in enumerate(SERVED)}


def lane_of(item: object, operators: Collection[int] = frozenset()) -> Lane | None:
    """The lane of an update (``operators``: the operators' user ids); ``None`` for anything else
    put on the queue."""
    if not isinstance(item, Update):
        return None
    user = item.effective_user
    if user is not None and user.id in operators:
        chat = item.effective_chat
        if item.callback_query is not None or (chat is not None and chat.type == Chat.PRIVATE):
            return Lane.OPERATORS
    return Lane.TAPS if item.callback_query is not None else Lane.OTHERS


@dataclass(frozen=True)
class Budget:
    #: Updates of the lane being processed at once.
    in_flight: int
    #: Updates of the lane queued, not yet taken.
    backlog: int

    def __post_init__(self) -> None:
        if self.in_flight < 1 or self.backlog < 1:
            raise ValueError(f"a lane needs room for at least one update: {self}")


class LanedUpdateQueue(asyncio.Queue[Any]):
    """The Application's update queue, with one bounded lane per :class:`Lane`."""

    def __init__(self, budgets: Mapping[Lane, Budget]) -> None:
        missing = set(Lane) - set(budgets)
        if missing:
            raise ValueError(f"no budget for {sorted(lane.value for lane in missing)}")
        self.budgets = dict(budgets)
        #: The operators' user ids, read at each update put (the runner points it at the config
        #: in force once the services are open; until then nobody is an operator).
        self.operators: Callable[[], Collection[int]] = frozenset
        self._waiting: dict[Lane, deque[Update]] = {lane: deque() for lane in Lane}
        self._running: dict[Lane, int] = dict.fromkeys(Lane, 0)
        #: Updates handed out and not yet finished, by identity: an update processed some other
        #: way (not taken from here) takes no slot and gives none back.
        self._taken: dict[int, Lane] = {}
        self._control: deque[Any] = deque()
        self._changed = asyncio.Event()
        super().__init__()  # unbounded as asyncio sees it: the lanes bound themselves

    @property
    def capacity(self) -> int:
        """The most updates the lanes hold, queued and in flight together."""
        return sum(b.in_flight + b.backlog for b in self.budgets.values())

    @property
    def in_flight(self) -> int:
        """The most updates processed at once, all lanes together."""
        return sum(b.in_flight for b in self.budgets.values())

    def running(self, lane: Lane) -> int:
        return self._running[lane]

    def waiting(self, lane: Lane) -> int:
        return len(self._waiting[lane])

    def lane_of(self, item: object) -> Lane | None:
        """The lane ``item`` goes in, by the operators in force now."""
        return lane_of(item, self.operators())

    def rank(self, item: object) -> int:
        """Where ``item`` comes in the order lanes are served (0 first): a batch put in this
        order never holds an operator's update behind a subscriber's waiting for room."""
        lane = self.lane_of(item)
        return len(SERVED) if lane is None else _RANK[lane]

    def lane_taken(self, update: object) -> Lane | None:
        """The lane of an update handed out and not yet finished (None: not taken from here)."""
        return self._taken.get(id(update))

    # asyncio.Queue keeps its items in ``_queue`` through these hooks; here the lanes do.
    def _init(self, maxsize: int) -> None:
        pass

    def _put(self, item: Any) -> None:
        lane = self.lane_of(item)
        if lane is None:
            self._control.append(item)
        else:
            self._waiting[lane].append(item)
        self._changed.set()

    def _get(self) -> Any:
        lane = self._ready_lane()
        if lane is not None:
            update = self._waiting[lane].popleft()
            self._running[lane] += 1
            self._taken[id(update)] = lane
        elif not any(self._waiting.values()):
            return self._control.popleft()
        else:
            # get_nowait() with no lane free: only python-telegram-bot's shutdown drain does that,
            # and what it takes is dropped, not processed (polling fetches it again).
            lane = next(lane for lane in SERVED if self._waiting[lane])
            update = self._waiting[lane].popleft()
        self._changed.set()
        return update

    def qsize(self) -> int:
        return sum(len(w) for w in self._waiting.values()) + len(self._control)

    def empty(self) -> bool:
        return self.qsize() == 0

    def full(self) -> bool:
        return False

    def _ready_lane(self) -> Lane | None:
        for lane in SERVED:  # operators first (someone is waiting), then taps (they have a deadline)
            if self._waiting[lane] and self._running[lane] < self.budgets[lane].in_flight:
                return lane
        return None

    def _ready(self) -> bool:
        return self._ready_lane() is not None or (bool(self._control) and not any(self._waiting.values()))

    async def get(self) -> Any:
        while not self._ready():
            self._changed.clear()
            await self._changed.wait()
        return self.get_nowait()

    async def put(self, item: Any) -> None:
        lane = self.lane_of(item)
        if lane is not None:
            backlog = self.budgets[lane].backlog
            while len(self._waiting[lane]) >= backlog:
                self._changed.clear()
                await self._changed.wait()
        self.put_nowait(item)

    def finished(self, update: object) -> None:
        """``update``'s processing ended: its lane has a slot free again."""
        lane = self._taken.pop(id(update), None)
        if lane is not None:
            self._running[lane] -= 1
            self._changed.set()


class LanedUpdateProcessor(TrackingUpdateProcessor):
    """Processes the updates ``queue`` hands out (up to its lanes' budgets together), gives each
    one's slot back when it ends, and reports it finished to the intake. An operator's update is
    processed :func:`~kooch.telegram.ratelimit.urgent`: its sends go ahead of the others'."""

    def __init__(self, queue: LanedUpdateQueue) -> None:
        super().__init__(queue.in_flight)
        self.queue = queue

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        # The semaphore PTB holds around this is as wide as all lanes together, so it never
        # blocks: the lanes are the bound, and this is where a slot is given back.
        operators = self.queue.lane_taken(update) is Lane.OPERATORS
        try:
            with urgent() if operators else nullcontext():
                await super().do_process_update(update, coroutine)
        finally:
            self.queue.finished(update)
