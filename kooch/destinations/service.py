"""The periodic link check: every ``link_check_interval_s``, check every configured link, store
the verdicts and tell the operators what broke or recovered, once per change.

When the last round ran is read from the database, so a restart neither re-alerts (the stored
verdicts are the "before") nor checks again before the interval is over.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable

from kooch.clock import Clock
from kooch.config import Config
from kooch.destinations.links import TIMEOUT_S, LinkResult, check_config, configured_links
from kooch.destinations.store import Change, LinkStore, StoredCheck
from kooch.destinations.wording import change_alert


class LinkMonitor:
    """The link checks of the running bot: the preview's check and the periodic rounds."""

    def __init__(
        self,
        config: Callable[[], Config],
        store: LinkStore,
        tell: Callable[[Callable[[str], str]], Awaitable[None]],
        clock: Clock,
        *,
        timeout: float = TIMEOUT_S,
        ssl_context: ssl.SSLContext | bool = True,
        allowed: bool = True,
    ) -> None:
        #: The config in force (read at every round: a reload may change the links).
        self.config = config
        self.store = store
        self.tell = tell
        self.clock = clock
        self.timeout = timeout
        self.ssl_context = ssl_context
        #: False: this run fetches nothing whatever the config says (the offline rehearsal).
        self.allowed = allowed
        self._round = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return self.allowed and self.config().link_checks

    async def check_now(self) -> list[LinkResult] | None:
        """Every link's verdict now, for a preview (None: link checks are off). Stores nothing:
        what breaks is told by the periodic round."""
        if not self.enabled:
            return None
        return await check_config(self.config(), timeout=self.timeout, ssl_context=self.ssl_context)

    async def due(self) -> bool:
        if not self.enabled:
            return False
        last = await self.store.last_checked_at()
        return last is None or self.clock.now() - last >= self.config().link_check_interval_s

    async def run_round(self) -> list[Change]:
        """Check, store, and tell the operators what changed; returns the changes."""
        async with self._round:
            config = self.config()
            results = await check_config(config, timeout=self.timeout, ssl_context=self.ssl_context)
            changes = await self.store.record(results)
            if changes:
                await self.tell(lambda language: change_alert(changes, language, config.services))
            return changes

    async def tick(self) -> list[Change]:
        """The periodic job's call: a round when one is due, else nothing."""
        if not await self.due():
            return []
        return await self.run_round()

    async def last(self) -> list[StoredCheck]:
        """The stored verdicts of the links the config names now, in the config's order."""
        stored = {c.result.link.url: c for c in await self.store.last()}
        seen: set[str] = set()
        ordered = []
        for link in configured_links(self.config()):
            check = stored.get(link.url)
            if check is not None and link.url not in seen:
                seen.add(link.url)
                ordered.append(check)
        return ordered
