"""The custom callback context: typed access to Kooch's services instead of dict look-ups."""

from __future__ import annotations

from typing import Any

from telegram.ext import CallbackContext, ExtBot

from kooch.app.services import KOOCH_KEY, Services
from kooch.config import Config
from kooch.store import Store

__all__ = ["KOOCH_KEY", "KoochContext"]


class KoochContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    @property
    def kooch(self) -> Services:
        kooch: Services = self.application.bot_data[KOOCH_KEY]
        return kooch

    @property
    def config(self) -> Config:
        """The config in force right now (re-read on every access, never cached)."""
        return self.kooch.config.current

    @property
    def store(self) -> Store:
        return self.kooch.store
