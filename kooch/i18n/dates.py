"""Dates and times as a reader of each language writes them, in the configured time zone.

Persian readers date things in the Solar Hijri calendar (۱۱ آذر ۱۴۰۵), converted by jdatetime;
everyone else in the Gregorian one, with month names from CLDR through Babel. Digits follow the
language (:mod:`kooch.i18n.numbers`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import jdatetime
from babel.dates import format_datetime as babel_format
from babel.dates import get_timezone_location

from kooch.i18n.bidi import ltr
from kooch.i18n.catalog import gettext, ngettext
from kooch.i18n.languages import base_language, is_rtl
from kooch.i18n.numbers import babel_locale, to_digits

#: Solar Hijri month names, as Iranians write them (jdatetime's own list).
PERSIAN_MONTHS: tuple[str, ...] = tuple(jdatetime.date.j_months_fa)
#: The comma between a date and its time: Persian and Arabic use ، (U+060C).
_COMMA = {"fa": "،", "ar": "،"}


def local_time(ts: float, tz: str) -> datetime:
    """Unix seconds as an aware datetime in the IANA zone ``tz``."""
    return datetime.fromtimestamp(ts, ZoneInfo(tz))


def uses_solar_hijri(language: str) -> bool:
    return base_language(language) == "fa"


def solar_hijri(moment: datetime) -> tuple[int, int, int]:
    """``(year, month, day)`` of ``moment``'s local date in the Solar Hijri calendar."""
    j = jdatetime.date.fromgregorian(date=moment.date())
    return int(j.year), int(j.month), int(j.day)


def _babel(moment: datetime, pattern: str, language: str) -> str:
    return babel_format(moment, pattern, tzinfo=moment.tzinfo, locale=babel_locale(language))


def day_month(moment: datetime, language: str) -> str:
    """``11 آذر`` (fa, digits Persian), ``2 Dec`` (en), ``٢ ديسمبر`` (ar)."""
    if uses_solar_hijri(language):
        _, month, day = solar_hijri(moment)
        return to_digits(f"{day} {PERSIAN_MONTHS[month - 1]}", language)
    return to_digits(_babel(moment, "d MMM", language), language)


def month_year(moment: datetime, language: str) -> str:
    """``آذر ۱۴۰۵``, ``Dec 2026``, ``ديسمبر ٢٠٢٦``."""
    if uses_solar_hijri(language):
        year, month, _ = solar_hijri(moment)
        return to_digits(f"{PERSIAN_MONTHS[month - 1]} {year}", language)
    return to_digits(_babel(moment, "MMM y", language), language)


def clock(moment: datetime, language: str) -> str:
    """``00:14`` in the language's digits (24-hour, as Kooch's operators read it)."""
    return to_digits(f"{moment.hour:02d}:{moment.minute:02d}", language)


def format_date(ts: float, tz: str, language: str) -> str:
    """``۱۱ آذر ۱۴۰۵``, ``2 Dec 2026``, ``٢ ديسمبر ٢٠٢٦``: the day ``ts`` falls on in ``tz``."""
    moment = local_time(ts, tz)
    if uses_solar_hijri(language):
        year, month, day = solar_hijri(moment)
        return to_digits(f"{day} {PERSIAN_MONTHS[month - 1]} {year}", language)
    return to_digits(_babel(moment, "d MMM y", language), language)


def format_datetime(ts: float, tz: str, language: str, *, numeric: bool = False, year: bool = True) -> str:
    """``ts`` in ``tz`` for a reader of ``language``.

    In words: ``۱۱ آذر ۱۴۰۵، ۰۰:۱۴``, ``2 Dec 2026, 00:14``, ``٢ ديسمبر ٢٠٢٦، ٠٠:١٤``.
    ``numeric``: ``1405-09-11 00:14`` in Persian digits, ``2026-12-02 00:14`` (the form operators'
    replies used before there were languages, kept for lists where columns must line up);
    without the ``year``, ``09-11 00:14`` (a button has little room).

    A numeric date in a right-to-left language is one left-to-right island: bare, a client draws
    ``۱۴۰۵-۰۹-۱۱`` as ``۱۱-۰۹-۱۴۰۵`` after a Persian word and as written at the start of a line,
    two orders in one message. Isolated, it reads year-month-day left to right everywhere, as
    numbers do in Persian and Arabic text.
    """
    moment = local_time(ts, tz)
    if numeric:
        if uses_solar_hijri(language):
            y, month, day = solar_hijri(moment)
        else:
            y, month, day = moment.year, moment.month, moment.day
        date = f"{y:04d}-{month:02d}-{day:02d}" if year else f"{month:02d}-{day:02d}"
        text = to_digits(f"{date} {moment:%H:%M}", language)
        return ltr(text) if is_rtl(language) else text
    comma = _COMMA.get(base_language(language), ",")
    return f"{format_date(ts, tz, language)}{comma} {clock(moment, language)}"


# --------------------------------------------------------------------------------------------
# A moment an operator typed, said back: where it falls in the reader's calendar, and how far


@cache
def zone_name(tz: str, language: str) -> str:
    """The zone as its city, in ``language`` (CLDR): ``تهران``, ``Tehran``, ``طهران``; ``UTC``.

    A zone CLDR names no city for is said by its id's last part, made readable
    (``America/Argentina/Buenos_Aires`` → ``Buenos Aires``); a Latin name is kept left to right
    in a right-to-left language. The one place a zone is named: ``moment_words`` and
    :func:`kooch.i18n.formats.zone_words` both say it."""
    try:
        city = str(get_timezone_location(ZoneInfo(tz), locale=babel_locale(language), return_city=True))
    except (LookupError, ValueError):
        city = ""
    if not city or city == tz:
        city = tz.rsplit("/", 1)[-1].replace("_", " ")
    return ltr(city) if is_rtl(language) and city.isascii() else city


def moment_words(ts: float, tz: str, language: str) -> str:
    """``۱۶ آذر ۱۴۰۵، ساعت ۱۸:۰۰ به وقت تهران``, ``16 Dec 2026 18:00 Tehran time``."""
    text = gettext(language, "{date} {time} {zone} time")
    return text.format(
        date=format_date(ts, tz, language),
        time=ltr(clock(local_time(ts, tz), language)),
        zone=zone_name(tz, language),
    )


#: The units a distance is said in, largest first, with their length in seconds.
_YEAR, _DAY, _HOUR, _MINUTE = 365 * 86400, 86400, 3600, 60


def _unit(language: str, unit: int, n: int) -> str:
    number = to_digits(str(n), language)
    if unit == _YEAR:
        return ngettext(language, "{n} year", "{n} years", n).format(n=number)
    if unit == _DAY:
        return ngettext(language, "{n} day", "{n} days", n).format(n=number)
    if unit == _HOUR:
        return ngettext(language, "{n} hour", "{n} hours", n).format(n=number)
    if unit == _MINUTE:
        return ngettext(language, "{n} minute", "{n} minutes", n).format(n=number)
    return ngettext(language, "{n} second", "{n} seconds", n).format(n=number)


def span_words(seconds: float, language: str) -> str:
    """A length of time in its two largest units, rounded down: ``3 hours``, ``2 days and 5
    hours``, ``۱ سال و ۲۰ روز``; under a minute, in seconds."""
    left = round(abs(seconds))
    units = (_YEAR, _DAY, _HOUR, _MINUTE, 1)
    for i, unit in enumerate(units):
        if left >= unit or unit == 1:
            larger = left // unit
            if unit == 1:
                return _unit(language, unit, larger)
            smaller_unit = units[i + 1]
            smaller = (left - larger * unit) // smaller_unit
            if smaller == 0 or smaller_unit == 1:
                return _unit(language, unit, larger)
            both = gettext(language, "{larger} and {smaller}")
            return both.format(
                larger=_unit(language, unit, larger), smaller=_unit(language, smaller_unit, smaller)
            )
    raise AssertionError("unreachable: the last unit is one second")


def distance(ts: float, now: float, language: str) -> str:
    """How far ``ts`` is from ``now``: ``in 3 hours``, ``۲ روز پیش``."""
    span = span_words(ts - now, language)
    if ts >= now:
        return gettext(language, "in {span}").format(span=span)
    return gettext(language, "{span} ago").format(span=span)


def echo(ts: float, now: float, tz: str, language: str) -> str:
    """A moment an operator typed, said back: ``۱۶ آذر ۱۴۰۵، ساعت ۱۸:۰۰ به وقت تهران — ۳ ساعت
    دیگر``, ``16 Dec 2026 18:00 Tehran time — in 3 hours``."""
    return f"{moment_words(ts, tz, language)} — {distance(ts, now, language)}"


def typed_example(now: float, tz: str, language: str, *, days: int = 1, time: bool = True) -> str:
    """A date to type, ``days`` from ``now`` (18:00 that day), in the reader's calendar and
    digits, as :mod:`kooch.i18n.date_input` reads it back: ``۱۴۰۵-۰۹-۱۷ ۱۸:۰۰``,
    ``2026-12-07 18:00``; without the ``time``, the date alone."""
    day = local_time(now, tz) + timedelta(days=days)
    moment = day.replace(hour=18, minute=0, second=0, microsecond=0)
    if uses_solar_hijri(language):
        y, month, d = solar_hijri(moment)
    else:
        y, month, d = moment.year, moment.month, moment.day
    text = f"{y:04d}-{month:02d}-{d:02d}" + (f" {moment:%H:%M}" if time else "")
    return ltr(to_digits(text, language)) if is_rtl(language) else to_digits(text, language)
