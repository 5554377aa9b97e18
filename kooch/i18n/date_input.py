"""Dates and times as operators type them: back in the calendar Kooch showed them in.

Kooch shows a Persian reader Solar Hijri dates (``۱۴۰۵-۰۹-۱۶ ۱۸:۰۰``, ``۱۶ آذر ۱۴۰۵``) and everyone
else Gregorian ones, so an operator types back what they read, in whichever digits their keyboard
gives (Persian ``۱۴۰۵``, Arabic-Indic ``١٤٠٥`` or Latin ``1405``). :func:`read_moment` reads:

* numbers: ``1405-09-16``, ``1405/09/16``, ``1405.09.16``, then optionally a time after ``T`` or
  a space (``18:00``, ``18:00:30``), and after the time an ISO offset (``Z``, ``+03:30``);
* words: a day, a month's name and a year (``۱۶ آذر ۱۴۰۵``, ``16 Dec 2026``, ``١٦ ديسمبر ٢٠٢٦``),
  optionally a time; the month's name says the calendar.

Which calendar a numeric date is in follows from its year: **from 1900 on, Gregorian; below,
Solar Hijri** (Solar Hijri 1900 is Gregorian 2521, Gregorian 1899 long before any channel), so
both calendars stay accepted without a setting. A time without an offset is in the channel's
zone (the config's ``timezone``), as every time Kooch shows is.

What Kooch itself writes around a date is ignored when it is pasted back: the directional
controls of :mod:`kooch.i18n.bidi`, the comma between a date and its time (``،`` or ``,``) and the
word «ساعت». Anything else is :class:`Unreadable`, with what was understood of it, for
:func:`explain` to say in the reader's language.

Plain functions, no I/O; the conversion is jdatetime's, as for every date Kooch shows
(``tests/test_date_input.py`` checks it day by day against convertdate's astronomical calendar).
"""

from __future__ import annotations

import calendar as gregorian_calendar
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

import jdatetime

from kooch.i18n.bidi import isolate, strip_controls
from kooch.i18n.catalog import gettext
from kooch.i18n.dates import PERSIAN_MONTHS
from kooch.i18n.numbers import babel_locale, to_digits

Calendar = Literal["solar_hijri", "gregorian"]
#: What was wrong: no date at all, a month that does not exist, a day the month lacks, a time
#: that is not a time of day.
Problem = Literal["shape", "month", "day", "time"]

#: The first year read as Gregorian; years below it are Solar Hijri.
FIRST_GREGORIAN_YEAR = 1900

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
#: Arabic letters a Persian keyboard may send for the Persian ones (ي ك), and the zero-width
#: non-joiner, so «اردیبهشت» matches however it was typed.
_LETTERS = str.maketrans({"ي": "ی", "ك": "ک", "\u200c": None})
_NOISE = re.compile(r"[،,]|(?<!\S)ساعت(?!\S)")
_NUMERIC = re.compile(
    r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?:(?:T|\s+)(?P<time>\S+))?"
)
_WORDS = re.compile(r"(?P<d>\d{1,2})\s+(?P<month>[^\d\s]+)\s+(?P<y>\d{4})(?:\s+(?P<time>\S+))?")
_TIME = re.compile(
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?P<offset>Z|[+-]\d{2}:?\d{2})?",
    re.IGNORECASE,
)


def _month_names() -> dict[str, tuple[Calendar, int]]:
    """Every month name :func:`read_moment` knows, lower case, with its calendar and number."""
    names: dict[str, tuple[Calendar, int]] = {}
    for number, name in enumerate(PERSIAN_MONTHS, start=1):
        names[name.translate(_LETTERS)] = ("solar_hijri", number)
    names["امرداد"] = ("solar_hijri", 5)
    for language in ("en", "ar"):
        months = babel_locale(language).months["format"]
        for width in ("wide", "abbreviated"):
            for number, name in months[width].items():
                names[str(name).lower().rstrip(".").translate(_LETTERS)] = ("gregorian", int(number))
    names["sept"] = ("gregorian", 9)
    return names


_MONTHS = _month_names()


@dataclass(frozen=True)
class TypedMoment:
    """A date or date-time an operator typed, read."""

    #: Aware, in the zone it was read in.
    moment: datetime
    #: The calendar it was typed in.
    calendar: Calendar
    #: Whether a time was typed (a date alone is its midnight).
    has_time: bool


@dataclass(frozen=True)
class Unreadable:
    """What could not be read, and as much as was understood of it (None: not that far)."""

    #: What was typed, without directional controls.
    text: str
    problem: Problem
    calendar: Calendar | None = None
    year: int | None = None
    month: int | None = None
    day: int | None = None
    #: The time as typed (for ``time``).
    time: str | None = None
    #: Days in the month (for ``day``).
    days_in_month: int | None = None


def normalise(text: str) -> str:
    """``text`` with Latin digits, Persian letters, no directional controls, no comma or «ساعت»,
    single spaces."""
    plain = strip_controls(text).translate(_DIGITS).translate(_LETTERS)
    return " ".join(_NOISE.sub(" ", plain).split())


def days_in_month(calendar: Calendar, year: int, month: int) -> int:
    if calendar == "gregorian":
        return gregorian_calendar.monthrange(year, month)[1]
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if jdatetime.date(year, 1, 1).isleap() else 29


def read_moment(text: str, tz: str) -> TypedMoment | Unreadable:
    """The moment ``text`` names, in the zone ``tz`` unless it has an offset; see the module."""
    typed = strip_controls(text).strip()
    plain = normalise(text)
    numeric = _NUMERIC.fullmatch(plain)
    if numeric:
        year = int(numeric["y"])
        calendar: Calendar = "gregorian" if year >= FIRST_GREGORIAN_YEAR else "solar_hijri"
        month, day, time = int(numeric["m"]), int(numeric["d"]), numeric["time"]
    else:
        words = _WORDS.fullmatch(plain)
        known = _MONTHS.get(words["month"].lower().rstrip(".")) if words else None
        if words is None or known is None:
            return Unreadable(typed, "shape")
        calendar, month = known
        year, day, time = int(words["y"]), int(words["d"]), words["time"]
    understood = Unreadable(typed, "shape", calendar, year, month, day)
    if not 1 <= month <= 12:
        return replace(understood, problem="month")
    length = days_in_month(calendar, year, month)
    if not 1 <= day <= length:
        return replace(understood, problem="day", days_in_month=length)
    hour = minute = second = 0
    zone: ZoneInfo | timezone = ZoneInfo(tz)
    if time is not None:
        clock = _TIME.fullmatch(time)
        if clock is None or int(clock["h"]) > 23 or int(clock["mi"]) > 59 or int(clock["s"] or 0) > 59:
            return replace(understood, problem="time", time=time)
        hour, minute, second = int(clock["h"]), int(clock["mi"]), int(clock["s"] or 0)
        if clock["offset"]:
            zone = _offset(clock["offset"])
    if calendar == "solar_hijri":
        g = jdatetime.date(year, month, day).togregorian()
        year, month, day = g.year, g.month, g.day
    moment = datetime(year, month, day, hour, minute, second, tzinfo=zone).astimezone(ZoneInfo(tz))
    return TypedMoment(moment, calendar, time is not None)


def _offset(text: str) -> timezone:
    if text.upper() == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def explain(unreadable: Unreadable, example: str, language: str) -> str:
    """What was wrong with a typed date, what was understood of it, and ``example`` (a date in
    the reader's calendar and digits, :func:`kooch.i18n.dates.typed_example`), in ``language``."""
    u = unreadable
    typed = isolate(u.text)
    parts: list[str] = []
    if u.problem == "shape":
        parts.append(gettext(language, "I cannot read “{text}” as a date.").format(text=typed))
    else:
        assert u.year is not None and u.month is not None and u.day is not None
        if u.calendar == "solar_hijri":
            read = gettext(
                language,
                "I read “{text}” as day {day}, month {month}, year {year} of the Solar Hijri "
                "calendar (years below 1900 are Solar Hijri).",
            )
        else:
            read = gettext(
                language,
                "I read “{text}” as day {day}, month {month}, year {year} of the Gregorian "
                "calendar (years from 1900 on are Gregorian).",
            )
        numbers = {"day": u.day, "month": u.month, "year": u.year}
        parts.append(read.format(text=typed, **{k: to_digits(str(v), language) for k, v in numbers.items()}))
        if u.problem == "month":
            parts.append(gettext(language, "There is no month {month}: months go from 1 to 12."))
        elif u.problem == "day":
            parts.append(gettext(language, "That month has {days} days."))
        else:
            parts.append(gettext(language, "“{text}” is not a time of day."))
        parts[-1] = parts[-1].format(
            month=to_digits(str(u.month), language),
            days=to_digits(str(u.days_in_month), language),
            text=isolate(u.time or ""),
        )
    parts.append(gettext(language, "For example: {example}").format(example=example))
    return " ".join(parts)
