"""The core every feature is built on: the config, the store and the repositories shared by all
features, the leadership and its registry of background work, the Application's Bot."""

from __future__ import annotations

import logging
import os
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from telegram.ext import Application

from kooch.across.store import erase_user as erase_arrived
from kooch.announce.store import erase_operator
from kooch.app.background import Background
from kooch.app.leadership import Leadership
from kooch.app.lifecycle import on_close
from kooch.app.settings import Settings, StartupError
from kooch.campaigns.store import erase_user as erase_recipient
from kooch.clock import Clock
from kooch.config import Config
from kooch.config.holder import ConfigHolder
from kooch.exits import Exit
from kooch.insight.pseudonym import AUDIT_SCOPE, OPERATOR_SCOPE, lazy_pseudonymizer
from kooch.insight.pseudonym import KEY_ENV as PSEUDONYM_KEY_ENV
from kooch.metrics import Metrics
from kooch.operators.audit import AuditLog
from kooch.operators.languages import OperatorLanguages
from kooch.operators.pending import PendingActions
from kooch.operators.pending import erase_user as erase_pending
from kooch.store import MigrationError, Store, StoreUnavailable, database_url, open_store
from kooch.store.inbox import erase_user as erase_spooled
from kooch.store.leader import Leader, PgLeader, SoleLeader
from kooch.subscribers.store import SubscriberStore
from kooch.telegram.bots import BotFactory
from kooch.telegram.gateway import Gateway
from kooch.telegram.lanes import LanedUpdateQueue
from kooch.telegram.notify import OperatorNotifier

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class Core:
    app: App
    settings: Settings
    clock: Clock
    config: ConfigHolder
    #: The engine; what is stored is read and written through the repositories.
    store: Store
    #: The PostgreSQL URL the replicas share; None on SQLite (one process).
    database_url: str | None
    bots: BotFactory
    metrics: Metrics
    #: This replica's part in the election, and the singleton work it runs while it leads.
    leadership: Leadership
    #: Every feature's background work (:mod:`kooch.app.background`).
    background: Background
    #: The Application's Bot in Kooch's terms: what handlers pass to the features.
    gateway: Gateway
    notifier: OperatorNotifier
    #: The language each operator last used (replies and notices are written in it).
    operator_languages: OperatorLanguages
    audit: AuditLog
    subscribers: SubscriberStore
    pending: PendingActions

    @property
    def leader(self) -> Leader:
        return self.leadership.leader


async def open_core(
    stack: AsyncExitStack, app: App, settings: Settings, config: Config, bots: BotFactory
) -> Core:
    """The store first (a database problem is reported before any network call), then the
    Application's Bot (``getMe`` checks the token)."""
    holder = ConfigHolder(config, settings.config_path)
    queue = app.update_queue
    if settings.operators_first and isinstance(queue, LanedUpdateQueue):
        # Before any update can arrive (the replayed ones, the webhook's, polling's).
        queue.operators = lambda: holder.current.operators
    # The rehearsal's own database is always an SQLite file.
    url = None if settings.database else database_url(config.database_url, os.environ)
    store = await _open_store(settings, config, url)
    on_close(stack, "store", store.close)
    leader: Leader = PgLeader(url, clock=settings.clock) if url else SoleLeader()
    leadership = Leadership(leader)
    audit = audit_log(store)
    await app.initialize()  # getMe: the token and the Bot API server are checked here
    on_close(stack, "the Application's Bot", app.shutdown)
    bots.metrics.watch_queue("store_writer", lambda: store.backlog)
    operator_languages = OperatorLanguages()
    return Core(
        app=app,
        settings=settings,
        clock=settings.clock,
        config=holder,
        store=store,
        database_url=url,
        bots=bots,
        metrics=bots.metrics,
        leadership=leadership,
        background=Background(leadership, settings.clock),
        gateway=Gateway(app.bot),
        notifier=OperatorNotifier(
            lambda: holder.current.operators,
            app.bot,
            lambda operator: operator_languages.of(holder.current, operator),
        ),
        operator_languages=operator_languages,
        audit=audit,
        subscribers=subscriber_store(store, audit),
        pending=PendingActions(store),
    )


async def _open_store(settings: Settings, config: Config, url: str | None) -> Store:
    try:
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
    if url and not os.environ.get(PSEUDONYM_KEY_ENV):
        # Each replica would make its own key file: the same user, other pseudonyms.
        log.warning(
            "PostgreSQL without %s: set the same key for every replica, or their exports and "
            "audit will name one user differently",
            PSEUDONYM_KEY_ENV,
        )
    return store


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
