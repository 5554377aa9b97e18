"""Which language a person gets, and which way it is written.

Telegram reports a person's interface language as an IETF tag (``fa``, ``fa-IR``, ``en-GB``,
sometimes none). Kooch speaks a few languages; everyone else gets a fallback. The direction comes
from CLDR through Babel rather than a hand-kept list, so a new language is right the day it is
added to the catalogs.
"""

from __future__ import annotations

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


#: RIGHT-TO-LEFT MARK: an invisible strong right-to-left character.
RLM = "\u200f"


def in_direction(text: str, language: str) -> str:
    """``text`` set as a paragraph of ``language``'s direction.

    A renderer takes a paragraph's direction from its first letter (Unicode's bidirectional
    algorithm, rule P2), and one with no letter at all, such as ``۵۱۰ (۴۱٫۳٪)``, or one that
    starts with a Latin name, such as ``@kooch_demo: ۱۲``, would be set left to right, its parts
    in the wrong order for a Persian reader. A right-to-left mark first settles it.
    """
    return RLM + text if is_rtl(language) and not text.startswith(RLM) else text
