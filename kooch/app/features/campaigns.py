"""Reminder campaigns: the sender (a leader duty) resumes a campaign cut off by a crash and fires
due reminders."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

from kooch.app.background import BackgroundWork, Kind
from kooch.app.features.core import Core
from kooch.campaigns.service import CampaignRunner
from kooch.i18n import gettext
from kooch.telegram.gateway import Gateway

#: Replicas: how often the leader looks in the database for a campaign another replica queued
#: or cancelled (one replica pokes its own runner at once; the database is all they share).
CAMPAIGN_POLL_S = 2.0


@dataclass(frozen=True)
class Campaigns:
    campaigns: CampaignRunner


async def open_campaigns(_stack: AsyncExitStack, core: Core) -> Campaigns:
    campaigns = CampaignRunner(
        core.store,
        core.config,
        Gateway(core.bots.bot()),
        core.gateway,
        clock=core.clock,
        fence=core.leader.fenced,
        languages=core.operator_languages,
        on_outcome=core.metrics.observe_campaign_message,
        **({"poll_s": CAMPAIGN_POLL_S} if core.database_url else {}),
    )
    # The send in flight ends on stop; the rest resumes at the next start, here or elsewhere.
    core.background.declare(
        BackgroundWork(
            "campaign sender",
            Kind.DUTY,
            lambda language: gettext(language, "campaign sender"),
            start=lambda _app: campaigns.start(),
            stop=lambda _app: campaigns.stop(),
        )
    )
    return Campaigns(campaigns)
