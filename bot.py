"""Kooch's entry point: builds the Application, registers the handlers, runs it. Nothing else.

    python bot.py [--config PATH]            the live bot (long polling)
    python bot.py check [--config PATH]      validate the config and print the announcements
    python bot.py rehearse [--subscribers N] an offline rehearsal against the Bot API simulator
    python bot.py health [--no-web]          can Kooch run here? one line, exit 0 or 1 (HEALTHCHECK)
    python bot.py backup PATH                a consistent copy of the database, while the bot runs

Environment: TELEGRAM_BOT_TOKEN (required live), TELEGRAM_API_URL (default https://api.telegram.org),
KOOCH_CONFIG (default config.yaml).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

import handlers.campaigns
import handlers.insight
import handlers.living
import handlers.operators
import handlers.subscribers
from handlers.context import KOOCH_KEY, KoochContext
from handlers.errors import on_error
from kooch.backpressure import InFlightBoundedQueue
from kooch.campaign_runner import CampaignRunner, campaign_bot
from kooch.config import ConfigInvalid, load_config
from kooch.ratelimit import KoochRateLimiter
from kooch.runtime import ConfigHolder, Kooch
from kooch.store import MigrationError, Store, StoreUnavailable
from kooch.store.clicks import ClickLog
from kooch.web.lifecycle import WebStartError, start_web
from kooch.web.metrics import InstrumentedRequest, Metrics, instrument
from kooch.web.server import WebServer

DEFAULT_API_URL = "https://api.telegram.org"
#: Updates processed at once. Taps wait on the store's group commit, so they must overlap; the
#: more of them wait together, the fewer commits a flood needs (bench/ack_flood.py: 1,024 in
#: flight answered about 10 % more taps per second than 256, with batches of ~500 taps).
CONCURRENT_UPDATES = 1024
#: Updates fetched but not yet taken by a handler. When the store falls behind, polling waits
#: here and the rest of a flood stays queued at Telegram, oldest first: memory stays flat. Small,
#: because python-telegram-bot confirms updates to Telegram as soon as it fetches the next batch:
#: on a crash, what was fetched but not processed is not delivered again.
UPDATE_QUEUE_BOUND = 200
EXIT_USAGE = 2

log = logging.getLogger("kooch")


class StartupError(Exception):
    """A problem that stops the bot before it starts; printed to stderr, exit code 2."""


def build_application(
    kooch: Kooch,
    token: str,
    api_url: str,
    *,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
) -> Application:
    """The Application with Kooch's handlers. ``request``/``updates_request`` replace the HTTP
    transport (the ack-flood benchmark answers in-process, like Telegram, without a network)."""
    root = api_url.rstrip("/")
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .context_types(ContextTypes(context=KoochContext))
        # Taps wait on the store's group commit, so many must be in hand at once; bounded, so a
        # flood queues at Telegram (in order) instead of in our memory.
        .concurrent_updates(CONCURRENT_UPDATES)
        .update_queue(InFlightBoundedQueue(UPDATE_QUEUE_BOUND, CONCURRENT_UPDATES))
        # Keeps within Telegram's sending limits and retries on 429 (waits retry_after); answers
        # to taps go straight out (they are not messages, and they have a deadline).
        .rate_limiter(KoochRateLimiter(max_retries=3))
    )
    if request is not None:
        builder = builder.request(request)
    if updates_request is not None:
        builder = builder.get_updates_request(updates_request)
    app = builder.build()
    app.bot_data[KOOCH_KEY] = kooch

    # Group 0: every command name and callback-data prefix belongs to one module, so at most one
    # handler here matches an update; order only decides how soon it is found. Subscribers come
    # first because the "I've moved" tap is the hot path of a flood.
    app.add_handlers(handlers.subscribers.HANDLERS, group=0)
    # Operators: /preview /announce /stats and the announce buttons.
    app.add_handlers(handlers.operators.HANDLERS, group=0)
    # Operator insight: /export, /audit (issue 5).
    app.add_handlers(handlers.insight.HANDLERS, group=0)
    # Reminder campaigns: /remind, /campaigns and their buttons (issue 6).
    app.add_handlers(handlers.campaigns.HANDLERS, group=0)
    # The living announcement: /reload /status /moved /schedule and their buttons (issue 3).
    app.add_handlers(handlers.living.HANDLERS, group=0)
    # Group 1: plain text in a private chat gets the links, only if nothing in group 0 matched
    # (a handler in group 0 that matched stops nothing in group 1, so the filter excludes commands).
    app.add_handlers(handlers.subscribers.FALLBACK, group=1)
    app.add_error_handler(on_error)
    # Issue 5: the retention job, once at start-up and then daily (it reads the config in force
    # at each run, so changing privacy.retention_days needs no restart).
    assert app.job_queue is not None
    handlers.insight.schedule_retention(app.job_queue)
    return app


@asynccontextmanager
async def running_bot(
    config_path: Path,
    token: str,
    api_url: str = DEFAULT_API_URL,
    *,
    poll_timeout: int = 10,
    database: Path | None = None,
) -> AsyncIterator[Application]:
    """Open the store, start polling, and on exit stop polling and flush every pending write.

    ``database`` overrides ``storage.sqlite_path`` (the rehearsal keeps its own database).
    """
    try:
        config = load_config(config_path)
    except ConfigInvalid as exc:
        raise StartupError(
            "the config is invalid:\n"
            + "\n".join(f"  {e}" for e in exc.errors)
            + "\nFix the file, check it with `python bot.py check`, and start again."
        ) from None
    try:
        store = await Store.open(database or config.sqlite_path)
    except (StoreUnavailable, MigrationError) as exc:
        raise StartupError(str(exc)) from None
    # Issue 4: clicks on the redirect links (buffered, flushed at exit) and the /metrics counters,
    # with every Bot API call timed by the instrumented transport.
    metrics = Metrics()
    clicks = ClickLog(store, on_flush_error=lambda _exc: metrics.observe_error("click_write"))
    clicks.start()
    try:
        kooch = Kooch(ConfigHolder(config, config_path), store, clicks=clicks, metrics=metrics)
        app = build_application(
            kooch,
            token,
            api_url,
            request=InstrumentedRequest(metrics, connection_pool_size=256),
            updates_request=InstrumentedRequest(metrics, connection_pool_size=1),
        )
        instrument(app, metrics)
        web_server: WebServer | None = None
        try:
            await app.initialize()
        except InvalidToken:
            raise StartupError(
                "Telegram rejected TELEGRAM_BOT_TOKEN. Copy the token BotFather gave you again."
            ) from None
        except NetworkError as exc:
            raise StartupError(
                f"cannot reach the Bot API at {api_url}: {exc}. Check the network, or "
                "TELEGRAM_API_URL if you run a self-hosted Bot API server."
            ) from None
        try:
            await app.start()
            # Issue 4: the web server (redirects, landing pages, health, metrics) when `web:` is set;
            # in webhook mode it also receives the updates, and polling is not started.
            try:
                web_server = await start_web(app, kooch)
            except WebStartError as exc:
                raise StartupError(str(exc)) from None
            if web_server is None or web_server.state.webhook is None:
                assert app.updater is not None
                # start_polling calls deleteWebhook first: switching back from webhook mode just works.
                await app.updater.start_polling(
                    timeout=poll_timeout, allowed_updates=Update.ALL_TYPES, poll_interval=0
                )
            # Issue 6: the reminder campaigns, with their own Bot (no rate limiter: the runner paces
            # and sees every 429). Resumes a campaign cut off by a crash and fires due reminders.
            kooch.campaigns = CampaignRunner(store, kooch.config, campaign_bot(token, api_url), app.bot)
            await kooch.campaigns.start()
            # Issue 3: the sync engine (posts follow the config; live counter), the config watcher,
            # and the scheduled announcements put back on the JobQueue from the database.
            await handlers.living.start(app, token, api_url)
            # What is alive now lives for the whole run: move it out of the garbage collector's
            # sight, so its full passes stay short and a flood's taps are not held up by them.
            gc.freeze()
            log.info("Kooch is running as @%s", app.bot.username)
            yield app
        finally:
            await handlers.living.stop(app)  # issue 3: watcher and sync engine; edits in flight end
            if kooch.campaigns is not None:
                await kooch.campaigns.stop()  # the send in flight ends; the rest resumes at next start
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if web_server is not None:
                await web_server.stop()  # no new clicks or webhook updates; app.stop finishes the rest
            if app.running:
                await app.stop()
            await app.shutdown()
    finally:
        await clicks.close()  # the last clicks, before the store closes
        await store.close()


async def _serve(config_path: Path, token: str, api_url: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_bot(config_path, token, api_url):
        await stop.wait()
        log.info("stopping: finishing the updates in hand and flushing writes")


def _fail(message: str) -> int:
    print(f"kooch: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="the config file (default: $KOOCH_CONFIG or config.yaml)",
    )
    parser = argparse.ArgumentParser(
        prog="bot.py", description="Kooch: move a Telegram channel's audience.", parents=[common]
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("check", parents=[common], help="validate the config and print the posts")
    rehearse_p = sub.add_parser("rehearse", parents=[common], help="offline rehearsal")
    rehearse_p.add_argument("--subscribers", type=int, default=1000)
    # Issue 8 (container image): the HEALTHCHECK command and online backups.
    health_p = sub.add_parser("health", parents=[common], help="check config, database (and web)")
    health_p.add_argument("--no-web", action="store_true", help="do not probe the running bot's /healthz")
    backup_p = sub.add_parser("backup", parents=[common], help="copy the database while it runs")
    backup_p.add_argument("path", type=Path, help="the backup file, or a folder to put it in")
    args = parser.parse_args(argv)
    config_path: Path = getattr(args, "config", None) or Path(os.environ.get("KOOCH_CONFIG", "config.yaml"))
    quiet = args.command in ("check", "rehearse", "health", "backup")
    logging.basicConfig(
        level=os.environ.get("KOOCH_LOG_LEVEL", "WARNING" if quiet else "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)

    if args.command == "check":
        from kooch.check import check

        return check(config_path)
    if args.command == "health":
        from kooch.health import check_health

        health = check_health(config_path, probe_web=not args.no_web)
        print(health.line, file=sys.stdout if health.ok else sys.stderr)
        return 0 if health.ok else 1
    if args.command == "backup":
        from kooch.config import ConfigInvalid, load_config
        from kooch.store.backup import BackupFailed, backup_database

        try:
            result = backup_database(load_config(config_path).sqlite_path, args.path)
        except ConfigInvalid as exc:
            return _fail(f"the config is invalid:\n{exc}")
        except BackupFailed as exc:
            return _fail(str(exc))
        print(f"backed up to {result.path} ({result.size // 1024} KiB, {result.migrations} migrations)")
        return 0
    if args.command == "rehearse":
        from kooch.rehearsal import rehearse

        if args.subscribers < 1:
            return _fail("--subscribers must be at least 1")
        return asyncio.run(rehearse(config_path, args.subscribers, running_bot))

    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        return _fail(
            "TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather and run:\n"
            "  TELEGRAM_BOT_TOKEN=123456:ABC... python bot.py\n"
            "or try Kooch offline first: python bot.py rehearse"
        )
    api_url = os.environ.get("TELEGRAM_API_URL", "").strip() or DEFAULT_API_URL
    try:
        asyncio.run(_serve(config_path, token, api_url))
    except StartupError as exc:
        return _fail(str(exc))
    except TelegramError as exc:
        return _fail(f"Telegram error at start-up: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
