"""Which language each operator reads, for replies and for the notices sent outside a reply."""

from __future__ import annotations

from kooch.config import Config


class OperatorLanguages:
    """The Telegram language each operator's app last reported (kept in memory only).

    A reply knows the operator's ``language_code`` from the update; a notice (an error, a
    campaign's progress, a reload) does not, and uses the one last seen here, so an operator
    whose app is in Persian keeps reading Persian. The config's ``{id: …, language: …}`` wins
    over both; after a restart, before an operator's first command, a notice falls back to it or
    to English.
    """

    def __init__(self) -> None:
        self._seen: dict[int, str] = {}

    def note(self, user_id: int, language_code: str | None) -> None:
        if language_code:
            self._seen[user_id] = language_code

    def of(self, config: Config, user_id: int, language_code: str | None = None) -> str:
        """The language of ``user_id``: the config's choice, else ``language_code`` (the update's)
        or the one last seen."""
        return config.operator_language(user_id, language_code or self._seen.get(user_id))
