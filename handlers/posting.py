"""Posting the announcement now, shared by /announce's confirm button and the scheduled jobs."""

from __future__ import annotations

from handlers.context import KoochContext
from kooch.announce.post import post_announcement
from kooch.announce.wording import post_report
from kooch.config import Channel, Config


async def post_now(
    context: KoochContext, config: Config, channel: Channel, operator_id: int, language: str = "en"
) -> tuple[str, bool]:
    """Post, pin if configured, record. Returns the operator's report line and whether it posted."""
    kooch = context.kooch
    outcome = await post_announcement(
        kooch.gateway, kooch.announcements, kooch.sync, config, channel, operator_id
    )
    return post_report(outcome, language), outcome.posted
