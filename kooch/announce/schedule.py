"""When a scheduled announcement is due: ``at <ISO time>`` or ``in 2h``, read in the config's zone.

Pure functions, unit-tested: the handlers parse the operator's words with :func:`split_schedule`
and :func:`parse_when`, the start-up code decides with :func:`overdue_action`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

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

USAGE = (
    "Say when: /announce [channel] at 2025-06-01T18:00 (or at 18:30 for the next 18:30), "
    "or /announce [channel] in 2h (also 90m, 1h30m, 2 days)."
)


def split_schedule(args: list[str]) -> tuple[list[str], list[str]] | None:
    """``["demo", "at", "18:00"]`` → ``(["demo"], ["at", "18:00"])``; None when not a schedule."""
    for i, word in enumerate(args):
        if word.lower() in SCHEDULE_WORDS and i <= 1:
            return args[:i], args[i:]
    return None


def parse_when(words: list[str], now: datetime) -> datetime | str:
    """The moment meant by ``["at", …]`` or ``["in", …]``, aware; a string is the error to show.

    ``now`` is aware and in the config's zone: a time without a zone is read in it.
    """
    if len(words) < 2:
        return USAGE
    keyword, rest = words[0].lower(), " ".join(words[1:]).strip()
    when = _relative(rest, now) if keyword == "in" else _absolute(rest, now)
    if isinstance(when, str):
        return when
    if when <= now:
        return f"{when:%Y-%m-%d %H:%M} ({_zone(now)}) is already past. {USAGE}"
    if when - now > MAX_AHEAD:
        return "That is more than a year ahead; schedule something nearer."
    return when


def _zone(now: datetime) -> str:
    return str(now.tzinfo)


def _relative(text: str, now: datetime) -> datetime | str:
    compact = text.lower().replace(" and ", " ").replace(",", " ")
    pos, total = 0, 0.0
    for match in _PART.finditer(compact):
        if compact[pos : match.start()].strip():
            return f"I cannot read “in {text}”. {USAGE}"
        unit = _UNITS.get(match.group(2))
        if unit is None:
            return f"Unknown unit “{match.group(2)}” in “in {text}”. {USAGE}"
        total += float(match.group(1)) * unit
        pos = match.end()
    if pos == 0 or compact[pos:].strip():
        return f"I cannot read “in {text}”. {USAGE}"
    return now + timedelta(seconds=total)


def _absolute(text: str, now: datetime) -> datetime | str:
    zone = now.tzinfo
    match = _TIME_ONLY.match(text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            return f"“{text}” is not a time of day. {USAGE}"
        when = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return when if when > now else when + timedelta(days=1)
    try:
        when = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        return f"“{text}” is not an ISO time such as 2025-06-01T18:00. {USAGE}"
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return when.astimezone(zone)


def local(ts: float, tz: str) -> datetime:
    return datetime.fromtimestamp(ts, ZoneInfo(tz))


def in_words(seconds: float) -> str:
    """``5400`` → ``1 h 30 min``: how far away, for operators."""
    seconds = max(0, round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    text = " ".join(p for p in parts if p)
    return text or f"{secs} s"


def overdue_action(due_at: float, now: float, grace_s: float) -> Literal["schedule", "post", "ask"]:
    """A scheduled post found at start-up: schedule it (not due yet), post it now (late within the
    grace period), or ask the operators (later than that: the moment may have passed)."""
    if due_at > now:
        return "schedule"
    return "post" if now - due_at <= grace_s else "ask"
