"""Which language each operator reads, and the name other operators know them by."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from kooch.config import Config
from kooch.i18n import strip_controls

#: Longest operator name shown (Telegram allows 64 characters for a first name and 64 for a last).
MAX_NAME = 64
_SPACES = re.compile(r"\s+")
#: ZERO WIDTH NON-JOINER and JOINER: format characters that Persian names are spelled with.
_JOINERS = frozenset("\u200c\u200d")


def clean_name(name: str | None) -> str:
    """A Telegram name as a line of text: no control or direction characters, one space between
    words, at most :data:`MAX_NAME` characters; empty when nothing is left."""
    if not name:
        return ""
    text = "".join(
        ch
        for ch in strip_controls(_SPACES.sub(" ", name))
        if ch in _JOINERS or unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")
    )
    text = _SPACES.sub(" ", text).strip()
    return text[:MAX_NAME].rstrip()


class OperatorLanguages:
    """The Telegram language and name each operator's app last reported (kept in memory only).

    A reply knows the operator's ``language_code`` from the update; a notice (an error, a
    campaign's progress, a reload) does not, and uses the one last seen here, so an operator
    whose app is in Persian keeps reading Persian. The config's ``{id: …, language: …}`` wins
    over both; after a restart, before an operator's first command, a notice falls back to it or
    to English.

    The name is the one from the operator's latest update, for the messages other operators read
    ("/reload by Sara"). It is never written to the database: a restart forgets it (the messages
    then say the operator's id), and :meth:`forget` drops it with the rest of an operator's data.
    """

    def __init__(self) -> None:
        self._seen: dict[int, str] = {}
        self._names: dict[int, str] = {}

    def note(self, user_id: int, language_code: str | None, name: str | None = None) -> None:
        if language_code:
            self._seen[user_id] = language_code
        shown = clean_name(name)
        if shown:
            self._names[user_id] = shown

    def of(self, config: Config, user_id: int, language_code: str | None = None) -> str:
        """The language of ``user_id``: the config's choice, else ``language_code`` (the update's)
        or the one last seen."""
        return config.operator_language(user_id, language_code or self._seen.get(user_id))

    def name(self, user_id: int) -> str | None:
        """The operator's Telegram name from their latest update (None before one, or after a restart)."""
        return self._names.get(user_id)

    @property
    def names(self) -> Mapping[int, str]:
        """Every name known, by user id (a read-only view)."""
        return self._names.copy()

    def forget(self, user_id: int) -> None:
        """Drop what is kept about ``user_id`` (an operator's /forget)."""
        self._seen.pop(user_id, None)
        self._names.pop(user_id, None)
