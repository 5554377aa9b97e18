"""Formatting shared by every feature's wording: times and counts as people read them.

Thin names over :mod:`kooch.i18n`, kept because the features' wording modules call them; new code
asks :mod:`kooch.i18n` directly, with the reader's language.
"""

from __future__ import annotations

from kooch.i18n import format_datetime, format_number


def format_time(ts: float, tz: str) -> str:
    """``2026-12-02 00:14`` in ``tz``: the operators' numeric form, Gregorian and Latin digits."""
    return format_datetime(ts, tz, "en", numeric=True)


def format_count(n: int, language: str) -> str:
    """``1234`` as ``1,234``, ``۱٬۲۳۴`` for Persian, ``١٬٢٣٤`` for Arabic."""
    return format_number(n, language)
