"""The composition root: every service of the running bot, opened in one place, closed in reverse.

:func:`open_services` opens the core (:func:`~kooch.app.features.core.open_core`: the config,
the store, the leader, the Application's Bot, the clock), then one builder per feature
(:mod:`kooch.app.features`), each returning a small frozen dataclass and declaring its
background work (:mod:`kooch.app.background`). Whatever a builder opens it pushes on the one
exit stack the runner holds (:func:`kooch.app.runner.running_bot`), which closes everything in
the reverse order when the bot stops. Handlers reach the services through ``context.kooch``
(:class:`Services`); nothing else builds any of them.

A new feature: a builder in :mod:`kooch.app.features`, one field here, one line in
:func:`open_services`.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from telegram.ext import Application

from kooch.across.mirror import Mirror
from kooch.across.service import Across
from kooch.announce.store import AnnouncementStore
from kooch.announce.sync.service import SyncEngine
from kooch.app.background import Background
from kooch.app.features.across import AcrossFeature, open_across
from kooch.app.features.announce import Announce, open_announce
from kooch.app.features.arrivals import Arrivals, open_arrivals
from kooch.app.features.campaigns import Campaigns, open_campaigns
from kooch.app.features.core import Core, audit_log, open_core, subscriber_store
from kooch.app.features.destinations import Destinations, open_destinations
from kooch.app.features.insight import Insight, open_insight
from kooch.app.features.menus import Menus, open_menus
from kooch.app.features.reload import open_reloader
from kooch.app.features.web import Web, open_web
from kooch.app.leadership import Leadership
from kooch.app.lifecycle import on_close
from kooch.app.settings import Settings, StartupError
from kooch.arrivals.service import ArrivalsWatcher
from kooch.campaigns.service import CampaignRunner
from kooch.clock import Clock
from kooch.config import Config
from kooch.config.holder import ConfigHolder
from kooch.config.reload import Reloader
from kooch.destinations.service import LinkMonitor
from kooch.insight.clicks import ClickLog
from kooch.insight.store import InsightStore
from kooch.menus.service import MenuKeeper
from kooch.metrics import Metrics
from kooch.operators.audit import AuditLog
from kooch.operators.languages import OperatorLanguages
from kooch.operators.pending import PendingActions
from kooch.store import Store
from kooch.subscribers.store import SubscriberStore
from kooch.subscribers.titles import ChannelTitles
from kooch.telegram.bots import BotFactory
from kooch.telegram.gateway import Gateway
from kooch.telegram.notify import OperatorNotifier
from kooch.telegram.webhook_intake import ReplySlots, WebhookIntake
from kooch.web.server import WebServer

__all__ = [
    "KOOCH_KEY",
    "Services",
    "Settings",
    "StartupError",
    "audit_log",
    "open_services",
    "services_of",
    "subscriber_store",
]

#: Where the Application keeps its :class:`Services` (``context.kooch`` reads it).
KOOCH_KEY = "kooch"


@dataclass(frozen=True)
class Services:
    """The running bot's services, by feature. Every one is there for the whole run; the
    properties below are the names handlers read (``context.kooch.sync``)."""

    core: Core
    announce: Announce
    insights: Insight
    campaigning: Campaigns
    destinations: Destinations
    watching: Arrivals
    menu: Menus
    serving: Web
    reloader: Reloader
    crossing: AcrossFeature

    @property
    def webhook(self) -> bool:
        """Updates arrive by webhook (else Kooch polls)."""
        web = self.serving.server
        return web is not None and web.state.webhook is not None

    # The names handlers read, each in its feature.

    @property
    def settings(self) -> Settings:
        return self.core.settings

    @property
    def clock(self) -> Clock:
        return self.core.clock

    @property
    def config(self) -> ConfigHolder:
        return self.core.config

    @property
    def store(self) -> Store:
        return self.core.store

    @property
    def bots(self) -> BotFactory:
        return self.core.bots

    @property
    def metrics(self) -> Metrics:
        return self.core.metrics

    @property
    def leadership(self) -> Leadership:
        return self.core.leadership

    @property
    def background(self) -> Background:
        return self.core.background

    @property
    def gateway(self) -> Gateway:
        return self.core.gateway

    @property
    def notifier(self) -> OperatorNotifier:
        return self.core.notifier

    @property
    def operator_languages(self) -> OperatorLanguages:
        return self.core.operator_languages

    @property
    def audit(self) -> AuditLog:
        return self.core.audit

    @property
    def subscribers(self) -> SubscriberStore:
        return self.core.subscribers

    @property
    def pending(self) -> PendingActions:
        return self.core.pending

    @property
    def announcements(self) -> AnnouncementStore:
        return self.announce.announcements

    @property
    def sync(self) -> SyncEngine:
        return self.announce.sync

    @property
    def insight(self) -> InsightStore:
        return self.insights.insight

    @property
    def clicks(self) -> ClickLog:
        return self.insights.clicks

    @property
    def campaigns(self) -> CampaignRunner:
        return self.campaigning.campaigns

    @property
    def links(self) -> LinkMonitor:
        return self.destinations.links

    @property
    def arrivals(self) -> ArrivalsWatcher:
        return self.watching.arrivals

    @property
    def across(self) -> Across:
        return self.crossing.across

    @property
    def mirror(self) -> Mirror:
        return self.crossing.mirror

    @property
    def menus(self) -> MenuKeeper:
        return self.menu.menus

    @property
    def titles(self) -> ChannelTitles:
        return self.menu.titles

    @property
    def web(self) -> WebServer | None:
        return self.serving.server

    @property
    def webhook_intake(self) -> WebhookIntake | None:
        return self.serving.intake

    @property
    def replies(self) -> ReplySlots:
        return self.serving.replies


def services_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    services: Services = app.bot_data[KOOCH_KEY]
    return services


async def open_services(
    stack: AsyncExitStack,
    app: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    config: Config,
    bots: BotFactory,
) -> Services:
    """Open every service for ``app``, each pushed on ``stack`` as it opens, and leave them in
    ``app.bot_data``. A failure raises (:class:`StartupError` with words for the operator) and
    the caller's stack closes what was opened. The order is the dependency order."""
    core = await open_core(stack, app, settings, config, bots)
    insight = await open_insight(stack, core)
    announce = await open_announce(stack, core)
    campaigns = await open_campaigns(stack, core)
    arrivals = await open_arrivals(stack, core)
    across = await open_across(stack, core, announce.announcements, campaigns.campaigns)
    menus = await open_menus(stack, core)
    reloader = await open_reloader(stack, core, announce.sync, menus.menus, campaigns.campaigns)
    destinations = await open_destinations(stack, core)
    web = await open_web(stack, core, insight.clicks)
    # The duties stop after the Application (the updates in hand end first) and before the Bots
    # they send and edit with are shut down; the lock is given up last of all that.
    on_close(stack, "leadership", core.leadership.close)
    services = Services(
        core, announce, insight, campaigns, destinations, arrivals, menus, web, reloader, across
    )
    app.bot_data[KOOCH_KEY] = services
    return services
