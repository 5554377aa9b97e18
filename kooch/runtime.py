"""The running bot's shared services, reached by handlers through ``context.kooch``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kooch.config import Config
from kooch.store import Store
from kooch.store.clicks import ClickLog
from kooch.web.metrics import Metrics

if TYPE_CHECKING:  # issue 3; imported for typing only (they import this module)
    from kooch.campaign_runner import CampaignRunner  # issue 6
    from kooch.reload import Reloader
    from kooch.sync import SyncEngine


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
    #: Clicks on the redirect links (issue 4): buffered writes, and the /stats queries.
    clicks: ClickLog | None = None
    #: Counters for /metrics (issue 4); the web server exposes them.
    metrics: Metrics | None = None
    #: Keeps posted announcements in sync with the config, and the live counter (issue 3).
    sync: SyncEngine | None = None
    #: Reloads config.yaml on /reload and when the file changes (issue 3).
    reloader: Reloader | None = None
    #: Sends reminder campaigns and fires the scheduled reminders (issue 6).
    campaigns: CampaignRunner | None = None
