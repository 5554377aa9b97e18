"""Kooch's entry point: builds the Application, registers the handlers, runs it. Nothing else.

    python bot.py [--config PATH]            the live bot (long polling)
    python bot.py check [--config PATH]      validate the config and print the announcements
    python bot.py rehearse [--subscribers N] an offline rehearsal against the Bot API simulator

Environment: TELEGRAM_BOT_TOKEN (required live), TELEGRAM_API_URL (default https://api.telegram.org),
KOOCH_CONFIG (default config.yaml).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

import handlers.operators
import handlers.subscribers
from handlers.context import KOOCH_KEY, KoochContext
from handlers.errors import on_error
from kooch.config import ConfigInvalid, load_config
from kooch.runtime import ConfigHolder, Kooch
from kooch.store import MigrationError, Store, StoreUnavailable

DEFAULT_API_URL = "https://api.telegram.org"
#: Updates processed at once. Taps wait on the store's group commit, so they must overlap.
CONCURRENT_UPDATES = 256
EXIT_USAGE = 2

log = logging.getLogger("kooch")


class StartupError(Exception):
    """A problem that stops the bot before it starts; printed to stderr, exit code 2."""


def build_application(kooch: Kooch, token: str, api_url: str) -> Application:
    root = api_url.rstrip("/")
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .context_types(ContextTypes(context=KoochContext))
        .concurrent_updates(CONCURRENT_UPDATES)
        # Retries on 429 (waits retry_after) and keeps within Telegram's sending limits.
        .rate_limiter(AIORateLimiter(max_retries=3))
        .build()
    )
    app.bot_data[KOOCH_KEY] = kooch

    # Group 0: operators first, so their callback patterns win over anything broader.
    app.add_handlers(handlers.operators.HANDLERS, group=0)
    # Group 0 too: subscriber commands and the "I've moved" tap (patterns do not overlap).
    app.add_handlers(handlers.subscribers.HANDLERS, group=0)
    # Group 1: plain text in a private chat gets the links, only if nothing in group 0 matched
    # (a handler in group 0 that matched stops nothing in group 1, so the filter excludes commands).
    app.add_handlers(handlers.subscribers.FALLBACK, group=1)
    app.add_error_handler(on_error)
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
    try:
        app = build_application(Kooch(ConfigHolder(config, config_path), store), token, api_url)
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
            assert app.updater is not None
            await app.updater.start_polling(
                timeout=poll_timeout, allowed_updates=Update.ALL_TYPES, poll_interval=0
            )
            log.info("Kooch is running as @%s", app.bot.username)
            yield app
        finally:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()
    finally:
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
    args = parser.parse_args(argv)
    config_path: Path = getattr(args, "config", None) or Path(os.environ.get("KOOCH_CONFIG", "config.yaml"))
    quiet = args.command in ("check", "rehearse")
    logging.basicConfig(
        level=os.environ.get("KOOCH_LOG_LEVEL", "WARNING" if quiet else "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)

    if args.command == "check":
        from kooch.check import check

        return check(config_path)
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
