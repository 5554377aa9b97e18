"""The engine that sends reminder campaigns, one campaign at a time, beside the running bot.

Sends go through their own Bot (same token and server, no rate limiter; :mod:`kooch.telegram.bots`):
the Application's ``AIORateLimiter`` would retry 429s on its own and hide them, and caps every bot at
30/s. Here :class:`~kooch.campaigns.model.RateLimiter` sets the pace and every Telegram answer is handled
where it happens:

- 429 (:class:`~kooch.telegram.gateway.RateLimited`): every sender pauses ``retry_after`` and the
  campaign slows down; the same recipient is sent again afterwards (it was not delivered).
- 403 (:class:`~kooch.telegram.gateway.Blocked`: blocked, deactivated): the recipient is
  *unreachable* and the subscriber is marked blocked, so no later campaign tries them again
  (until they /start anew).
- a network error or a 5xx: retried later with backoff (2, 4, … s), at most :data:`MAX_ATTEMPTS`
  times, then *failed* with the reason. Other 400s are failed at once (retrying cannot help).

Exactly-once: each sender commits the previous outcome and its next claim ('sending') in one
transaction *before* the HTTP call (:meth:`CampaignStore.claim`). With ``campaigns.in_flight: 1``
(the default) at most one recipient is 'sending' at any moment, so after ``kill -9`` at most one
recipient can get the reminder twice: the one whose send was in flight. That row is sent again on
resume (never skipped) and counted in the final tally.

Scheduled reminders (``reminders:`` in the config) live in the ``reminders`` table; a timer task
turns each due one into a queued campaign, once. One found overdue by more than
``campaigns.grace_minutes`` (Kooch was down) is not sent unasked: operators get Send now / Cancel.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from kooch.campaigns.model import Audience, CampaignInfo, RateLimiter, backoff_s
from kooch.campaigns.preview import campaign_source, render_reminder
from kooch.campaigns.store import CampaignStore, Outcome, ReminderSpec
from kooch.campaigns.wording import (
    cancel_buttons,
    format_final,
    format_progress,
    missed_reminder_post,
    resumed_note,
)
from kooch.clock import SYSTEM, Clock, Rounds
from kooch.config import Config, ReminderConfig
from kooch.config.holder import ConfigHolder
from kooch.operators.languages import OperatorLanguages
from kooch.store import Store
from kooch.store.db import Database
from kooch.telegram.gateway import Blocked, Gateway, RateLimited, Refused, TelegramFailed, Transient
from kooch.telegram.post import Post

log = logging.getLogger(__name__)

WriteOp = Callable[[Database], Awaitable[Any]]

#: Sends of one recipient, first included, before a transient error counts as a failure.
MAX_ATTEMPTS = 4
#: Pending recipients read from the database at a time.
BATCH = 500
#: The reminder timer re-reads the config and the table at least this often.
REMINDER_TICK_S = 30.0
#: A graceful stop waits this long for the sends in flight before cutting them off.
STOP_TIMEOUT_S = 10.0


def reminder_key(r: ReminderConfig) -> str:
    """Stable id of a configured reminder: its time and audience (a text edit keeps the key)."""
    raw = f"{r.at:.0f}|{r.audience}|{r.channel}|{r.language}"
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def reminder_specs(config: Config) -> list[ReminderSpec]:
    return [
        ReminderSpec(reminder_key(r), r.at, r.texts, Audience(r.audience, r.channel, r.language))
        for r in config.reminders
    ]


def ack_channel(config: Config, audience: Audience) -> str | None:
    """The channel whose "I've moved" button a reminder carries: the audience's, else the only one."""
    if audience.channel is not None:
        return audience.channel
    return config.channels[0].key if len(config.channels) == 1 else None


@dataclass(order=True)
class _Retry:
    not_before: float
    user_id: int
    language: str | None = field(compare=False)
    attempts: int = field(compare=False)


@dataclass
class _Item:
    user_id: int
    language: str | None
    attempts: int


class _Run:
    """One campaign being sent: its queue of recipients, its pace, its stop signal."""

    def __init__(self, info: CampaignInfo, store: CampaignStore, limiter: RateLimiter, clock: Clock) -> None:
        self.info = info
        self.store = store
        self.limiter = limiter
        self.clock = clock
        #: Sent as a paid broadcast (``allow_paid_broadcast``).
        self.paid = False
        self.halt = asyncio.Event()
        self.cancelled = False
        self.started = clock.monotonic()
        self.sent_times: deque[float] = deque()
        #: Sends found in flight at a restart and sent again; None: not resumed.
        self.resent: int | None = None
        self._buffer: deque[_Item] = deque()
        self._after = 0
        self._exhausted = False
        self._retries: list[_Retry] = []
        self._lock = asyncio.Lock()

    def note(self, language: str) -> str:
        """The progress message's last line: resumed after a restart, or nothing."""
        return "" if self.resent is None else resumed_note(self.resent, language)

    @property
    def id(self) -> int:
        return self.info.id

    async def wait_halt(self, seconds: float) -> bool:
        """Sleep ``seconds`` unless halted first; True if halted."""
        if seconds <= 0:
            return self.halt.is_set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.halt.wait(), seconds)
        return self.halt.is_set()

    def retry_later(self, item: _Item, delay: float) -> None:
        heapq.heappush(
            self._retries, _Retry(self.clock.monotonic() + delay, item.user_id, item.language, item.attempts)
        )

    async def next_item(self) -> _Item | None:
        async with self._lock:
            while not self.halt.is_set():
                now = self.clock.monotonic()
                if self._retries and self._retries[0].not_before <= now:
                    r = heapq.heappop(self._retries)
                    return _Item(r.user_id, r.language, r.attempts)
                if not self._buffer and not self._exhausted:
                    batch = await self.store.pending_batch(self.id, self._after, BATCH)
                    if not batch:
                        self._exhausted = True
                    for user_id, language, attempts in batch:
                        self._buffer.append(_Item(user_id, language, attempts))
                        self._after = user_id
                if self._buffer:
                    return self._buffer.popleft()
                if not self._retries:
                    return None
                await self.wait_halt(self._retries[0].not_before - now)
            return None

    def rate(self) -> float:
        """Messages per second over the last 10 s (or since the start)."""
        now = self.clock.monotonic()
        while self.sent_times and self.sent_times[0] < now - 10.0:
            self.sent_times.popleft()
        span = min(10.0, max(now - self.started, 1e-3))
        return len(self.sent_times) / span


class CampaignRunner:
    """Runs queued campaigns one after another and fires scheduled reminders.

    ``sender`` sends to subscribers (a plain Bot, no rate limiter: the runner sets the pace);
    ``ui`` edits the operators' progress messages (the Application's bot). The runner initializes
    and shuts down ``sender`` itself.
    """

    def __init__(
        self,
        store: Store,
        config: ConfigHolder,
        sender: Gateway,
        ui: Gateway,
        *,
        clock: Clock = SYSTEM,
        languages: OperatorLanguages | None = None,
        fence: Callable[[WriteOp], WriteOp] | None = None,
        poll_s: float = REMINDER_TICK_S,
        on_outcome: Callable[[str], None] | None = None,
    ) -> None:
        self.campaigns = CampaignStore(store, fence)
        #: Adds what is personal to a recipient's reminder (their move-code links, issue 27):
        #: (user id, channel key, language, post) → post. Set by the composition root.
        self.personalize: Callable[[int, str | None, str | None, Post], Awaitable[Post]] | None = None
        #: Told each send's final state (``sent``, ``unreachable``, ``failed``): the metrics.
        self.on_outcome = on_outcome
        #: How often the loop looks for a queued campaign unpoked: another replica's operator
        #: queues (or cancels) it in the database, where only a poll sees it.
        self.poll_s = poll_s
        #: Progress and notices are written in each operator's language.
        self.languages = languages if languages is not None else OperatorLanguages()
        self.config = config
        self.sender = sender
        self.ui = ui
        self.clock = clock
        self.active: _Run | None = None
        # One per loop: a loop that wakes must not take the other's wake-up away.
        self._wake_campaigns = asyncio.Event()
        self._wake_reminders = asyncio.Event()
        self._campaign_rounds = Rounds()
        self._reminder_rounds = Rounds()
        self._stopping = False
        self._tasks: list[asyncio.Task[None]] = []
        self._resent: dict[int, int] = {}

    # ----------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Recover sends cut off by an abrupt stop, sync the reminders, and start working."""
        self._stopping = False
        await self.sender.initialize()
        self._resent = await self.campaigns.recover_in_flight()
        for campaign_id, n in self._resent.items():
            log.warning(
                "campaign #%d: %d send(s) were in flight at an abrupt stop; sending again", campaign_id, n
            )
        await self.campaigns.sync_reminders(reminder_specs(self.config.current))
        self._tasks = [
            asyncio.create_task(self._campaign_loop(), name="kooch-campaigns"),
            asyncio.create_task(self._reminder_loop(), name="kooch-reminders"),
        ]

    async def stop(self) -> None:
        """Let the send in flight finish (the rest stays pending for the next start), then stop."""
        self._stopping = True
        if self.active is not None:
            self.active.halt.set()
        self.poke()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.sender.shutdown()

    async def reminders_changed(self) -> None:
        """The config's reminders changed (a reload): the schedule follows now, not at the next
        tick, so /campaigns lists a new reminder at once and a near one is sent on time."""
        await self.campaigns.sync_reminders(reminder_specs(self.config.current))
        self.poke()

    def poke(self) -> None:
        """Wake the loops: a campaign was queued or a reminder changed."""
        self._wake_campaigns.set()
        self._wake_reminders.set()

    async def wait_idle(self) -> None:
        """Return once every reminder due at the clock's time has been queued (or reported missed)
        and every queued campaign has run to its end.

        What a test waits on after a change (or after moving a manual clock), instead of sleeping.
        """
        asked = self._reminder_rounds.ask()
        self.poke()
        await self._reminder_rounds.wait(asked)
        asked = self._campaign_rounds.ask()
        self.poke()
        await self._campaign_rounds.wait(asked)

    # ----------------------------------------------------------------------------- operator actions

    async def submit(
        self,
        texts: dict[str, str],
        audience: Audience,
        operator_id: int | None,
        progress: tuple[int, int] | None = None,
        free_rate: bool = False,
    ) -> int:
        """Queue a campaign; ``progress`` is the (chat id, message id) that will show its progress;
        ``free_rate``: sent unpaid at the free rate, whatever ``campaigns.paid`` says."""
        campaign_id = await self.campaigns.create(
            texts, audience, operator_id, progress=progress, free_rate=free_rate
        )
        self.poke()
        return campaign_id

    async def cancel(self, campaign_id: int) -> bool:
        """Stop a running campaign (the send in flight finishes) or drop a queued one."""
        run = self.active
        if run is not None and run.id == campaign_id:
            run.cancelled = True
            run.halt.set()
        return await self.campaigns.set_state(campaign_id, "cancelled", ("queued", "running"))

    async def send_reminder_now(self, key: str) -> int | None:
        """An operator's "Send now" on a missed reminder: queue it, once."""
        campaign_id = await self.campaigns.start_reminder(key, ("missed", "scheduled"))
        self.poke()
        return campaign_id

    async def cancel_reminder(self, key: str) -> bool:
        return await self.campaigns.set_reminder_state(key, "cancelled", ("scheduled", "missed"))

    def current_rate(self) -> float:
        return self.active.rate() if self.active is not None else 0.0

    # ----------------------------------------------------------------------------- loops

    @staticmethod
    async def _wait_poke(wake: asyncio.Event, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout)
        wake.clear()

    async def _campaign_loop(self) -> None:
        while not self._stopping:
            try:
                asked = self._campaign_rounds.asked
                info = await self.campaigns.next_to_run()
                if info is None:
                    self._campaign_rounds.caught_up(asked)
                    await self._wait_poke(self._wake_campaigns, self.poll_s)
                    continue
                await self._run(info)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the campaign loop failed; retrying in 5 s")
                await self._wait_poke(self._wake_campaigns, 5.0)

    async def _reminder_loop(self) -> None:
        version = self.config.current.version
        while not self._stopping:
            try:
                asked = self._reminder_rounds.asked
                config = self.config.current
                if config.version != version:
                    version = config.version
                    await self.campaigns.sync_reminders(reminder_specs(config))
                next_due = await self._fire_due_reminders(config)
                self._reminder_rounds.caught_up(asked)
                wait = REMINDER_TICK_S
                if next_due is not None:
                    wait = min(REMINDER_TICK_S, next_due - self.clock.now())
                await self._wait_poke(self._wake_reminders, max(0.05, wait))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the reminder timer failed; retrying in 5 s")
                await self._wait_poke(self._wake_reminders, 5.0)

    async def _fire_due_reminders(self, config: Config) -> float | None:
        """Queue each due reminder (or report it missed); return the next due time, if any."""
        now = self.clock.now()
        next_due: float | None = None
        for r in await self.campaigns.reminders(("scheduled",)):
            if r.due_at > now:
                next_due = r.due_at if next_due is None else min(next_due, r.due_at)
                continue
            if now - r.due_at <= config.campaigns.grace_s:
                campaign_id = await self.campaigns.start_reminder(r.key, ("scheduled",))
                if campaign_id is not None:
                    log.info("reminder %s due: queued as campaign #%d", r.key, campaign_id)
                    self._wake_campaigns.set()
                continue
            if await self.campaigns.set_reminder_state(r.key, "missed", ("scheduled",)):
                await self._tell_operators(config, partial(missed_reminder_post, config, r))
        return next_due

    async def _tell_operators(self, config: Config, post: Callable[[str], Post]) -> list[tuple[int, int]]:
        """Send ``post`` (written in each operator's language) to every operator."""
        sent = []
        for operator in sorted(config.operators):
            try:
                message = await self.ui.send_post(operator, post(self.languages.of(config, operator)))
            except TelegramFailed as exc:
                log.info("could not tell operator %d about a campaign: %s", operator, exc.description)
                continue
            sent.append((message.chat_id, message.message_id))
        return sent

    # ----------------------------------------------------------------------------- one campaign

    async def _run(self, info: CampaignInfo) -> None:
        config = self.config.current
        settings = config.campaigns
        resumed = info.state == "running"
        if not resumed:
            total = await self.campaigns.start(info.id)
            if total is None:
                return  # cancelled while queued
            refreshed = await self.campaigns.get(info.id)
            assert refreshed is not None
            info = refreshed
        # Paid (allow_paid_broadcast) above the free rate when the config pays and the operator did
        # not choose the free rate; unpaid, never above it.
        paid = settings.paid_broadcast and not info.free_rate
        rate = settings.free_rate_per_s if info.free_rate else settings.rate_per_s
        run = _Run(info, self.campaigns, RateLimiter(rate), self.clock)
        run.paid = paid
        if resumed:
            resent = self._resent.get(info.id, 0)
            run.resent = resent
        if not await self.campaigns.progress_messages(info.id):
            # A scheduled reminder (or a campaign whose operator message is gone): tell every operator.
            tally = await self.campaigns.tally(info.id)
            for chat_id, message_id in await self._tell_operators(
                config,
                lambda language: Post(
                    format_progress(info.id, tally, 0.0, state="starting", language=language),
                    cancel_buttons(info.id, language),
                ),
            ):
                await self.campaigns.add_progress_message(info.id, chat_id, message_id)
        self.active = run
        log.info(
            "campaign #%d: sending to %d recipients at %.1f/s%s",
            info.id,
            info.total,
            rate,
            " (paid broadcast)" if paid else "",
        )
        progress = asyncio.create_task(self._progress_loop(run, settings.progress_every_s))
        try:
            await asyncio.gather(*(self._sender(run) for _ in range(settings.in_flight)))
        finally:
            progress.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await progress
            self.active = None
        if self._stopping and not run.cancelled:
            return  # stays 'running': resumed at the next start
        if not run.cancelled:
            await self.campaigns.set_state(info.id, "done", ("running",))
        await self._final(run)

    async def _sender(self, run: _Run) -> None:
        finished: Outcome | None = None
        try:
            while not run.halt.is_set():
                item = await run.next_item()
                if item is None:
                    break
                claimed = await self.campaigns.claim(run.id, item.user_id, run.info.audience, finished)
                finished = None
                if not claimed:
                    run.limiter.forget_chat(item.user_id)
                    continue
                item.attempts += 1
                finished = await self._deliver(run, item)
                if finished is not None and self.on_outcome is not None:
                    self.on_outcome(finished.state)
        finally:
            if finished is not None:
                await asyncio.shield(self.campaigns.finish(run.id, finished))

    async def _deliver(self, run: _Run, item: _Item) -> Outcome | None:
        """Send to one claimed recipient; the outcome, or None if it goes back to 'pending'."""
        config = self.config.current
        channel = ack_channel(config, run.info.audience)
        # Its links count for this campaign (through /go/ when web.public_url is set).
        post = render_reminder(config, run.info.texts, item.language, channel, source=campaign_source(run.id))
        if self.personalize is not None:
            post = await self.personalize(item.user_id, channel, item.language, post)
        while True:
            delay = run.limiter.reserve(item.user_id, self.clock.monotonic())
            if await run.wait_halt(delay):
                await self.campaigns.release(
                    run.id, item.user_id, "not sent: the campaign stopped", undo_attempt=True
                )
                return None
            try:
                await self.sender.send_post(item.user_id, post, paid=run.paid)
            except RateLimited as exc:
                wait = exc.retry_after
                log.warning("campaign #%d: 429, pausing %.0f s and slowing down", run.id, wait)
                run.limiter.throttled(wait, self.clock.monotonic())
                continue  # not delivered: the same recipient, once the pause is over
            except Blocked as exc:
                run.limiter.forget_chat(item.user_id)
                return Outcome(item.user_id, "unreachable", exc.description)
            except Refused as exc:
                run.limiter.forget_chat(item.user_id)
                if "chat not found" in exc.description.lower():
                    return Outcome(item.user_id, "unreachable", exc.description)
                return Outcome(item.user_id, "failed", exc.description)
            except Transient as exc:  # a time-out, Telegram's 5xx, the connection
                reason = f"{exc.kind}: {exc.description}"
                if item.attempts >= MAX_ATTEMPTS:
                    run.limiter.forget_chat(item.user_id)
                    return Outcome(item.user_id, "failed", f"{reason} (after {item.attempts} attempts)")
                await self.campaigns.release(run.id, item.user_id, reason)
                run.retry_later(item, backoff_s(item.attempts))
                return None
            except TelegramFailed as exc:
                run.limiter.forget_chat(item.user_id)
                return Outcome(item.user_id, "failed", f"{exc.kind}: {exc.description}")
            run.sent_times.append(self.clock.monotonic())
            run.limiter.forget_chat(item.user_id)
            return Outcome(item.user_id, "sent")

    # ----------------------------------------------------------------------------- operator messages

    async def _progress_loop(self, run: _Run, every_s: float) -> None:
        while True:
            await self._show_progress(run)
            # Real time, as the sleep it replaces (a test's manual clock does not pace the edits).
            loop = asyncio.get_running_loop()
            shown = loop.time()
            while (left := every_s - (loop.time() - shown)) > 0:
                if await run.wait_halt(min(left, self.poll_s)):
                    return
                info = await self.campaigns.get(run.id)
                if info is not None and info.state == "cancelled":
                    # Cancelled through another replica: only the database says so.
                    run.cancelled = True
                    run.halt.set()
                    return

    async def _show_progress(self, run: _Run) -> None:
        tally = await self.campaigns.tally(run.id)
        rate = run.rate() or run.limiter.current_rate
        await self._edit_all(
            run.id,
            lambda language: Post(
                format_progress(run.id, tally, rate, note=run.note(language), language=language),
                cancel_buttons(run.id, language),
            ),
        )

    async def _edit_all(self, campaign_id: int, post: Callable[[str], Post]) -> None:
        """Edit every progress message of a campaign, each in its operator's language (a progress
        message is in the private chat of the operator it was sent to: the chat id is theirs)."""
        config = self.config.current
        for chat_id, message_id in await self.campaigns.progress_messages(campaign_id):
            try:
                await self.ui.edit_post(chat_id, message_id, post(self.languages.of(config, chat_id)))
            except TelegramFailed as exc:
                if "not modified" not in exc.description:
                    log.info("campaign #%d: progress message not edited: %s", campaign_id, exc.description)

    async def _final(self, run: _Run) -> None:
        info = await self.campaigns.get(run.id) or run.info
        tally = await self.campaigns.tally(run.id)
        errors = await self.campaigns.failure_reasons(run.id)

        def text(language: str) -> str:
            return format_final(
                run.id,
                tally,
                cancelled=run.cancelled or info.state == "cancelled",
                elapsed_s=(info.finished_at or self.clock.now()) - (info.started_at or info.created_at),
                resent=info.resent,
                errors=errors,
                language=language,
            )

        await self._edit_all(run.id, lambda language: Post(text(language)))
        config = self.config.current
        chats = dict.fromkeys(chat_id for chat_id, _ in await self.campaigns.progress_messages(run.id))
        for chat_id in chats:
            try:
                await self.ui.send_text(chat_id, text(self.languages.of(config, chat_id)))
            except TelegramFailed as exc:
                log.info("campaign #%d: final tally not sent to %d: %s", run.id, chat_id, exc)
        log.info("campaign #%d ended: %s", run.id, tally)
