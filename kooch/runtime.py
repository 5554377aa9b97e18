"""The running bot's shared services, reached by handlers through ``context.kooch``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kooch.config import Config
from kooch.store import Store


class ConfigHolder:
    """The config in force. Handlers read :attr:`current` each time they act, never keep a copy,
    so a reload applies to the very next update."""

    def __init__(self, config: Config, path: Path) -> None:
        self.current = config
        self.path = path

    def replace(self, config: Config) -> Config:
        """Put ``config`` in force; return the one it replaces."""
        old, self.current = self.current, config
        return old


@dataclass
class Kooch:
    config: ConfigHolder
    store: Store
