"""The config in force, shared by every part of the running bot."""

from __future__ import annotations

from pathlib import Path

from kooch.config.model import Config


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
