"""Operator insight: the clicks (written in batches), the counts, and the retention job."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass

from kooch.app.background import App, BackgroundWork, Kind
from kooch.app.features.core import Core
from kooch.app.lifecycle import on_close
from kooch.i18n import gettext
from kooch.insight.clicks import ClickLog
from kooch.insight.store import InsightStore

log = logging.getLogger(__name__)

DAY_S = 86400.0


@dataclass(frozen=True)
class Insight:
    insight: InsightStore
    clicks: ClickLog


async def open_insight(stack: AsyncExitStack, core: Core) -> Insight:
    metrics = core.metrics
    clicks = ClickLog(core.store, on_flush_error=lambda _exc: metrics.observe_error("click_write"))
    metrics.watch_queue("clicks_pending", lambda: clicks.pending)
    clicks.start()
    on_close(stack, "clicks", clicks.close)  # the last clicks, before the store closes
    insight = InsightStore(core.store)

    async def retention(_app: App) -> None:
        """Delete personal rows older than ``privacy.retention_days`` (the config in force now)."""
        days = core.config.current.privacy.retention_days
        if days is None:
            return
        result = await insight.delete_older_than(core.clock.now() - days * DAY_S)
        if result.total:
            deleted = f"deleted {result.acks} acknowledgements, {result.subscribers} starts"
            if result.audit or result.confirmations:
                deleted += f", {result.audit} audit rows, {result.confirmations} used confirmations"
            log.info("retention: %s older than %d days", deleted, days)
            await core.audit.add(0, "retention", f"privacy.retention_days: {days}", deleted)

    # At once when the bot starts, then daily.
    core.background.declare(
        BackgroundWork(
            "retention",
            Kind.JOB,
            lambda language: gettext(language, "retention"),
            retention,
            every_s=DAY_S,
        )
    )
    return Insight(insight, clicks)
