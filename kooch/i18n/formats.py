"""Formatting shared by every feature's wording: times, counts, durations and time zones as
people read them.

``format_time``, ``format_count``, ``numeric_time`` and ``id_digits`` are thin names over
:mod:`kooch.i18n` that the features' wording modules call (it was ``kooch/wording.py``). Durations
and zones are said in words: settings are kept in seconds (``link_check_interval_s: 3600``) and
zones by their IANA id (``Asia/Tehran``), but nobody says "every 3600 s (Asia/Tehran)": a duration
takes the largest unit that divides it evenly (3600 → one hour, 300 → five minutes, 90 → 90 seconds)
with each language's plural forms, and a zone is named by its city from CLDR, so Persian reads «هر
ساعت» and «به وقت تهران».
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from kooch.i18n import format_datetime, format_number, gettext, ngettext, pgettext, to_digits
from kooch.i18n.dates import zone_name


def format_time(ts: float, tz: str) -> str:
    """``2026-12-02 00:14`` in ``tz``: the operators' numeric form, Gregorian and Latin digits."""
    return format_datetime(ts, tz, "en", numeric=True)


def format_count(n: int, language: str) -> str:
    """``1234`` as ``1,234``, ``۱٬۲۳۴`` for Persian, ``١٬٢٣٤`` for Arabic."""
    return format_number(n, language)


Unit = Literal["day", "hour", "minute", "second"]

_UNITS: tuple[tuple[Unit, int], ...] = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def whole_units(seconds: float) -> tuple[int, Unit]:
    """``3600`` → ``(1, "hour")``; ``300`` → ``(5, "minute")``; ``90`` → ``(90, "second")``.

    The largest unit that divides the (rounded) number of seconds; fractions of a second round to
    the nearest whole one, and anything under a second counts as one second."""
    whole = max(1, round(seconds))
    for unit, size in _UNITS:
        if whole % size == 0:
            return whole // size, unit
    raise AssertionError("a second divides every whole number")  # pragma: no cover


def every(seconds: float, language: str) -> str:
    """``every hour``, ``every 5 minutes``; «هر ساعت»، «هر ۵ دقیقه»; «كل ساعة».

    A fraction of a second that is not a whole one (``counter_interval_s: 0.5``) stays as written:
    ``every 0.5 seconds``, «هر ۰٫۵ ثانیه»."""
    written = f"{seconds:g}"
    if seconds < 60 and "." in written:
        decimals = len(written.partition(".")[2])
        text = pgettext(language, "fraction", "every {n} seconds")
        return text.format(n=format_number(seconds, language, decimals))
    n, unit = whole_units(seconds)
    if unit == "day":
        text = ngettext(language, "every day", "every {n} days", n)
    elif unit == "hour":
        text = ngettext(language, "every hour", "every {n} hours", n)
    elif unit == "minute":
        text = ngettext(language, "every minute", "every {n} minutes", n)
    else:
        text = ngettext(language, "every second", "every {n} seconds", n)
    return text.format(n=format_number(n, language))


#: Zones that are the universal time itself: said as such, not as a city.
UNIVERSAL = frozenset(
    {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu", "GMT", "Etc/GMT"}
)


@cache
def zone_words(zone: str, language: str) -> str:
    """How ``language`` says "in this zone's time": «به وقت تهران», ``Tehran time``."""
    if zone in UNIVERSAL:
        return gettext(language, "universal time (UTC)")
    return gettext(language, "{city} time").format(city=zone_name(zone, language))


def numeric_time(ts: float, tz: str, language: str) -> str:
    """A moment in the operators' numeric form: ``2026-12-02 00:14``, ``۱۴۰۵-۰۹-۱۱ ۰۰:۱۴``."""
    return format_datetime(ts, tz, language, numeric=True)


def id_digits(n: int, language: str) -> str:
    """A message or schedule number in ``language``'s digits (never grouped: it is a name)."""
    return to_digits(str(n), language)
