"""The composition root: every service of the running bot, opened in one place, closed in reverse.

:func:`open_services` runs from the Application's ``post_init`` and :meth:`Services.close` from its
``post_shutdown``. The order is the dependency order: the store first (everything writes to it)
with the repositories over it, then the Application's Bot (``getMe`` checks the token), the
clicks, the sync engine's Bot and the engine (posts follow the config), the config reloader (which
pokes the sync engine), the campaign runner with its Bot, the arrivals watcher, the web server
(it serves all of them), and last the leadership: the singleton work (the sync engine, the
campaign runner, the arrivals rounds, the bot's menus, ``setWebhook``) starts once this process
leads - at once on SQLite, after the election on PostgreSQL (:mod:`kooch.app.leadership`).
Handlers reach the services through ``context.kooch``; nothing else builds any of them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from kooch.across.mirror import Mirror
from kooch.across.service import Across
from kooch.across.store import AcrossStore, MirrorStore
from kooch.across.store import erase_user as erase_arrived
from kooch.announce.changes import describe_diff
from kooch.announce.limits import CHECKS
from kooch.announce.store import AnnouncementStore, erase_operator
from kooch.announce.sync import SyncEngine
from kooch.app.leadership import Leadership
from kooch.arrivals.client import DestinationClient, DestinationFailed
from kooch.arrivals.store import ArrivalsStore
from kooch.arrivals.watcher import ArrivalsWatcher
from kooch.campaigns.runner import CampaignRunner
from kooch.campaigns.store import erase_user as erase_recipient
from kooch.clock import SYSTEM, Clock
from kooch.config import Config
from kooch.config.diff import ConfigDiff
from kooch.config.holder import ConfigHolder
from kooch.config.reload import Reloader
from kooch.config.sections import plain_http_refused
from kooch.destinations.monitor import LinkMonitor
from kooch.destinations.store import LinkStore
from kooch.exits import Exit
from kooch.insight.clicks import ClickLog
from kooch.insight.pseudonym import AUDIT_SCOPE, OPERATOR_SCOPE, lazy_pseudonymizer
from kooch.insight.pseudonym import KEY_ENV as PSEUDONYM_KEY_ENV
from kooch.insight.store import InsightStore
from kooch.menus.service import MenuKeeper, removed_operators
from kooch.menus.wording import profile
from kooch.metrics import Metrics
from kooch.operators.audit import AuditLog
from kooch.operators.languages import OperatorLanguages
from kooch.operators.pending import PendingActions
from kooch.operators.pending import erase_user as erase_pending
from kooch.store import MigrationError, Store, StoreUnavailable, database_url, open_store
from kooch.store.inbox import Inbox
from kooch.store.inbox import erase_user as erase_spooled
from kooch.store.leader import Leader, PgLeader, SoleLeader
from kooch.subscribers.store import SubscriberStore
from kooch.subscribers.titles import ChannelTitles
from kooch.telegram.bots import BotFactory, Transport, aiohttp_transport
from kooch.telegram.gateway import Gateway
from kooch.telegram.lanes import Lane, LanedUpdateQueue
from kooch.telegram.notify import OperatorNotifier, Words
from kooch.telegram.profile import BotProfile
from kooch.telegram.webhook import new_secret, set_webhook
from kooch.telegram.webhook_intake import NoReplies, ReplySlots, WebhookIntake
from kooch.web.limits import raise_open_file_limit
from kooch.web.server import Webhook, WebServer, WebState

log = logging.getLogger(__name__)

#: Where the Application keeps its :class:`Services` (``context.kooch`` reads it).
KOOCH_KEY = "kooch"

#: The sync engine's connections: edits are paced to ~20 a minute per chat, a few suffice.
SYNC_POOL = 8
#: Replicas: how often the leader looks in the database for a campaign another replica queued
#: or cancelled (one replica pokes its own runner at once; the database is all they share).
CAMPAIGN_POLL_S = 2.0


class StartupError(Exception):
    """A problem that stops the bot before it starts; printed to stderr, exiting with ``code``
    (:mod:`kooch.exits`: the config by default)."""

    def __init__(self, message: str, code: Exit = Exit.CONFIG) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Settings:
    """What one run of the bot is started with (the config file, the token, the server)."""

    config_path: Path
    token: str
    api_url: str
    #: Overrides ``storage.sqlite_path`` (the rehearsal keeps its own database).
    database: Path | None = None
    #: ``FULL``: a commit is on disk when a tap is answered. Only benchmarks lower it.
    synchronous: str = "FULL"
    #: The HTTP transport of every Bot (tests and benchmarks put Telegram in-process).
    transport: Transport = aiohttp_transport
    #: What every service reads the time from (tests pass a manual one).
    clock: Clock = SYSTEM
    #: False: fetch no destination link whatever the config says (the offline rehearsal).
    fetch_links: bool = True
    #: ``KOOCH_WEBHOOK_SECRET`` (checked): shared by every process behind one webhook URL.
    #: None: a random secret per start.
    webhook_secret: str | None = field(default=None, repr=False)
    #: False: operators' updates are taken like subscribers' (only a benchmark's baseline).
    operators_first: bool = True


@dataclass
class Services:
    """The running bot's services. Every field is there for the whole run."""

    settings: Settings
    clock: Clock
    config: ConfigHolder
    #: The engine; what is stored is read and written through the repositories below.
    store: Store
    subscribers: SubscriberStore
    announcements: AnnouncementStore
    pending: PendingActions
    audit: AuditLog
    insight: InsightStore
    metrics: Metrics
    bots: BotFactory
    clicks: ClickLog
    notifier: OperatorNotifier
    #: The Application's Bot in Kooch's terms: what handlers pass to the features.
    gateway: Gateway
    sync: SyncEngine
    reloader: Reloader
    campaigns: CampaignRunner
    #: The destinations' link checks (the previews' and the periodic one).
    links: LinkMonitor
    #: Reads the channels' and the destinations' member counts every ``arrivals_interval_s``.
    arrivals: ArrivalsWatcher
    #: Move codes: the personal links, and the destination bots' intake (issue 27).
    across: Across
    #: The channel's new posts copied to the destinations (issue 27).
    mirror: Mirror
    #: None when the config has no ``web:`` section (no HTTP server at all).
    web: WebServer | None
    #: Where a handler puts a method into the webhook response (polling: nowhere, always a call).
    replies: ReplySlots
    #: The webhook intake; None when polling.
    webhook_intake: WebhookIntake | None
    #: This replica's part in the election, and the singleton work it runs while it leads.
    leadership: Leadership
    #: The "/" menus and the descriptions, kept in step with the config (by the leader).
    menus: MenuKeeper
    #: The channels' titles on Telegram, read once in a while (the deep link's reply names them).
    titles: ChannelTitles
    #: The language each operator last used (replies and notices are written in it).
    operator_languages: OperatorLanguages = field(default_factory=OperatorLanguages)
    _stack: AsyncExitStack = field(repr=False, default_factory=AsyncExitStack)

    @property
    def webhook(self) -> bool:
        """Updates arrive by webhook (else Kooch polls)."""
        return self.web is not None and self.web.state.webhook is not None

    async def close(self) -> None:
        """Close every service, in the reverse of the order they were opened."""
        await self._stack.aclose()


def audit_log(store: Store) -> AuditLog:
    """The audit log, naming strangers by their audit pseudonym and forgotten operators by theirs
    (the key beside the database)."""
    return AuditLog(
        store, lazy_pseudonymizer(store.files, AUDIT_SCOPE), lazy_pseudonymizer(store.files, OPERATOR_SCOPE)
    )


def subscriber_store(store: Store, audit: AuditLog) -> SubscriberStore:
    """The subscribers' repository with every feature's part of ``/forget``: these are all the
    tables that can hold a user's id or name (tests/hostile/test_privacy.py holds the schema to it).
    """
    return SubscriberStore(
        store,
        erasers=(
            erase_recipient,
            erase_pending,
            audit.erase_user,
            erase_operator,
            erase_spooled,
            erase_arrived,
        ),
    )


def services_of(app: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    services: Services = app.bot_data[KOOCH_KEY]
    return services


async def open_services(
    app: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    config: Config,
    bots: BotFactory,
) -> Services:
    """Open every service for ``app`` and leave them in ``app.bot_data``; on a failure, close
    what was opened and raise :class:`StartupError` with words for the operator."""
    async with AsyncExitStack() as stack:
        holder = ConfigHolder(config, settings.config_path)
        queue = app.update_queue
        if settings.operators_first and isinstance(queue, LanedUpdateQueue):
            # Before any update can arrive (the replayed ones, the webhook's, polling's).
            queue.operators = lambda: holder.current.operators
        try:
            # The rehearsal's own database is always an SQLite file.
            url = None if settings.database else database_url(config.database_url, os.environ)
            store = await open_store(
                settings.database or config.sqlite_path,
                url,
                synchronous=settings.synchronous,
                clock=settings.clock,
            )
        except StoreUnavailable as exc:
            raise StartupError(str(exc), Exit.TEMPFAIL) from None
        except MigrationError as exc:
            raise StartupError(str(exc), Exit.UNAVAILABLE) from None
        stack.push_async_callback(store.close)
        if url and not os.environ.get(PSEUDONYM_KEY_ENV):
            # Each replica would make its own key file: the same user, other pseudonyms.
            log.warning(
                "PostgreSQL without %s: set the same key for every replica, or their exports and "
                "audit will name one user differently",
                PSEUDONYM_KEY_ENV,
            )
        leader: Leader = PgLeader(url, clock=settings.clock) if url else SoleLeader()
        leadership = Leadership(leader)
        audit = audit_log(store)
        subscribers = subscriber_store(store, audit)
        announcements = AnnouncementStore(store)
        pending = PendingActions(store)
        insight = InsightStore(store)
        # The store before any network call: a database problem is reported first.
        await app.initialize()  # getMe: the token and the Bot API server are checked here
        stack.push_async_callback(app.shutdown)

        metrics = bots.metrics
        metrics.watch_queue("store_writer", lambda: store.backlog)
        clicks = ClickLog(store, on_flush_error=lambda _exc: metrics.observe_error("click_write"))
        metrics.watch_queue("clicks_pending", lambda: clicks.pending)
        clicks.start()
        stack.push_async_callback(clicks.close)  # the last clicks, before the store closes

        operator_languages = OperatorLanguages()
        notifier = OperatorNotifier(
            lambda: holder.current.operators,
            app.bot,
            lambda operator: operator_languages.of(holder.current, operator),
        )
        gateway = Gateway(app.bot)

        edits = Gateway(bots.bot(SYNC_POOL))
        await edits.initialize()
        stack.push_async_callback(edits.shutdown)
        sync = SyncEngine(
            holder, announcements, edits, notifier.tell, clock=settings.clock, poll_counts=bool(url)
        )
        # The duties start in this order once this replica leads (at once on SQLite), and stop
        # in reverse when it stops leading or closes.
        await leadership.add("post sync", sync.start, sync.stop)  # edits in flight end

        menus = MenuKeeper(BotProfile(app.bot), lambda: holder.current)

        async def applied(old: Config, new: Config, diff: ConfigDiff) -> list[str]:
            sync.poke()
            # The menus follow the operators and the channels' words; only the leader sets them.
            if leader.is_leader and (old.operators != new.operators or profile(old) != profile(new)):
                menus.refresh(removed=removed_operators(old, new))
            # New, changed and removed reminders are in the schedule (and /campaigns) at once,
            # written by the replica that sends them.
            if diff.reminders and leader.is_leader:
                await campaigns.reminders_changed()
            return []

        async def tell_reload(text: Words, skip: int | None) -> None:
            # Every replica watches its file; only the leader says what a change of it did. An
            # operator's /reload (skip: who asked) is told from the replica that ran it.
            if skip is not None or leader.is_leader:
                await notifier.tell_others(text, skip)

        reloader = Reloader(
            holder,
            tell_reload,
            applied,
            checks=CHECKS,
            describe=describe_diff,
            clock=settings.clock,
        )
        await reloader.start()
        stack.push_async_callback(reloader.stop)

        # Resumes a campaign cut off by a crash and fires due reminders.
        campaigns = CampaignRunner(
            store,
            holder,
            Gateway(bots.bot()),
            gateway,
            clock=settings.clock,
            fence=leader.fenced,
            languages=operator_languages,
            on_outcome=metrics.observe_campaign_message,
            **({"poll_s": CAMPAIGN_POLL_S} if url else {}),
        )
        # The send in flight ends on stop; the rest resumes at the next start, here or elsewhere.
        await leadership.add("campaign sender", campaigns.start, campaigns.stop)

        links = LinkMonitor(
            lambda: holder.current,
            LinkStore(store),
            notifier.tell,
            settings.clock,
            allowed=settings.fetch_links,
        )

        web_config = config.web
        intake = (
            WebhookIntake(app, Inbox(store, app.bot.id), brief=_subscribers_message(app))
            if web_config is not None and web_config.webhook
            else None
        )
        if intake is not None:
            metrics.watch_queue("intake_held", lambda: intake.held)
        # One client for every destination's bot API (member counts, move codes, the mirror).
        destinations = DestinationClient()
        # The member counts: read once now (the start of every series), then each interval. The
        # destinations' tokens are read from the environment here, in the composition root.
        arrivals = ArrivalsWatcher(
            ArrivalsStore(store),
            holder,
            gateway.member_count,
            notifier.tell,
            environ=os.environ,
            client=destinations,
            clock=settings.clock,
        )
        await leadership.add("arrivals rounds", arrivals.start, arrivals.stop)
        # Move codes: the destination bots' intake (one poller per token: the leader's).
        across = Across(holder, AcrossStore(store), destinations, environ=os.environ)
        await leadership.add("destination intake", across.start, across.stop)
        campaigns.personalize = across.with_links  # reminders carry the recipient's personal links
        # The mirror: the channel's new posts copied to the destinations (a leader duty).
        mirror = Mirror(
            holder,
            MirrorStore(store),
            destinations,
            environ=os.environ,
            download=_downloader(app),
            tell=notifier.tell,
            announced_at=_announced_at(announcements),
            clock=settings.clock,
            **({"poll_s": CAMPAIGN_POLL_S} if url else {}),
        )
        await leadership.add("mirror", mirror.start, mirror.stop)
        # The "/" menus and descriptions: read back, and set where they differ from the config's.
        await leadership.add("bot menus", menus.start, menus.stop)

        # The duties stop after the web server (the taps in hand end first) and before the Bots
        # they send and edit with are shut down; the lock is given up last of all that.
        stack.push_async_callback(leadership.close)
        web = await _start_web(app, settings, holder, store, clicks, metrics, intake, leader)
        if web is not None:
            stack.push_async_callback(web.stop)
            hook = web.state.webhook
            if hook is not None:
                await leadership.add("setWebhook", _registrar(app, holder, hook.secret))
        await leadership.start()

        services = Services(
            operator_languages=operator_languages,
            settings=settings,
            clock=settings.clock,
            config=holder,
            store=store,
            subscribers=subscribers,
            announcements=announcements,
            pending=pending,
            audit=audit,
            insight=insight,
            metrics=metrics,
            bots=bots,
            clicks=clicks,
            notifier=notifier,
            gateway=gateway,
            sync=sync,
            reloader=reloader,
            campaigns=campaigns,
            links=links,
            arrivals=arrivals,
            across=across,
            mirror=mirror,
            web=web,
            replies=intake if intake is not None else NoReplies(),
            webhook_intake=intake,
            leadership=leadership,
            menus=menus,
            titles=ChannelTitles(gateway.get_chat, settings.clock),
            _stack=stack.pop_all(),
        )
    app.bot_data[KOOCH_KEY] = services
    return services


async def _start_web(
    app: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
    holder: ConfigHolder,
    store: Store,
    clicks: ClickLog,
    metrics: Metrics,
    intake: WebhookIntake | None,
    leader: Leader,
) -> WebServer | None:
    """The web server when ``web:`` is configured (the webhook is registered by the leader, once
    the server listens: :func:`_registrar`). None without ``web:``."""
    clock = settings.clock
    web_config = holder.current.web
    if web_config is None:
        return None
    public_url = web_config.public_url
    if web_config.webhook and public_url is not None and public_url.startswith("http://"):
        # The config was checked against the environment's TELEGRAM_API_URL; this run may talk
        # to another server (tests, the rehearsal), and only the server in use decides.
        refused = plain_http_refused(public_url, settings.api_url)
        if refused is not None:
            raise StartupError(f"web.public_url: {refused}")
    secret = settings.webhook_secret or new_secret()
    hook = Webhook(secret, intake.take) if intake is not None else None
    # Before the server sizes its connection cap from it: the default soft limit (often 1,024)
    # is what a flood of connections would exhaust first.
    raise_open_file_limit()
    state = WebState(holder, store, clicks, metrics, hook, clock, leader=leader)
    server = WebServer(
        state, web_config.host, web_config.port, access_log_details=web_config.access_log_details
    )
    try:
        await server.start()
    except OSError as exc:
        await server.stop()
        raise StartupError(
            f"cannot listen on {web_config.host}:{web_config.port} (web.listen): {exc.strerror or exc}. "
            "Is another program using this port?",
            Exit.TEMPFAIL,
        ) from None
    return server


def _subscribers_message(app: Application[Any, Any, Any, Any, Any, Any]) -> Callable[[Update], bool]:
    """Which webhook updates are spooled after a brief wait: those of the subscribers' lane (a tap
    waits for its answer to ride in the response, an operator's is handled at once)."""
    queue = app.update_queue
    if not isinstance(queue, LanedUpdateQueue):
        return lambda update: False
    return lambda update: queue.lane_of(update) is Lane.OTHERS


def _downloader(app: Application[Any, Any, Any, Any, Any, Any]) -> Callable[[str], Awaitable[bytes]]:
    """A channel post's file from Telegram, for the mirror (a failure is the mirror's to retry)."""

    async def download(file_id: str) -> bytes:
        try:
            file = await app.bot.get_file(file_id)
            return bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            said = str(exc)
            raise DestinationFailed(
                lambda _lang: f"the post's file could not be read from Telegram: {said}"
            ) from None

    return download


def _announced_at(announcements: AnnouncementStore) -> Callable[[str], Awaitable[float | None]]:
    async def first(channel: str) -> float | None:
        current = await announcements.current_announcement(channel)
        return current.posted_at if current is not None else None

    return first


def _registrar(
    app: Application[Any, Any, Any, Any, Any, Any], holder: ConfigHolder, secret: str
) -> Callable[[], Awaitable[None]]:
    """The leader's ``setWebhook`` (if Telegram does not have this URL and secret already)."""

    async def register() -> None:
        web_config = holder.current.web
        assert web_config is not None and web_config.public_url is not None  # checked with webhook: true
        await set_webhook(app, web_config.public_url, secret, web_config.max_connections)

    return register
