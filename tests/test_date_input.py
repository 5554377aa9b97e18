"""Dates as operators type them (kooch.i18n.date_input) and said back (kooch.i18n.dates.echo).

Every day of 1390-1420 (Solar Hijri) is shown as Kooch shows it, typed back, and read to the day
the calendar says it is. The calendar's answer is not Kooch's own (jdatetime's 33-year
arithmetic): it is counted from each year's Nowruz as convertdate computes it from the March
equinox at Tehran's meridian, with a year's length the distance to the next Nowruz.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from convertdate import persian  # type: ignore[import-untyped]

from kooch.i18n import format_date, format_datetime, ltr, paragraph
from kooch.i18n.date_input import TypedMoment, Unreadable, explain, read_moment
from kooch.i18n.dates import distance, echo, span_words, typed_example
from tests.bidi_kit import assert_reads_right, plain

TZ = "Asia/Tehran"
TEHRAN = ZoneInfo(TZ)
#: 2026-12-02 00:14 in Tehran: 11 Azar 1405.
AZAR_11 = 1796157840.0
FIRST, LAST = 1390, 1420


@cache
def nowruz(year: int) -> date:
    """1 Farvardin of ``year`` (Solar Hijri), from the astronomical calendar."""
    return date(*persian.to_gregorian(year, 1, 1))


def solar_hijri_days() -> list[tuple[int, int, int, date]]:
    """Every day of FIRST..LAST as ``(year, month, day, its Gregorian date)``, counted from Nowruz."""
    days = []
    for year in range(FIRST, LAST + 1):
        length = (nowruz(year + 1) - nowruz(year)).days
        assert length in (365, 366)
        months = [31] * 6 + [30] * 5 + [length - 336]
        n = 0
        for month, month_days in enumerate(months, start=1):
            for day in range(1, month_days + 1):
                days.append((year, month, day, nowruz(year) + timedelta(days=n)))
                n += 1
    return days


DAYS = solar_hijri_days()


def moment(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TEHRAN)


def read(text: str) -> TypedMoment:
    typed = read_moment(text, TZ)
    assert isinstance(typed, TypedMoment), (text, typed)
    return typed


def test_the_reference_has_the_leap_years_the_calendar_centre_publishes() -> None:
    leap = [y for y in range(FIRST, LAST + 1) if (nowruz(y + 1) - nowruz(y)).days == 366]
    assert leap == [1391, 1395, 1399, 1403, 1408, 1412, 1416, 1420]
    assert len(DAYS) == 31 * 365 + len(leap)


def test_every_day_a_persian_reader_is_shown_reads_back_as_that_day() -> None:
    """Numeric (Persian digits, as shown), words (``۱۶ آذر ۱۴۰۵``), Latin digits with slashes and
    a ``T``: each of 11,000 days, at 18:30, is the day the astronomical calendar says."""
    for year, month, day, gregorian in DAYS:
        expected = moment(gregorian, 18, 30)
        ts = expected.timestamp()
        shown = format_datetime(ts, TZ, "fa", numeric=True)  # ⁦۱۴۰۵-۰۹-۱۶ ۱۸:۳۰⁩
        assert read(shown).moment == expected, shown
        words = f"{format_date(ts, TZ, 'fa')}، ساعت ۱۸:۳۰"  # ۱۶ آذر ۱۴۰۵، ساعت ۱۸:۳۰
        assert read(words).moment == expected, words
        latin = f"{year}/{month:02d}/{day:02d}T18:30"
        typed = read(latin)
        assert (typed.moment, typed.calendar, typed.has_time) == (expected, "solar_hijri", True)


def test_every_day_an_english_reader_is_shown_reads_back_as_that_day() -> None:
    for _, _, _, gregorian in DAYS[::7]:
        expected = moment(gregorian, 9, 5)
        ts = expected.timestamp()
        for shown in (format_datetime(ts, TZ, "en", numeric=True), format_datetime(ts, TZ, "en")):
            typed = read(shown)
            assert (typed.moment, typed.calendar) == (expected, "gregorian"), shown
        arabic = format_datetime(ts, TZ, "ar", numeric=True)  # Arabic-Indic digits, Gregorian
        assert read(arabic).moment == expected, arabic


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Nowruz 1404 began at midnight on 21 March 2025; the last minute of 1403 was Esfand 30.
        ("1404-01-01 00:00", moment(date(2025, 3, 21))),
        ("۱۴۰۳-۱۲-۳۰ ۲۳:۵۹", moment(date(2025, 3, 20), 23, 59)),
        ("١٤٠٣-١٢-٣٠", moment(date(2025, 3, 20))),
        ("1399-12-30", moment(date(2021, 3, 20))),
        ("1400-01-01", moment(date(2021, 3, 21))),
        ("1405-09-16T18:00", moment(date(2026, 12, 7), 18)),
        ("1405.09.16 18:00:00", moment(date(2026, 12, 7), 18)),
        # Gregorian stays accepted: a year from 1900 on.
        ("2026-12-07 18:00", moment(date(2026, 12, 7), 18)),
        ("2026-12-07T14:30Z", moment(date(2026, 12, 7), 18)),
        ("2026-12-07T18:00+03:30", moment(date(2026, 12, 7), 18)),
        ("7 December 2026 18:00", moment(date(2026, 12, 7), 18)),
        ("1900-01-01", datetime(1900, 1, 1, tzinfo=TEHRAN)),
        # Pasted back from Kooch's own messages: isolates, marks, the comma, «ساعت».
        (ltr("۱۴۰۵-۰۹-۱۶ ۱۸:۰۰"), moment(date(2026, 12, 7), 18)),
        ("\u200f۱۶ آذر ۱۴۰۵، ساعت \u2066۱۸:۰۰\u2069", moment(date(2026, 12, 7), 18)),
        ("16 امرداد 1404", moment(date(2025, 8, 7))),
        ("۲۰ ارديبهشت ۱۴۰۵", moment(date(2026, 5, 10))),  # the Arabic yeh of some keyboards
    ],
    ids=lambda v: str(v),
)
def test_dates_typed_in_either_calendar(text: str, expected: datetime) -> None:
    assert read(text).moment == expected


def test_a_date_alone_is_its_midnight_and_says_so() -> None:
    typed = read("1405-09-16")
    assert (typed.moment, typed.has_time) == (moment(date(2026, 12, 7)), False)


@pytest.mark.parametrize(
    ("text", "problem", "understood"),
    [
        ("tomorrow", "shape", None),
        ("16-09-1405", "shape", None),
        ("1405-9", "shape", None),
        ("16 Brumaire 1405", "shape", None),
        ("1404-12-30", "day", ("solar_hijri", 1404, 12, 30)),  # 1404 is not a leap year
        ("1405-07-31", "day", ("solar_hijri", 1405, 7, 31)),
        ("2025-02-29", "day", ("gregorian", 2025, 2, 29)),
        ("1405-13-01", "month", ("solar_hijri", 1405, 13, 1)),
        ("1405-00-10", "month", ("solar_hijri", 1405, 0, 10)),
        ("1405-09-16 24:00", "time", ("solar_hijri", 1405, 9, 16)),
        ("2026-12-07 18h", "time", ("gregorian", 2026, 12, 7)),
    ],
    ids=lambda v: str(v),
)
def test_what_cannot_be_read_says_what_was_understood(
    text: str, problem: str, understood: tuple[str, int, int, int] | None
) -> None:
    result = read_moment(text, TZ)
    assert isinstance(result, Unreadable)
    assert result.problem == problem
    if understood is not None:
        assert (result.calendar, result.year, result.month, result.day) == understood


def test_the_explanation_is_in_the_readers_language_and_calendar() -> None:
    esfand = read_moment("1404-12-30", TZ)
    assert isinstance(esfand, Unreadable)
    fa = paragraph(explain(esfand, typed_example(AZAR_11, TZ, "fa"), "fa"), "fa")
    assert plain(fa) == (
        "«1404-12-30» را روز ۳۰ از ماه ۱۲ سال ۱۴۰۴ خورشیدی خواندم (سال‌های پیش از ۱۹۰۰ خورشیدی‌اند). "
        "آن ماه ۲۹ روز دارد. برای نمونه: ۱۴۰۵-۰۹-۱۲ ۱۸:۰۰"
    )
    en = explain(esfand, typed_example(AZAR_11, TZ, "en"), "en")
    assert plain(en) == (
        "I read “1404-12-30” as day 30, month 12, year 1404 of the Solar Hijri calendar (years below "
        "1900 are Solar Hijri). That month has 29 days. For example: 2026-12-03 18:00"
    )
    nonsense = read_moment("فردا", TZ)
    assert isinstance(nonsense, Unreadable)
    fa_nonsense = paragraph(explain(nonsense, typed_example(AZAR_11, TZ, "fa"), "fa"), "fa")
    assert plain(fa_nonsense) == "«فردا» را نتوانستم به‌صورت تاریخ بخوانم. برای نمونه: ۱۴۰۵-۰۹-۱۲ ۱۸:۰۰"
    assert_reads_right([fa, en, fa_nonsense])


def test_an_echo_says_the_moment_in_the_readers_calendar_and_how_far_it_is() -> None:
    later = AZAR_11 + 3 * 3600 + 46 * 60  # 00:14 + 3 h 46 min: 2 Dec 2026 04:00
    fa = paragraph(echo(later, AZAR_11, TZ, "fa"), "fa")
    assert plain(fa) == "۱۱ آذر ۱۴۰۵، ساعت ۰۴:۰۰ به وقت تهران — ۳ ساعت و ۴۶ دقیقه دیگر"
    en = echo(later, AZAR_11, TZ, "en")
    assert plain(en) == "2 Dec 2026 04:00 Tehran time — in 3 hours and 46 minutes"
    ar = paragraph(echo(later, AZAR_11, TZ, "ar"), "ar")
    arabic = "٢ ديسمبر ٢٠٢٦، الساعة ٠٤:٠٠ بتوقيت طهران — بعد ٣ ساعات و٤٦ دقيقة"
    assert plain(ar).replace("\u200e", "") == arabic
    assert_reads_right([fa, en, ar])


@pytest.mark.parametrize(
    ("seconds", "en", "fa"),
    [
        (0, "0 seconds", "۰ ثانیه"),
        (45, "45 seconds", "۴۵ ثانیه"),
        (60, "1 minute", "۱ دقیقه"),
        (3 * 3600, "3 hours", "۳ ساعت"),
        (3 * 3600 + 59, "3 hours", "۳ ساعت"),
        (86400 + 3600, "1 day and 1 hour", "۱ روز و ۱ ساعت"),
        (400 * 86400, "1 year and 35 days", "۱ سال و ۳۵ روز"),
    ],
)
def test_spans_in_their_two_largest_units(seconds: int, en: str, fa: str) -> None:
    assert span_words(seconds, "en") == en
    assert span_words(seconds, "fa") == fa
    assert span_words(-seconds, "en") == en


def test_a_past_moment_is_ago_and_a_future_one_in() -> None:
    assert distance(AZAR_11 - 7200, AZAR_11, "en") == "2 hours ago"
    assert distance(AZAR_11 - 7200, AZAR_11, "fa") == "۲ ساعت پیش"
    assert distance(AZAR_11 + 7200, AZAR_11, "fa") == "۲ ساعت دیگر"


def test_the_example_is_in_the_readers_calendar_and_reads_back() -> None:
    assert plain(typed_example(AZAR_11, TZ, "fa")) == "۱۴۰۵-۰۹-۱۲ ۱۸:۰۰"
    assert typed_example(AZAR_11, TZ, "en") == "2026-12-03 18:00"
    assert plain(typed_example(AZAR_11, TZ, "fa", days=-7, time=False)) == "۱۴۰۵-۰۹-۰۴"
    for language in ("fa", "en", "ar"):
        assert read(typed_example(AZAR_11, TZ, language)).moment == moment(date(2026, 12, 3), 18)
