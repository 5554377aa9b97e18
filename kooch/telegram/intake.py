"""Kooch's own update intake in polling mode: confirm to Telegram only what is safe to lose.

python-telegram-bot's Updater confirms a batch (by asking getUpdates for the next offset) as soon
as it has *queued* it, before any handler ran: a crash loses up to everything in hand, ~1,300 taps
in a flood. Here an update is confirmed only once it is **spooled** (durable in the ``inbox`` table,
:class:`UpdateSpool`) or **finished** (its handling returned):

- Each fetched batch is handed to the Application at once and, in parallel, written to the spool
  in one store write. That write rides the store's group commit, so it usually shares its fsync
  with the taps being committed at that moment. The next getUpdates, whose ``offset`` confirms the
  batch, is sent only after that commit: the offset runs ahead of the handlers, one slow update
  (a /stats chart) holds up nothing, and concurrency stays what the Application allows.
- When an update finishes, its spool row is deleted (in batches, riding later commits). What is
  left in the spool after a crash is handed to the Application again at the next start, before
  polling; the saved offset (written with every spooled batch) makes the first getUpdates confirm
  exactly what the spool holds, so nothing is fetched twice.
- If the spool cannot be written (disk full, read-only database), the batch is still handled and
  the offset advances only past updates that finished, the lowest unfinished one first (the
  :class:`Ledger` watermark): slower, head-of-line blocked, but nothing is lost either. Updates
  Telegram delivers again meanwhile (every update at or above the offset comes back) are
  recognised by id and skipped.

Handling must be idempotent, because an update in the spool may have been handled before the
crash: a tap is stored once (the store ignores a repeated (channel, user)) and answered "already
recorded"; an answer Telegram refuses as too old is dropped quietly
(:func:`kooch.telegram.ratelimit.KoochRateLimiter`).

Completion is observed by :class:`TrackingUpdateProcessor`, the Application's update processor:
it awaits each update's processing (all of Kooch's handlers block, so that is the whole handling)
and then tells the intake.

Only one process may poll a token. A poll waiting at Telegram is ended with 409 Conflict
("terminated by other getUpdates request") when another poll arrives: the newest poll wins. A Kooch
that is already running answers one such 409 by polling again at once, which ends the newcomer's
poll with a 409 in turn. Both see the same thing, a first poll ended by a later one, so what tells
them apart is time: the newcomer's poll is ended within the running one's reaction time, while the
running one has been polling for at least the newcomer's start-up time. So a Kooch that gets a 409
before any poll of its own ended normally *and* less than :data:`ESTABLISHED_AFTER_S` after it
began polling is the newcomer, and stops (a running Kooch's first long poll, still waiting when
the newcomer arrives, must not count as new: that made the running one give way instead). A
running one that gets two in a row stops too: the other keeps polling. It then sets
:attr:`Intake.failed`; the runner ends the run with the message, exit code 69 (EX_UNAVAILABLE). So
deploy polling mode stop-then-start, never overlapping.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from datetime import timedelta
from typing import Any, Protocol

from telegram import Update
from telegram.error import BadRequest, Conflict, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, BaseUpdateProcessor

from kooch.telegram.updates import ALLOWED_UPDATES

log = logging.getLogger(__name__)

#: Updates per getUpdates call (Telegram's maximum).
LIMIT = 100
#: Longest wait between retries after a network error, seconds.
MAX_BACKOFF_S = 30.0
#: A Kooch polling this long is not the newcomer when a 409 ends its poll: well above how long a
#: running Kooch takes to poll again after a 409 (milliseconds), well below how long a Kooch
#: takes from starting to its first poll (about a second: imports, getMe, opening the database).
ESTABLISHED_AFTER_S = 0.5

_SPOOLED = 1
_FINISHED = 2


class Ledger:
    """Which fetched updates may be confirmed to Telegram, and which spool rows may be dropped.

    Plain bookkeeping, no I/O. Update ids arrive in increasing order (every getUpdates returns the
    lowest unconfirmed ones). :attr:`offset` is the next getUpdates offset: every update below it
    is spooled or finished (or was confirmed before this run).
    """

    def __init__(self, offset: int = 0) -> None:
        self.offset = offset
        #: Fetched ids at or above :attr:`offset`, in order; the first is the lowest unresolved.
        self._order: deque[int] = deque()
        #: Flags of the ids in ``_order``, and of spooled ids below the offset not yet finished.
        self._state: dict[int, int] = {}
        self._unfinished = 0
        self._forget: list[int] = []

    @property
    def held(self) -> int:
        """Updates taken (fetched or restored) whose handling has not finished."""
        return self._unfinished

    def restore(self, update_ids: Iterable[int]) -> None:
        """Updates found in the spool at start-up: held, spooled, and confirmed below ``offset``."""
        for update_id in update_ids:
            if update_id in self._state:
                continue
            self._state[update_id] = _SPOOLED
            self._unfinished += 1
            self.offset = max(self.offset, update_id + 1)

    def admit(self, update_ids: Iterable[int]) -> list[int]:
        """The ids of a fetched batch that are new (not a re-delivery of one in hand), now held."""
        batch = list(update_ids)
        if batch and not self._order:
            # getUpdates returns the lowest unconfirmed updates: none is pending below this one.
            self.offset = max(self.offset, min(batch))
        fresh: list[int] = []
        for update_id in batch:
            if update_id < self.offset or update_id in self._state:
                continue
            if self._order and update_id < self._order[-1]:
                continue  # not in Telegram's order: nothing to base a confirmation on
            self._state[update_id] = 0
            self._order.append(update_id)
            self._unfinished += 1
            fresh.append(update_id)
        return fresh

    def frontier(self, assume_spooled: Collection[int] = ()) -> int:
        """The offset once the ``assume_spooled`` ids are spooled (what a spool write saves)."""
        offset = self.offset
        for update_id in self._order:
            if self._state[update_id] == 0 and update_id not in assume_spooled:
                return update_id
            offset = update_id + 1
        return offset

    def spooled(self, update_ids: Iterable[int]) -> None:
        """These admitted updates are durable in the spool."""
        for update_id in update_ids:
            state = self._state.get(update_id)
            if state is None:
                self._forget.append(update_id)  # finished (and passed) before its row was written
                continue
            if state & _SPOOLED:
                continue
            if state & _FINISHED:
                self._forget.append(update_id)
            self._state[update_id] = state | _SPOOLED
        self._advance()

    def finished(self, update_id: int) -> bool:
        """This update's handling returned; True if a spool row can now be dropped."""
        state = self._state.get(update_id)
        if state is None or state & _FINISHED:
            return False  # not ours (a webhook update) or already counted
        self._unfinished -= 1
        forget = bool(state & _SPOOLED)
        if forget:
            self._forget.append(update_id)
        if update_id < self.offset:
            del self._state[update_id]
        else:
            self._state[update_id] = state | _FINISHED
            self._advance()
        return forget

    def take_forgotten(self) -> list[int]:
        """Spooled ids whose handling finished, to delete from the spool (each returned once)."""
        taken, self._forget = self._forget, []
        return taken

    def give_back(self, update_ids: Sequence[int]) -> None:
        """Ids from :meth:`take_forgotten` whose delete did not commit: try again later."""
        self._forget[:0] = update_ids

    def _advance(self) -> None:
        order, state = self._order, self._state
        while order and state[order[0]] != 0:
            update_id = order.popleft()
            self.offset = update_id + 1
            if state[update_id] & _FINISHED:
                del state[update_id]


class UpdateSpool(Protocol):
    """Where fetched updates are kept until handled (:class:`kooch.store.inbox.Inbox`)."""

    async def load(self) -> tuple[int, list[str]]:
        """The saved next offset (0: none) and the spooled updates' JSON, oldest first."""
        ...

    async def save(self, rows: Sequence[tuple[int, str]], next_offset: int, forget: Sequence[int]) -> None:
        """Spool ``rows`` (id, JSON), save ``next_offset``, drop ``forget``: one commit."""
        ...

    async def forget(self, update_ids: Sequence[int]) -> None:
        """Drop handled updates."""
        ...


class TrackingUpdateProcessor(BaseUpdateProcessor):
    """Processes updates concurrently (up to the bound) and reports each one finished.

    ``on_done`` is called once an update's processing returned or raised, never when it was
    cancelled (then it did not finish, and must be handled again)."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self.on_done: Callable[[object], None] | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await coroutine
        except asyncio.CancelledError:
            raise
        except Exception:
            self._done(update)
            raise
        self._done(update)

    def _done(self, update: object) -> None:
        if self.on_done is not None:
            self.on_done(update)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""


class IntakeStopped(Exception):
    """Polling cannot go on; the message is for the operator."""


def another_poller(description: str) -> str:
    return (
        f"another process is taking this bot's updates (Telegram said: {description}). Only one "
        "Kooch may poll a bot token: stop the other one, or give this one its own bot, then start again."
    )


App = Application[Any, Any, Any, Any, Any, Any]
#: getUpdates(offset, limit, timeout): the updates Telegram has, parsed.
Fetch = Callable[[int | None, int, float], Awaitable[Sequence[Update]]]


class Intake:
    """Polls getUpdates for ``app``, spools what it fetches in ``spool``, and confirms to Telegram
    only what is spooled or handled. Holds at most ``capacity`` unfinished updates, and puts each
    fetched batch on the queue in ``order`` (a rank per update, lowest first; None: as fetched)."""

    def __init__(
        self,
        app: App,
        spool: UpdateSpool,
        *,
        capacity: int,
        poll_timeout: float,
        order: Callable[[Update], int] | None = None,
        as_sent: Callable[[int], str | None] | None = None,
        fetch: Fetch | None = None,
    ) -> None:
        if capacity < LIMIT:
            raise ValueError(f"capacity must be at least {LIMIT}")
        self._app = app
        self._spool = spool
        #: An update as Telegram sent it (the getUpdates transport keeps them): spooled as it is,
        #: which costs far less than turning the parsed Update back into JSON (to_dict).
        self._as_sent = as_sent or (lambda _update_id: None)
        #: getUpdates (default: the bot's own); Kooch's transport parses a tap's post once.
        self._fetch: Fetch = fetch or self._bot_get_updates
        self._capacity = capacity
        self._poll_timeout = poll_timeout
        #: The order a batch is put on the queue in (a stable sort): a queue with lanes puts
        #: an operator's update before a subscriber's that would wait for room.
        self._order = order
        self.ledger = Ledger()
        #: Set when an update finishes: room for more, and perhaps a higher offset.
        self._progress = asyncio.Event()
        self._forgettable = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._forgetter: asyncio.Task[None] | None = None
        #: Set once polling stopped on a problem it cannot get past; :attr:`failure` says which.
        self.failed = asyncio.Event()
        self.failure: str | None = None
        #: True while the poller waits for the spool's commit (a stalled disk stalls polling).
        self.waiting_for_store = False

    @property
    def held(self) -> int:
        return self.ledger.held

    async def start(self) -> None:
        """Hand the spool's leftovers to the Application, then poll (in a task)."""
        processor = self._app.update_processor
        if not isinstance(processor, TrackingUpdateProcessor):
            raise TypeError("the Application needs a TrackingUpdateProcessor (concurrent_updates)")
        processor.on_done = self.finished
        # Polling and a webhook exclude each other: coming back from webhook mode just works.
        await self._app.bot.delete_webhook(drop_pending_updates=False)
        offset, bodies = await self._spool.load()
        replay = [Update.de_json(json.loads(body), self._app.bot) for body in bodies]
        self.ledger = Ledger(offset)
        self.ledger.restore(u.update_id for u in replay)
        if replay:
            log.info("handling %d updates fetched before the last stop again", len(replay))
        self._forgetter = asyncio.create_task(self._forget_loop(), name="kooch-intake-forget")
        self._task = asyncio.create_task(self._run(replay), name="kooch-intake")

    async def stop(self) -> None:
        """Stop fetching (an unconfirmed batch in flight comes again next time). Idempotent."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def close(self) -> None:
        """After the Application stopped: drop the spool rows of what finished meanwhile."""
        await self.stop()
        if self._forgetter is not None:
            self._forgetter.cancel()
            await asyncio.gather(self._forgetter, return_exceptions=True)
            self._forgetter = None
        await self._forget_now()

    def finished(self, update: object) -> None:
        """Called by the processor when an update's handling returned."""
        if not isinstance(update, Update):
            return
        if self.ledger.finished(update.update_id):
            self._forgettable.set()
        self._progress.set()

    # ----------------------------------------------------------------------------- polling

    async def _run(self, replay: list[Update]) -> None:
        try:
            for update in replay:
                await self._app.update_queue.put(update)
            await self._poll()
        except IntakeStopped as exc:
            self._fail(str(exc))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("the update intake failed")
            self._fail(f"taking updates from Telegram failed: {exc!r}")

    async def _bot_get_updates(self, offset: int | None, limit: int, timeout: float) -> Sequence[Update]:
        updates: Sequence[Update] = await self._app.bot.get_updates(
            offset=offset, limit=limit, timeout=timeout, allowed_updates=ALLOWED_UPDATES
        )
        return updates

    async def _poll(self) -> None:
        polled = False  # has a poll of ours ended normally?
        conflicts = 0  # 409s in a row
        backoff = 1.0
        loop = asyncio.get_running_loop()
        began = loop.time()
        while True:
            await self._wait(lambda: self.held <= self._capacity - LIMIT)
            offset = self.ledger.offset
            try:
                updates = await self._fetch(offset or None, LIMIT, self._poll_timeout)
            except Conflict as exc:
                conflicts += 1
                newcomer = not polled and loop.time() - began < ESTABLISHED_AFTER_S
                if newcomer or conflicts > 1:
                    raise IntakeStopped(another_poller(exc.message)) from None
                log.warning("another getUpdates ended ours (%s); polling again", exc.message)
                continue
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
                continue
            except TimedOut:
                continue
            except NetworkError as exc:
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            except TelegramError as exc:
                raise IntakeStopped(f"Telegram refused getUpdates: {exc}") from None
            polled, conflicts, backoff = True, 0, 1.0
            fresh = set(self.ledger.admit(u.update_id for u in updates))
            batch = [u for u in updates if u.update_id in fresh]
            if not batch:
                if updates:
                    # Only re-deliveries of updates in hand (the spool failed): polling again
                    # before one of them finishes would fetch the same ones again.
                    await self._wait(self._moved_past(offset))
                continue
            spooling = asyncio.create_task(self._save(batch))
            for update in batch if self._order is None else sorted(batch, key=self._order):
                await self._app.update_queue.put(update)
            await spooling

    async def _save(self, batch: list[Update]) -> None:
        ids = [u.update_id for u in batch]
        rows = [(u.update_id, self._as_sent(u.update_id) or _as_json(u)) for u in batch]
        forget = self.ledger.take_forgotten()
        self.waiting_for_store = True
        try:
            await self._spool.save(rows, self.ledger.frontier(assume_spooled=set(ids)), forget)
        except asyncio.CancelledError:
            self.ledger.give_back(forget)
            raise
        except Exception as exc:
            # Still handled: confirmed only once finished (slower, but nothing is lost).
            log.warning("could not spool %d updates (%s); confirming them once handled", len(ids), exc)
            self.ledger.give_back(forget)
            return
        finally:
            self.waiting_for_store = False
        self.ledger.spooled(ids)
        self._forgettable.set()

    def _moved_past(self, offset: int) -> Callable[[], bool]:
        return lambda: self.ledger.offset != offset

    async def _wait(self, condition: Callable[[], bool]) -> None:
        while not condition():
            self._progress.clear()
            await self._progress.wait()

    # ----------------------------------------------------------------------------- the spool's rows

    async def _forget_loop(self) -> None:
        while True:
            await self._forgettable.wait()
            self._forgettable.clear()
            await self._forget_now()

    async def _forget_now(self) -> None:
        ids = self.ledger.take_forgotten()
        if not ids:
            return
        try:
            await self._spool.forget(ids)
        except asyncio.CancelledError:
            self.ledger.give_back(ids)
            raise
        except Exception as exc:
            # The rows stay: handled again at the next start, which changes nothing.
            log.warning("could not drop %d handled updates from the spool: %s", len(ids), exc)

    def _fail(self, message: str) -> None:
        log.error("stopped taking updates: %s", message)
        self.failure = message
        self.failed.set()


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def too_late_to_answer(exc: BadRequest) -> bool:
    """Telegram's answer to answerCallbackQuery once the query expired (or was answered before)."""
    text = exc.message.lower()
    return "query is too old" in text or "query id is invalid" in text


def _as_json(update: Update) -> str:
    """An update as JSON, from python-telegram-bot's parsed object (when the answer's own is not at
    hand: a transport other than Kooch's)."""
    return json.dumps(update.to_dict(), ensure_ascii=False)
