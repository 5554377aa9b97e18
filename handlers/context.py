"""The custom callback context: typed access to Kooch's services instead of dict look-ups."""

from __future__ import annotations

from typing import Any

from telegram.ext import CallbackContext, ExtBot

from kooch.config import Config
from kooch.runtime import Kooch
from kooch.store import Store

KOOCH_KEY = "kooch"


class KoochContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def kooch(self) -> Kooch:
        kooch: Kooch = self.application.bot_data[KOOCH_KEY]
        return kooch

    @property
    def config(self) -> Config:
        """The config in force right now (re-read on every access, never cached)."""
        return self.kooch.config.current

    @property
    def store(self) -> Store:
        return self.kooch.store
