"""Dates and times as a reader of each language writes them, in the configured time zone.

Persian readers date things in the Solar Hijri calendar (۱۱ آذر ۱۴۰۵), converted by jdatetime;
everyone else in the Gregorian one, with month names from CLDR through Babel. Digits follow the
language (:mod:`kooch.i18n.numbers`).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import jdatetime
from babel.dates import format_datetime as babel_format

from kooch.i18n.bidi import ltr
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
