"""Numbers as a reader of each language writes them: its digits and its separators.

Babel knows each locale's numbering system and symbols (CLDR) but writes Latin digits whatever
the system, so the digits are swapped here. Persian uses the extended Arabic-Indic digits
(۰-۹) with ٬ between thousands and ٫ as the decimal point; Arabic the Arabic-Indic ones (٠-٩).
CLDR's default for ``ar`` is Latin digits; Kooch's Arabic readers are in the Middle East, where
Arabic-Indic digits are the usual ones, so ``ar`` asks for them.
"""

from __future__ import annotations

from functools import cache

from babel import Locale
from babel.numbers import format_decimal

from kooch.i18n.languages import FALLBACK, base_language

#: CLDR numbering system per language; any other language writes Latin digits.
NUMBERING: dict[str, str] = {"fa": "arabext", "ar": "arab"}
_DIGITS: dict[str, str] = {
    "latn": "0123456789",
    "arabext": "۰۱۲۳۴۵۶۷۸۹",
    "arab": "٠١٢٣٤٥٦٧٨٩",
}


def numbering_system(language: str) -> str:
    return NUMBERING.get(base_language(language), "latn")


def to_digits(text: str, language: str) -> str:
    """Latin digits in ``text`` as ``language`` writes them (everything else unchanged)."""
    system = numbering_system(language)
    if system == "latn":
        return text
    return text.translate(str.maketrans(_DIGITS["latn"], _DIGITS[system]))


@cache
def babel_locale(language: str) -> Locale:
    try:
        return Locale.parse(base_language(language) or FALLBACK)
    except (ValueError, LookupError):
        return Locale.parse(FALLBACK)


def format_number(value: float, language: str, decimals: int = 0) -> str:
    """``1234`` → ``1,234`` (en), ``۱٬۲۳۴`` (fa), ``١٬٢٣٤`` (ar); ``decimals`` digits after the point."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    system = numbering_system(language)
    text = format_decimal(value, format=pattern, locale=babel_locale(language), numbering_system=system)
    # The sign stays a plain hyphen-minus: CLDR's Persian one carries a left-to-right mark,
    # which would move it in the middle of a right-to-left sentence.
    return to_digits(text.replace("\u200e", "").replace("\u061c", "").replace("\u2212", "-"), language)


def format_percent(value: float, language: str, decimals: int = 1) -> str:
    """``12.5`` (already a percentage) → ``12.5%``, ``۱۲٫۵٪``, ``١٢٫٥٪``."""
    symbols = babel_locale(language).number_symbols.get(numbering_system(language), {})
    sign = str(symbols.get("percentSign", "%")).replace("\u061c", "")
    return format_number(value, language, decimals) + sign
