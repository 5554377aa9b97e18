"""Posted announcements that follow the config, and the live counter on their moved button.

The :class:`SyncEngine` compares every posted announcement (the ``announcements`` table, sync
state in ``announcement_sync``) with what the config in force renders now, and edits the ones that
differ: ``editMessageReplyMarkup`` when only the buttons changed, ``editMessageText`` otherwise.
It is woken by a config reload, a new post, and new acknowledgements (the counter), and re-renders
at the moment it edits, so a burst of config saves ends in one edit per post, with the newest one.

Telegram's rules, kept per chat (a channel's edits never wait for another's):

* at most :data:`EDITS_PER_MINUTE` edits in any 60 s (a sliding window, :class:`EditPacer`);
* 429 ``retry_after``: that chat waits that long, then the edit is tried again;
* "message is not modified": the post already shows it, which is success;
* "message to edit not found": the post was deleted; marked gone, reported once, never retried;
* any other refusal (a right taken away …): reported once, tried again only when the content
  changes again, never in a loop.

The engine calls the Bot API through its own Bot (a :class:`~kooch.telegram.gateway.Gateway`), not
the Application's: the Application's ``AIORateLimiter`` answers a 429 by holding back *every* call
of the bot for the ``retry_after`` (subscribers' taps included), and shares one 20/min budget per
channel between posting and editing. Edits are background work; they must never delay a tap's answer.

The live counter: a channel with ``counter: true`` shows the number of acknowledgements on its moved
button. :meth:`SyncEngine.acked` only marks the channel; the number is re-read at most once per
``counter_interval_s``, counted from the first new tap, and an edit follows only if it changed:
200 taps in one interval make one edit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from kooch.announce.render import render_announcement
from kooch.announce.store import AnnouncementStore, PostedAnnouncement
from kooch.announce.sync.model import (
    NETWORK_BACKOFF_S,
    EditKind,
    EditPacer,
    PostStatus,
    content_hash,
    counter_due,
    edit_needed,
    markup_hash,
    text_hash,
)
from kooch.announce.sync.wording import gone_notice, refused_notice
from kooch.clock import SYSTEM, Clock, Rounds
from kooch.config import Channel, Config
from kooch.config.holder import ConfigHolder
from kooch.telegram.gateway import Blocked, Gateway, RateLimited, Refused, Transient
from kooch.telegram.post import Post

log = logging.getLogger(__name__)
Notify = Callable[[str | Callable[[str], str]], Awaitable[None]]


# --------------------------------------------------------------------------------------------
# The engine


class SyncEngine:
    """Keeps every posted announcement equal to what the config in force renders."""

    def __init__(
        self,
        holder: ConfigHolder,
        announcements: AnnouncementStore,
        gateway: Gateway,
        notify: Notify,
        *,
        pacer: EditPacer | None = None,
        clock: Clock = SYSTEM,
        poll_counts: bool = False,
    ) -> None:
        self.holder = holder
        #: Re-read every counter each interval, taps or not: other replicas take taps too, and
        #: their :meth:`acked` is not this process's.
        self.poll_counts = poll_counts
        self.announcements = announcements
        self.gateway = gateway
        self.notify = notify
        self.pacer = pacer or EditPacer()
        self.clock = clock
        #: What the counter shows per channel key (refreshed at most once per interval).
        self.counts: dict[str, int] = {}
        self._dirty: dict[str, float] = {}
        self._last_change: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._check_posts = True
        self._task: asyncio.Task[None] | None = None
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._failures: dict[int, int] = {}
        # Figures for /status and the benchmark.
        self.edits = 0
        self.retry_afters = 0
        self._rounds = Rounds()

    # ----------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Read the counters, then check every post once (the config may have changed while the
        bot was down)."""
        self._wake.set()
        self._task = asyncio.create_task(self._run(), name="kooch-sync")

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._workers.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None
        self._workers.clear()

    # ----------------------------------------------------------------------------- signals

    def poke(self) -> None:
        """The config changed, or a post was made: check the posts."""
        self._check_posts = True
        self._wake.set()

    def acked(self, channel: str) -> None:
        """A new acknowledgement for ``channel``: its counter is due within an interval.

        Called for every new tap, so it does nearly nothing: it marks a channel that shows a
        counter, and wakes the loop only for the first tap of an interval.
        """
        if channel in self._dirty:
            return
        ch = self.holder.current.channel_by_key(channel)
        if ch is not None and ch.counter:
            self._dirty[channel] = self.clock.monotonic()
            self._wake.set()

    async def wait_idle(self) -> None:
        """Return once everything due at the clock's time is done: the counters due re-read, every
        post that differs from the config edited (or found gone, or refused), no edit under way.

        What a test waits on after a change (or after moving a manual clock), instead of sleeping.
        """
        asked = self._rounds.ask()
        self.poke()
        await self._rounds.wait(asked)

    def render(self, config: Config, channel: Channel) -> Post:
        """The announcement as it should be in the channel now (with the counter's number)."""
        return render_announcement(config, channel, count=self.counts.get(channel.key))

    async def posted(self, chat_id: int, message_id: int, post: Post) -> None:
        """A new announcement went out showing ``post``: remember its text and buttons."""
        announcement_id = await self.announcements.find_announcement(chat_id, message_id)
        if announcement_id is not None:
            await self.announcements.mark_synced(announcement_id, text_hash(post), markup_hash(post))
        self.poke()

    async def statuses(self, channels: list[str] | None = None) -> list[PostStatus]:
        """Every posted announcement (of ``channels``) with whether it matches the config."""
        config = self.holder.current
        out = []
        for row in await self.announcements.posted(channels):
            channel = config.channel_by_key(row.channel)
            pending = edit_needed(row, self.render(config, channel)) if channel else None
            out.append(PostStatus(row, pending))
        return out

    # ----------------------------------------------------------------------------- the loop

    async def _run(self) -> None:
        while True:
            if self.poll_counts:
                now = self.clock.monotonic()
                for channel in self.holder.current.channels:
                    if channel.counter:
                        self._dirty.setdefault(channel.key, now)
            timeout = self._next_counter_due()
            if timeout is not None:
                timeout = max(0.0, timeout - self.clock.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()
            asked = self._rounds.asked
            try:
                if await self._refresh_counts() or self._check_posts:
                    self._check_posts = False
                    await self._dispatch()
            except Exception:
                log.exception("the sync engine failed to check the posts; trying again shortly")
                await asyncio.sleep(5)
                self.poke()
                continue
            # Nothing woke the loop meanwhile and no chat is being edited: this round saw it all.
            if not self._wake.is_set() and all(w.done() for w in self._workers.values()):
                self._rounds.caught_up(asked)

    def _next_counter_due(self) -> float | None:
        interval = self.holder.current.counter_interval_s
        dues = [counter_due(s, self._last_change.get(k), interval) for k, s in self._dirty.items()]
        return min(dues, default=None)

    async def _refresh_counts(self) -> bool:
        """Re-read the counters that are due; True if a number on a button is to change."""
        config = self.holder.current
        counted = {c.key for c in config.channels if c.counter}
        now = self.clock.monotonic()
        for key in list(self._dirty):
            if key not in counted:
                del self._dirty[key]
        due = {
            k
            for k, since in self._dirty.items()
            if now >= counter_due(since, self._last_change.get(k), config.counter_interval_s)
        }
        fresh = counted - self.counts.keys()  # counter just switched on (or first start)
        if not due and not fresh:
            return False
        totals = await self.announcements.ack_totals(due | fresh)
        changed = False
        for key, total in totals.items():
            self._dirty.pop(key, None)
            if self.counts.get(key) != total:
                if key in self.counts:
                    self._last_change[key] = now
                self.counts[key] = total
                changed = True
        return changed

    async def _dispatch(self) -> None:
        """Start a worker for each chat that has a post to edit."""
        for chat_id in {row.chat_id for row, _, _ in await self._plan()}:
            worker = self._workers.get(chat_id)
            if worker is None or worker.done():
                task = asyncio.create_task(self._worker(chat_id), name=f"kooch-sync-{chat_id}")
                task.add_done_callback(lambda _t: self.poke())
                self._workers[chat_id] = task

    async def _plan(self, chat_id: int | None = None) -> list[tuple[PostedAnnouncement, Post, EditKind]]:
        """The posts to edit now, the current announcement of each channel first."""
        config = self.holder.current
        todo = []
        for row in await self.announcements.posted([c.key for c in config.channels]):
            if chat_id is not None and row.chat_id != chat_id:
                continue
            channel = config.channel_by_key(row.channel)
            if channel is None:
                continue
            post = self.render(config, channel)
            kind = edit_needed(row, post)
            if kind is not None:
                todo.append((row, post, kind))
        todo.sort(key=lambda item: (not item[0].current, -item[0].id))
        return todo

    async def _worker(self, chat_id: int) -> None:
        """Edit one chat's posts, one at a time, within its pace; re-plan before each edit so the
        edit shows the config in force at that moment."""
        try:
            while True:
                wait = self.pacer.wait_time(chat_id, self.clock.monotonic())
                if wait > 0:
                    await asyncio.sleep(wait)
                    continue
                todo = await self._plan(chat_id)
                if not todo:
                    return
                await self._edit(*todo[0])
        except Exception:  # the database failing, a bug: not a tight loop of retries
            log.exception("the sync of chat %s failed; trying again shortly", chat_id)
            await asyncio.sleep(5)

    async def _edit(self, row: PostedAnnouncement, post: Post, kind: EditKind) -> None:
        config = self.holder.current
        channel = config.channel_by_key(row.channel)
        label = channel.label if channel else row.channel
        try:
            if kind == "markup":
                await self.gateway.edit_buttons(row.chat_id, row.message_id, post)
            else:
                await self.gateway.edit_post(row.chat_id, row.message_id, post)
        except RateLimited as exc:
            self.pacer.record(row.chat_id, self.clock.monotonic())
            self.retry_afters += 1
            wait = exc.retry_after
            log.info("editing in %s: Telegram asks to wait %.0f s", label, wait)
            self.pacer.block(row.chat_id, self.clock.monotonic() + wait)
            return
        except Blocked as exc:
            self.pacer.record(row.chat_id, self.clock.monotonic())
            await self._refused(row, post, label, exc.description)
            return
        except Refused as exc:
            self.pacer.record(row.chat_id, self.clock.monotonic())
            description = exc.description.lower()
            if "message is not modified" in description:
                await self.announcements.mark_synced(row.id, text_hash(post), markup_hash(post))
                return
            if "message to edit not found" in description:
                if await self.announcements.mark_gone(row.id):
                    await self.notify(gone_notice(label, row, channel))
                return
            await self._refused(row, post, label, exc.description)
            return
        except Transient as exc:  # a time-out, a 5xx, the connection: try again later
            self.pacer.record(row.chat_id, self.clock.monotonic())
            failures = self._failures.get(row.chat_id, 0)
            self._failures[row.chat_id] = failures + 1
            backoff = NETWORK_BACKOFF_S[min(failures, len(NETWORK_BACKOFF_S) - 1)]
            log.warning("editing in %s failed (%s); trying again in %.0f s", label, exc, backoff)
            self.pacer.block(row.chat_id, self.clock.monotonic() + backoff)
            return
        # Counted when Telegram has answered: never earlier than Telegram counted it, so our
        # window frees no sooner than Telegram's does.
        self.pacer.record(row.chat_id, self.clock.monotonic())
        self._failures.pop(row.chat_id, None)
        self.edits += 1
        await self.announcements.mark_synced(row.id, text_hash(post), markup_hash(post))

    async def _refused(self, row: PostedAnnouncement, post: Post, label: str, message: str) -> None:
        log.warning("Telegram refused to edit the announcement in %s: %s", label, message)
        if await self.announcements.mark_error(row.id, message, content_hash(post)):
            await self.notify(partial(refused_notice, label, row.message_id, message))
