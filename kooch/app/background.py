"""Everything Kooch does in the background, declared in one list: what runs, on which replica,
and when it last ran.

A feature's builder (:mod:`kooch.app.features`) declares its work as one :class:`BackgroundWork`
record; the runner starts the whole list once the bot runs (:meth:`Background.start`) and the
one exit stack stops it. Two kinds, both run by the leader only (on SQLite the one process
leads from the start):

* a **leader duty** (:attr:`Kind.DUTY`): something long-lived (the post sync, the campaign
  sender, the arrivals rounds) or done once per term (``setWebhook``, the scheduled posts put
  back on the JobQueue), started when this replica gains the leadership and stopped when it
  loses it or closes (:mod:`kooch.app.leadership`);
* a **leader-only periodic job** (:attr:`Kind.JOB`): one round every ``every_s`` on the
  JobQueue (retention, link checks, approval expiry); every replica's JobQueue has it, and a
  follower's round returns at once, which is cheaper than starting and stopping jobs with the
  leadership. The JobQueue stops with the Application.

Adding background work is one declaration in the feature's builder::

    core.background.declare(BackgroundWork("mirror", Kind.DUTY, _title, start, stop))

``/status`` lists the registry (:func:`work_lines`) in the reader's language.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext

from kooch.app.leadership import Leadership
from kooch.clock import Clock
from kooch.i18n import format_datetime, gettext, ltr, paragraph
from kooch.i18n.dates import span_words

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
#: A duty's start or stop, or a job's round. It gets the running Application (the JobQueue, the
#: Bot, the services in ``bot_data``), so work defined next to the handlers can use it too.
Run = Callable[[App], Awaitable[None]]
#: The work's name in a reader's language (``/status``).
Title = Callable[[str], str]


class Kind(enum.Enum):
    DUTY = "leader duty"
    JOB = "leader-only periodic job"


async def _nothing(_app: App) -> None:
    return None


@dataclass(frozen=True)
class BackgroundWork:
    """One piece of background work, as its feature declares it."""

    #: Stable and unique: the logs, the JobQueue's job name, the key of its last run.
    name: str
    kind: Kind
    title: Title
    #: A duty: starts it (returns once it runs). A job: one round.
    start: Run
    #: A duty: stops it (what is in flight ends). Not used for a job.
    stop: Run = _nothing
    #: A job: seconds between rounds.
    every_s: float = 0.0
    #: A job: seconds from the start to its first round (0: at once).
    first_s: float = 0.0

    def __post_init__(self) -> None:
        if self.kind is Kind.JOB and self.every_s <= 0:
            raise ValueError(f"background job {self.name!r}: every_s must be positive")


@dataclass(frozen=True)
class WorkState:
    """One line of ``/status``: the work, and what this replica knows of it."""

    work: BackgroundWork
    #: True: this replica runs it (it leads); False: the leader does.
    here: bool
    #: A duty: when it started here; a job: when its last round here ended. None: not yet.
    last_run: float | None


class Background:
    """The registry: every feature declares its work here; the runner starts it all at once."""

    def __init__(self, leadership: Leadership, clock: Clock) -> None:
        self.leadership = leadership
        self._clock = clock
        self._works: list[BackgroundWork] = []
        self._last_run: dict[str, float] = {}
        self._started = False

    def declare(self, *works: BackgroundWork) -> None:
        if self._started:
            raise RuntimeError("background work is declared before the bot starts")
        for work in works:
            if any(w.name == work.name for w in self._works):
                raise ValueError(f"background work {work.name!r} is declared twice")
            self._works.append(work)

    @property
    def works(self) -> tuple[BackgroundWork, ...]:
        return tuple(self._works)

    async def start(self, app: App) -> None:
        """Put the jobs on the JobQueue and the duties under the leadership, then take part in
        the election (on SQLite: the duties start now, in the order declared, and a failure
        stops the start-up). The Application must be running (its JobQueue too)."""
        self._started = True
        for work in self._works:
            if work.kind is Kind.DUTY:
                await self.leadership.add(work.name, self._duty_start(work, app), self._duty_stop(work, app))
            else:
                assert app.job_queue is not None, "python-telegram-bot[job-queue] is required"
                round_ = self._round(work, app)
                # The first round a one-off without a misfire limit: a repeating job whose first
                # round is already past when it is added would wait a whole interval.
                once = {"misfire_grace_time": None}
                app.job_queue.run_once(
                    round_, work.first_s, name=f"{job_name(work.name)}:first", job_kwargs=once
                )
                app.job_queue.run_repeating(
                    round_,
                    interval=work.every_s,
                    first=work.first_s + work.every_s,
                    name=job_name(work.name),
                    # A round late (a slow start, a busy loop) still runs; missed ones fold into one.
                    job_kwargs={"misfire_grace_time": None, "coalesce": True},
                )
        await self.leadership.start()

    def states(self) -> list[WorkState]:
        leads = self.leadership.leader.is_leader
        return [WorkState(w, leads, self._last_run.get(w.name) if leads else None) for w in self._works]

    def _duty_start(self, work: BackgroundWork, app: App) -> Callable[[], Awaitable[None]]:
        async def start() -> None:
            await work.start(app)
            self._last_run[work.name] = self._clock.now()

        return start

    def _duty_stop(self, work: BackgroundWork, app: App) -> Callable[[], Awaitable[None]]:
        async def stop() -> None:
            self._last_run.pop(work.name, None)
            await work.stop(app)

        return stop

    def _round(
        self, work: BackgroundWork, app: App
    ) -> Callable[[CallbackContext[Any, Any, Any, Any]], Coroutine[Any, Any, None]]:
        async def round_(_context: CallbackContext[Any, Any, Any, Any]) -> None:
            if not self.leadership.leader.is_leader:
                return  # the leader's JobQueue runs it
            await work.start(app)
            self._last_run[work.name] = self._clock.now()

        return round_


def job_name(name: str) -> str:
    """The JobQueue's name of a periodic job: ``retention`` is ``kooch-retention``."""
    return "kooch-" + name.replace(" ", "-")


def work_lines(states: list[WorkState], tz: str, language: str) -> list[str]:
    """``/status``'s block: one line per piece of background work, in the reader's language."""
    lines = [paragraph(gettext(language, "Background work:"), language)]
    for state in states:
        work = state.work
        title = work.title(language)
        if not state.here:
            line = gettext(language, "{work}: on the leader").format(work=title)
        elif work.kind is Kind.DUTY:
            if state.last_run is None:
                line = gettext(language, "{work}: not running").format(work=title)
            else:
                line = gettext(language, "{work}: running here since {time}").format(
                    work=title, time=_when(state.last_run, tz, language)
                )
        else:
            every = span_words(work.every_s, language)
            if state.last_run is None:
                line = gettext(language, "{work}: every {every}, here; not run yet").format(
                    work=title, every=every
                )
            else:
                line = gettext(language, "{work}: every {every}, here; last ran {time}").format(
                    work=title, every=every, time=_when(state.last_run, tz, language)
                )
        lines.append(paragraph(f"• {line}", language))
    return lines


def _when(ts: float, tz: str, language: str) -> str:
    return ltr(format_datetime(ts, tz, language, numeric=True, year=False))
