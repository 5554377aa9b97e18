"""Formatting shared by every feature's wording: times and counts as people read them.

Plain functions; the operator's and the subscriber's language decide the digits.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def format_time(ts: float, tz: str) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


#: Persian digits, for counts shown to Persian readers.
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


#: The Arabic thousands separator (٬), which Persian uses between groups of digits.
_PERSIAN_THOUSANDS = "\u066c"


def format_count(n: int, language: str) -> str:
    """``1234`` as ``1,234``, or ``۱٬۲۳۴`` for Persian."""
    grouped = f"{n:,}"
    if language == "fa":
        return grouped.replace(",", _PERSIAN_THOUSANDS).translate(_PERSIAN_DIGITS)
    return grouped
