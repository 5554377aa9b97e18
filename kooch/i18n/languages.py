"""Which language a person gets, and which way it is written.

Telegram reports a person's interface language as an IETF tag (``fa``, ``fa-IR``, ``en-GB``,
sometimes none). Kooch speaks a few languages; everyone else gets a fallback. The direction comes
from CLDR through Babel rather than a hand-kept list, so a new language is right the day it is
added to the catalogs.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import Literal

from babel import Locale, UnknownLocaleError

#: Languages with a catalog; the first is the one message ids are written in.
SUPPORTED: tuple[str, ...] = ("en", "fa", "ar")
#: What a person whose language Kooch does not speak reads (and what a missing translation shows).
FALLBACK = "en"

Direction = Literal["ltr", "rtl"]


def base_language(language_code: str | None) -> str:
    """``fa-IR`` → ``fa``; ``pt_BR`` → ``pt``; None or empty → ``""``."""
    return (language_code or "").replace("_", "-").split("-")[0].strip().lower()


def resolve_language(
    language_code: str | None, supported: Iterable[str] = SUPPORTED, default: str = FALLBACK
) -> str:
    """A person's Telegram ``language_code`` as one of ``supported``, else ``default``."""
    short = base_language(language_code)
    return short if short and short in set(supported) else default


@cache
def direction(language: str) -> Direction:
    """``rtl`` for Persian, Arabic, Hebrew, Urdu…; ``ltr`` otherwise (and for unknown tags)."""
    try:
        locale = Locale.parse(base_language(language) or FALLBACK)
    except (UnknownLocaleError, ValueError):
        return "ltr"
    return "rtl" if locale.text_direction == "rtl" else "ltr"


def is_rtl(language: str) -> bool:
    return direction(language) == "rtl"


# The marks below and in_direction/embed are what the /stats chart (kooch/insight/charts.py) still
# draws its labels with; every text the bot sends goes through kooch.i18n.bidi instead (isolates).
# The chart's own branch of issue 21 replaces them there; remove them with its last caller.

#: RIGHT-TO-LEFT and LEFT-TO-RIGHT MARK: invisible characters of a strong direction.
RLM = "\u200f"
LRM = "\u200e"


def text_direction(text: str) -> Direction | None:
    """The direction of ``text``'s first letter (how a renderer sets it); None if it has none."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return None


def in_direction(text: str, language: str) -> str:
    """``text`` set as a paragraph of ``language``'s direction.

    A renderer takes a paragraph's direction from its first letter (Unicode's bidirectional
    algorithm, rule P2), and one with no letter at all, such as ``۵۱۰ (۴۱٫۳٪)``, or one that
    starts with a Latin name, such as ``@kooch_demo: ۱۲``, would be set left to right, its parts
    in the wrong order for a Persian reader. A right-to-left mark first settles it.
    """
    return RLM + text if is_rtl(language) and not text.startswith(RLM) else text


def embed(text: str, language: str) -> str:
    """``text`` (a name: ``@kooch_demo``, ``Soroush``) kept whole inside a sentence of ``language``.

    In a Persian sentence ``@kooch_demo`` would be drawn ``kooch_demo@``: the ``@`` takes the
    sentence's direction, not the name's. Marks of the name's direction around it keep its
    punctuation with it; a name already in the sentence's direction is left as it is.
    """
    inner, outer = text_direction(text) or "ltr", direction(language)
    if inner == outer:
        return text
    return f"{LRM}{text}{RLM}" if inner == "ltr" else f"{RLM}{text}{LRM}"


def language_name(code: str, reader: str) -> str:
    """The language ``code`` named in the ``reader``'s language: ``fa`` → «فارسی» for a Persian
    reader, ``Persian`` for an English one (CLDR's names); the code itself when CLDR has none."""
    try:
        names = Locale.parse(base_language(reader) or FALLBACK).languages
    except (UnknownLocaleError, ValueError):
        return code
    return names.get(base_language(code)) or code
