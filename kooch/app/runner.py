"""Running the bot: build the Application, open the services, take updates, and stop cleanly.

In polling mode the updates come through Kooch's own intake (kooch/telegram/intake.py), which
confirms an update to Telegram only once it is spooled in the database or handled; python-telegram-
bot's Updater, which confirms what it has merely fetched, is not built at all.

``kooch/bot.py`` passes in what only it knows (:class:`Wiring`: the context type, which handlers
to register, the background work defined beside them), so this module never imports the handlers.
What runs in the background is one list (:mod:`kooch.app.background`), started here once the
Application runs.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application, ContextTypes

from kooch.announce.checks import load_checked_config
from kooch.app.background import BackgroundWork
from kooch.app.features.web import serve
from kooch.app.lifecycle import on_close
from kooch.app.services import Services, Settings, StartupError, open_services, services_of
from kooch.config import Config, ConfigInvalid
from kooch.exits import Exit
from kooch.metrics import Metrics
from kooch.store.inbox import Inbox
from kooch.telegram.bots import BotFactory
from kooch.telegram.intake import Intake
from kooch.telegram.lanes import Budget, Lane, LanedUpdateProcessor, LanedUpdateQueue
from kooch.telegram.ratelimit import KoochRateLimiter
from kooch.telegram.webhook import checked_secret

log = logging.getLogger("kooch")

#: Taps processed at once. Taps wait on the store's group commit, so they must overlap; the
#: more of them wait together, the fewer commits a flood needs (bench/ack_flood.py: 1,024 in
#: flight answered about 10 % more taps per second than 256, with batches of ~500 taps).
CONCURRENT_UPDATES = 1024
#: Taps fetched but not yet taken by a handler. Deep, like the other lane's backlog: by polling,
#: Kooch must read past a flood of taps to reach an operator's command behind it (bench/day.py:
#: with 200, operators waited 36 s behind the taps). A tap held costs about 1.1 KB (its post is
#: parsed once for all taps, kooch/telegram/updates.py; tracemalloc, 10,000 taps), so 30,000
#: held are ~33 MB; each is spooled to the inbox before it is confirmed, so none is lost.
UPDATE_QUEUE_BOUND = 30_000
#: Operators' updates (their commands, replies and buttons) have a lane of their own, served first
#: (kooch/telegram/lanes.py): a flood of subscribers never fills it, so an operator's /stats is
#: taken at once, and its replies go ahead of the subscribers' at the rate limiter.
OPERATOR_LANE = Budget(in_flight=32, backlog=200)
#: Every other update (messages, commands, channel posts) has its own lane, so that replies
#: waiting on Telegram's sending limits never hold a tap's or an operator's slot. Its backlog is
#: deep: polling must get past a burst of subscribers' messages for the taps and the operators'
#: updates behind it to be fetched at all (20,000 /start take 11 minutes to answer at 30 a
#: second, and an operator asking /stats meanwhile must not wait for them). An update waiting
#: here costs a few KB (20,000 /start: the bot's peak RSS was ~230 MB, bench/operator_lane.py).
OTHER_LANE = Budget(in_flight=1024, backlog=30_000)
LANES = {
    Lane.OPERATORS: OPERATOR_LANE,
    Lane.TAPS: Budget(CONCURRENT_UPDATES, UPDATE_QUEUE_BOUND),
    Lane.OTHERS: OTHER_LANE,
}
#: Most updates the polling intake holds unfinished (fetched, spooled, not yet handled).
INTAKE_CAPACITY = sum(b.in_flight + b.backlog for b in LANES.values())
#: Connections of the Application's Bot: one per tap answer in flight, within reason.
APP_POOL = 256

App = Application[Any, Any, Any, Any, Any, Any]
Wire = Callable[[App], None]

#: Where the Application keeps its polling :class:`Intake` (absent in webhook mode).
INTAKE_KEY = "kooch:intake"


class RunFailed(StartupError):
    """A problem that ends a running bot (another process polls its token): told like a start-up
    problem, on stderr, exiting with code 69 (EX_UNAVAILABLE: no restart until a person looks)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, Exit.UNAVAILABLE)


def intake_of(app: App) -> Intake:
    intake: Intake = app.bot_data[INTAKE_KEY]
    return intake


async def serve_until(app: App, stop: asyncio.Event) -> None:
    """Return when ``stop`` is set; raise :class:`RunFailed` if the intake stopped on a problem."""
    intake: Intake | None = app.bot_data.get(INTAKE_KEY)
    waits = [asyncio.ensure_future(stop.wait())]
    if intake is not None:
        waits.append(asyncio.ensure_future(intake.failed.wait()))
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
    if intake is not None and intake.failure is not None:
        raise RunFailed(intake.failure)


def build_application(
    settings: Settings, context_types: ContextTypes[Any, Any, Any, Any], wire: Wire
) -> tuple[App, BotFactory]:
    """The Application (not yet initialized), wired by ``wire``, and the factory of its Bots."""
    metrics = Metrics(settings.clock)
    bots = BotFactory(settings.token, settings.api_url, metrics, settings.transport)
    queue = LanedUpdateQueue(LANES)
    for lane in Lane:
        metrics.watch_queue(f"{lane.value}_lane", functools.partial(queue.waiting, lane))
    app = (
        bots.application_builder(pool_size=APP_POOL)
        .context_types(context_types)
        # Taps wait on the store's group commit, so many must be in hand at once; bounded, so a
        # flood queues at Telegram (in order) instead of in our memory; in a lane of their own,
        # so they never wait behind replies held up by Telegram's sending limits.
        .concurrent_updates(LanedUpdateProcessor(queue))
        .update_queue(queue)
        # Polling is Kooch's intake (see the module docstring), webhooks the web server.
        .updater(None)
        # Keeps within Telegram's sending limits and retries on 429 (waits retry_after); answers
        # to taps go straight out (they are not messages, and they have a deadline); what is
        # sent for an operator's update goes ahead of the subscribers' replies.
        .rate_limiter(KoochRateLimiter(max_retries=3))
        .build()
    )
    wire(app)
    return app, bots


@dataclass(frozen=True)
class Wiring:
    """What only :mod:`kooch.bot` knows, so that this module never imports the handlers."""

    context_types: ContextTypes[Any, Any, Any, Any]
    #: Registers the handlers on the Application (handlers only: no jobs).
    handlers: Wire
    #: Background work defined beside the handlers (its rounds use what sits above this layer),
    #: declared into the same registry as the features' own (:mod:`kooch.app.background`).
    background: Sequence[BackgroundWork] = ()


@asynccontextmanager
async def running_bot(settings: Settings, wiring: Wiring) -> AsyncIterator[App]:
    """Start the bot (services, then updates by polling or webhook); on exit stop taking updates,
    finish those in hand, and close every service so that every pending write is committed.

    One exit stack holds everything that stops, pushed as it opens (:mod:`kooch.app.lifecycle`),
    so it closes in reverse: the intake, the web server, the Application (the updates and jobs in
    hand finish), the intake's spool, the leadership's duties, the reloader, the Bots, the clicks,
    and the store last. python-telegram-bot's ``post_init``/``post_shutdown`` hooks are not used:
    the Application is started and stopped here, by the same stack."""
    settings = _checked(settings)
    config = _config(settings.config_path)
    app, bots = build_application(settings, wiring.context_types, wiring.handlers)
    async with AsyncExitStack() as stack:
        services = await _open_services(stack, app, settings, config, bots)
        services.background.declare(*wiring.background)
        intake = None if services.webhook else _polling_intake(app, services, bots, settings)
        if intake is not None:
            # After the Application stopped: the spool forgets what finished, while the store is open.
            on_close(stack, "polling intake's spool", intake.close)
        await app.start()
        on_close(stack, "the Application", functools.partial(_stop, app))  # what is in hand finishes
        await serve(stack, services.serving)
        await services.background.start(app)
        if intake is not None:
            await intake.start()
            on_close(stack, "polling intake", intake.stop)  # no new updates; those in hand finish
        elif services.webhook_intake is not None:
            await services.webhook_intake.replay()  # what a crash left spooled, before new ones
        # What is alive now lives for the whole run: move it out of the garbage collector's
        # sight, so its full passes stay short and a flood's taps are not held up by them.
        gc.freeze()
        log.info("Kooch is running as @%s", app.bot.username)
        yield app


async def _stop(app: App) -> None:
    if app.running:  # a test may have stopped it (the flood tests stop it to count what is left)
        await app.stop()


def _checked(settings: Settings) -> Settings:
    if settings.webhook_secret is None:
        return settings
    try:
        return replace(settings, webhook_secret=checked_secret(settings.webhook_secret))
    except ValueError as exc:
        raise StartupError(str(exc)) from None


def _config(path: Path) -> Config:
    try:
        return load_checked_config(path)
    except ConfigInvalid as exc:
        raise StartupError(
            "the config is invalid:\n"
            + "\n".join(f"  {e}" for e in exc.errors)
            + "\nFix the file, check it with `python bot.py check`, and start again."
        ) from None


async def _open_services(
    stack: AsyncExitStack, app: App, settings: Settings, config: Config, bots: BotFactory
) -> Services:
    try:
        return await open_services(stack, app, settings, config, bots)
    except InvalidToken:
        raise StartupError(
            "Telegram rejected TELEGRAM_BOT_TOKEN. Copy the token BotFather gave you again.",
            Exit.UNAVAILABLE,
        ) from None
    except NetworkError as exc:
        raise StartupError(
            f"cannot reach the Bot API at {settings.api_url}: {exc}. Check the network, or "
            "TELEGRAM_API_URL if you run a self-hosted Bot API server.",
            Exit.TEMPFAIL,
        ) from None


def _polling_intake(app: App, services: Services, bots: BotFactory, settings: Settings) -> Intake:
    queue = app.update_queue
    intake = Intake(
        app,
        Inbox(services.store, app.bot.id),
        capacity=INTAKE_CAPACITY,
        poll_timeout=settings.poll_timeout,
        order=queue.rank if isinstance(queue, LanedUpdateQueue) else None,
        as_sent=bots.updates.as_sent if bots.updates is not None else None,
        fetch=bots.updates.fetcher(app.bot) if bots.updates is not None else None,
    )
    app.bot_data[INTAKE_KEY] = intake
    bots.metrics.watch_queue("intake_held", lambda: intake.held)
    return intake


__all__ = [
    "CONCURRENT_UPDATES",
    "INTAKE_CAPACITY",
    "LANES",
    "UPDATE_QUEUE_BOUND",
    "RunFailed",
    "Settings",
    "StartupError",
    "Wiring",
    "build_application",
    "intake_of",
    "running_bot",
    "serve_until",
    "services_of",
]
