"""When a scheduled announcement is due: ``at <date and time>`` or ``in 2h``, read in the config's zone.

Pure functions, unit-tested: the handlers parse the operator's words with :func:`split_schedule`
and :func:`parse_when`, the start-up code decides with :func:`overdue_action` and
:func:`plan_restore`. The typed outcomes of :mod:`kooch.announce.schedule.service` are here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from kooch.announce.post.model import PostOutcome
from kooch.announce.store import Announcement, ScheduledPost
from kooch.i18n import gettext, paragraph, to_digits
from kooch.i18n.date_input import Unreadable, explain, read_moment
from kooch.i18n.dates import echo, typed_example

#: The words that turn ``/announce`` into a schedule.
SCHEDULE_WORDS = ("at", "in")
_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_TIME_ONLY = re.compile(r"^(\d{1,2}):(\d{2})$")
#: Furthest ahead a post may be scheduled.
MAX_AHEAD = timedelta(days=366)


def usage(language: str, now: datetime) -> str:
    """How to say when, for a time that could not be read: the example is tomorrow at 18:00, in
    the reader's calendar (``now`` is aware, in the config's zone)."""
    example = typed_example(now.timestamp(), _zone(now), language)
    return gettext(
        language,
        "Say when: /announce [channel] at {example} (or at 18:30 for the next 18:30), "
        "or /announce [channel] in 2h (also 90m, 1h30m, 2 days).",
    ).format(example=example)


def split_schedule(args: list[str]) -> tuple[list[str], list[str]] | None:
    """``["demo", "at", "18:00"]`` → ``(["demo"], ["at", "18:00"])``; None when not a schedule."""
    for i, word in enumerate(args):
        if word.lower() in SCHEDULE_WORDS and i <= 1:
            return args[:i], args[i:]
    return None


def parse_when(words: list[str], now: datetime, language: str = "en") -> datetime | str:
    """The moment meant by ``["at", …]`` or ``["in", …]``, aware; a string is the error to show
    (in ``language``).

    ``now`` is aware and in the config's zone: a time without a zone is read in it. The words
    themselves (``at``, ``in``, ``2h``) are the same in every language; a date is Solar Hijri or
    Gregorian, in any digits (:func:`kooch.i18n.date_input.read_moment`). A moment already past
    is refused saying how long ago it was.
    """
    if len(words) < 2:
        return paragraph(usage(language, now), language)
    keyword, rest = words[0].lower(), " ".join(words[1:]).strip()
    when = _relative(rest, now, language) if keyword == "in" else _absolute(rest, now, language)
    if isinstance(when, str):
        return paragraph(when, language)
    if when <= now:
        shown = echo(when.timestamp(), now.timestamp(), _zone(now), language)
        past = gettext(language, "That moment has passed: {when}.").format(when=shown)
        return paragraph(f"{past} {usage(language, now)}", language)
    if when - now > MAX_AHEAD:
        return paragraph(
            gettext(language, "That is more than a year ahead; schedule something nearer."), language
        )
    return when


def _zone(now: datetime) -> str:
    return str(now.tzinfo)


def _relative(text: str, now: datetime, language: str) -> datetime | str:
    compact = text.lower().replace(" and ", " ").replace(",", " ")
    pos, total = 0, 0.0
    for match in _PART.finditer(compact):
        if compact[pos : match.start()].strip():
            return _cannot_read(text, now, language)
        unit = _UNITS.get(match.group(2))
        if unit is None:
            unknown = gettext(language, "Unknown unit “{unit}” in “in {text}”.")
            return f"{unknown.format(unit=match.group(2), text=text)} {usage(language, now)}"
        total += float(match.group(1)) * unit
        pos = match.end()
    if pos == 0 or compact[pos:].strip():
        return _cannot_read(text, now, language)
    return now + timedelta(seconds=total)


def _cannot_read(text: str, now: datetime, language: str) -> str:
    unreadable = gettext(language, "I cannot read “in {text}”.").format(text=text)
    return f"{unreadable} {usage(language, now)}"


def _absolute(text: str, now: datetime, language: str) -> datetime | str:
    match = _TIME_ONLY.match(text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            wrong = gettext(language, "“{text}” is not a time of day.").format(text=text)
            return f"{wrong} {usage(language, now)}"
        when = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return when if when > now else when + timedelta(days=1)
    typed = read_moment(text, _zone(now))
    if isinstance(typed, Unreadable):
        return explain(typed, typed_example(now.timestamp(), _zone(now), language), language)
    return typed.moment


def local(ts: float, tz: str) -> datetime:
    return datetime.fromtimestamp(ts, ZoneInfo(tz))


def in_words(seconds: float, language: str = "en") -> str:
    """``5400`` → ``1 h 30 min``: how far away, for operators, in ``language``."""
    seconds = max(0, round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        gettext(language, "{n} d").format(n=days) if days else "",
        gettext(language, "{n} h").format(n=hours) if hours else "",
        gettext(language, "{n} min").format(n=minutes) if minutes else "",
    ]
    text = " ".join(p for p in parts if p)
    return to_digits(text or gettext(language, "{n} s").format(n=secs), language)


def overdue_action(due_at: float, now: float, grace_s: float) -> Literal["schedule", "post", "ask"]:
    """A scheduled post found at start-up: schedule it (not due yet), post it now (late within the
    grace period), or ask the operators (later than that: the moment may have passed)."""
    if due_at > now:
        return "schedule"
    return "post" if now - due_at <= grace_s else "ask"


@dataclass(frozen=True)
class RestorePlan:
    """The scheduled posts found at start-up, sorted by what becomes of them."""

    #: The moment the plan was made (how late the overdue ones are is measured from it).
    now: float
    #: Not due yet: a job at their time.
    queue: tuple[ScheduledPost, ...] = ()
    #: Overdue within the grace period: posted now, and reported as late.
    post: tuple[ScheduledPost, ...] = ()
    #: Later than the grace period: the operators are asked whether to post them still.
    ask: tuple[ScheduledPost, ...] = ()
    #: Being posted when the bot stopped: they may or may not be in the channel.
    interrupted: tuple[ScheduledPost, ...] = ()


def plan_restore(rows: Iterable[ScheduledPost], now: float, grace_s: float) -> RestorePlan:
    """Sort the ``open`` and ``posting`` rows of the database by what start-up does with them."""
    queue: list[ScheduledPost] = []
    post: list[ScheduledPost] = []
    ask: list[ScheduledPost] = []
    interrupted: list[ScheduledPost] = []
    for s in rows:
        if s.state == "posting":
            interrupted.append(s)
            continue
        action = overdue_action(s.due_at, now, grace_s)
        if action == "schedule":
            queue.append(s)
        elif action == "post":
            post.append(s)
        else:
            ask.append(s)
    return RestorePlan(now, tuple(queue), tuple(post), tuple(ask), tuple(interrupted))


@dataclass(frozen=True)
class ScheduledPosted:
    """A scheduled announcement's turn came: what happened."""

    #: The row as taken (its channel key, due time and creator).
    scheduled: ScheduledPost
    #: None when the channel is no longer in the config (nothing was posted).
    outcome: PostOutcome | None
    #: When the post was made.
    at: float
    #: Posted on an operator's "Post now" after being overdue (else by its job, on time or
    #: within the grace period after a restart).
    decided: bool = False

    @property
    def posted(self) -> bool:
        return self.outcome is not None and self.outcome.posted

    @property
    def lateness(self) -> float:
        return self.at - self.scheduled.due_at


@dataclass(frozen=True)
class ScheduledHeld:
    """A scheduled announcement's turn came, and the channel had got another announcement since it
    was confirmed: held (state ``held``), not posted, until an operator decides."""

    #: The row as taken.
    scheduled: ScheduledPost
    #: The channel's current announcement, posted since the schedule was confirmed.
    current: Announcement
    #: When it was held.
    at: float
