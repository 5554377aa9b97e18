"""Kooch's entry point: the command line, and which handlers answer which updates. Nothing else.

``bot.py`` in the checkout and the ``kooch`` command of the installed package both run :func:`main`
(``kooch …`` below is ``python bot.py …``).

    python bot.py [--config PATH]            the live bot (long polling, or webhook with ``web:``)
    python bot.py check [--config PATH]      validate the config and print the announcements
    python bot.py check --links              fetch every service's links; exit 1 if any is broken
    python bot.py rehearse [--subscribers N] an offline rehearsal against the Bot API simulator
    python bot.py health [--no-web]          can Kooch run here? one line, exit 0 or 1 (HEALTHCHECK)
    python bot.py backup PATH                a consistent copy of the database, while the bot runs
    python bot.py example                    print the example config.yaml that ships with Kooch
    python bot.py restore BACKUP             put a backup in place of the database (bot stopped)
    python bot.py migrate-db [URL]           copy the SQLite database into an empty PostgreSQL one
    python bot.py --version                  Kooch's version and the commit it was built from

Environment: TELEGRAM_BOT_TOKEN (required live), TELEGRAM_API_URL (default https://api.telegram.org),
KOOCH_CONFIG (default config.yaml), KOOCH_WEBHOOK_SECRET (webhook mode: a secret shared by every
process behind the URL; default a random one per start), KOOCH_LOG_LEVEL, KOOCH_LOG_FORMAT; each
secret may be given as a file instead (TELEGRAM_BOT_TOKEN_FILE, ...: :mod:`kooch.secrets`). Exit
codes: :mod:`kooch.exits`. SIGTERM/SIGINT stop the bot cleanly, SIGHUP reloads its config like
/reload. The services are built by :mod:`kooch.app.services`.
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
from importlib import resources
from pathlib import Path
from typing import Any

from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

import kooch.handlers.across
import kooch.handlers.actions
import kooch.handlers.approval
import kooch.handlers.campaigns
import kooch.handlers.counting
import kooch.handlers.errors
import kooch.handlers.insight
import kooch.handlers.living
import kooch.handlers.operators
import kooch.handlers.reach
import kooch.handlers.schedule
import kooch.handlers.subscribers
from kooch import version
from kooch.app import runner
from kooch.app.runner import App, Settings, StartupError, services_of
from kooch.config.reload import signal_received
from kooch.exits import Exit
from kooch.handlers.context import KoochContext
from kooch.logs import LogSetupError, configure_logging
from kooch.secrets import SecretError, load_file_secrets
from kooch.telegram.bots import DEFAULT_API_URL

log = logging.getLogger("kooch")


def wire(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Kooch's handlers, in explicit groups (handlers only: the background work is declared by
    the features, :mod:`kooch.app.background`, and in :data:`BACKGROUND`)."""
    # Group -1 sees every update before the real handlers and stops none: the /metrics counter.
    app.add_handlers(kooch.handlers.counting.HANDLERS, group=-1)
    # Group 0: every command name and callback-data prefix belongs to one module, so at most one
    # handler here matches an update; order only decides how soon it is found. Subscribers come
    # first because the "I've moved" tap is the hot path of a flood.
    app.add_handlers(kooch.handlers.subscribers.HANDLERS, group=0)
    # Operators: /help /preview /announce and the announce buttons.
    app.add_handlers(kooch.handlers.operators.HANDLERS, group=0)
    # Scheduled announcements: /schedule and the schedule buttons.
    app.add_handlers(kooch.handlers.schedule.HANDLERS, group=0)
    # Operator insight: /stats, /export, /audit.
    app.add_handlers(kooch.handlers.insight.HANDLERS, group=0)
    # Reminder campaigns: /remind, /campaigns and their buttons.
    app.add_handlers(kooch.handlers.campaigns.HANDLERS, group=0)
    # The living announcement: /reload /status /moved and their buttons.
    app.add_handlers(kooch.handlers.living.HANDLERS, group=0)
    # The gated actions (kooch.actions): /moved, and every action's Confirm / Cancel buttons.
    app.add_handlers(kooch.handlers.actions.HANDLERS, group=0)
    # Four-eyes approval (approval: 2): the second operator's Approve / Refuse buttons.
    app.add_handlers(kooch.handlers.approval.HANDLERS, group=0)
    # The channels' audience as counts: joins and departures, reactions on the announcement.
    app.add_handlers(kooch.handlers.reach.HANDLERS, group=0)
    # The channel's own posts and their edits: the mirror to the destinations (issue 27).
    app.add_handlers(kooch.handlers.across.HANDLERS, group=0)
    # Group 1: plain text in a private chat gets the links, only if nothing in group 0 matched
    # (a handler in group 0 that matched stops nothing in group 1, so the filter excludes commands).
    app.add_handlers(kooch.handlers.subscribers.FALLBACK, group=1)
    app.add_error_handler(kooch.handlers.errors.on_error)


#: The background work whose rounds use the handlers' layer (the per-post JobQueue jobs, the gated
#: actions' words), declared like the features' own and started with them.
BACKGROUND = [*kooch.handlers.schedule.BACKGROUND, *kooch.handlers.approval.BACKGROUND]


@asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """The running bot (:func:`kooch.app.runner.running_bot`), with Kooch's handlers."""
    # Kooch reads durations such as RetryAfter.retry_after as datetime.timedelta, python-telegram-bot's
    # coming default; opting in now also silences the deprecation warning on every 429. Done when the
    # bot starts, not when kooch is imported: an import should leave the environment alone.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    wiring = runner.Wiring(ContextTypes(context=KoochContext), wire, BACKGROUND)
    async with runner.running_bot(settings, wiring) as app:
        yield app


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # SIGHUP reloads the config as /reload does (the operators are told the same way); before the
    # bot runs it is ignored: the config is being read anyway.
    running: list[App] = []
    reloads: set[asyncio.Task[None]] = set()
    loop.add_signal_handler(signal.SIGHUP, _on_sighup, running, reloads)
    async with running_bot(settings) as app:
        running.append(app)
        # Also returns (raising runner.RunFailed, exit code 69) if another process polls the token.
        await runner.serve_until(app, stop)
        log.info("stopping: finishing the updates in hand and flushing writes")
        running.clear()
        for task in list(reloads):
            await task


def _on_sighup(running: list[App], reloads: set[asyncio.Task[None]]) -> None:
    if not running:
        log.info("SIGHUP before the bot runs: ignored (the config is being read now)")
        return
    task = asyncio.create_task(_reload(running[0]))
    reloads.add(task)
    task.add_done_callback(reloads.discard)


async def _reload(app: App) -> None:
    try:
        outcome = await services_of(app).reloader.reload(signal_received)
    except Exception:
        log.exception("SIGHUP: reloading the config failed")
        return
    # The operators are told what changed (or what is wrong); the log says it in a line too.
    log.info("SIGHUP: config %s%s", outcome.kind, f": {outcome.message}" if outcome.message else "")


def example_config() -> Path:
    """The example config shipped in the package (in the checkout, a link to ``config.yaml``)."""
    return Path(str(resources.files("kooch").joinpath("config.example.yaml")))


def _fail(message: str, code: Exit = Exit.USAGE) -> int:
    print(f"kooch: {message}", file=sys.stderr)
    return code


class _Version(argparse.Action):
    """``--version``: read only when asked (it may run git), printed, exit 0."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kwargs: object) -> None:
        print(f"kooch {version.build()}")
        parser.exit(Exit.OK)


def _parser() -> argparse.ArgumentParser:
    """The command line: the live bot, and one subcommand per tool."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="the config file (default: $KOOCH_CONFIG or config.yaml)",
    )
    # prog: argv[0]'s name, "bot.py" or "kooch", whichever the operator typed.
    parser = argparse.ArgumentParser(
        description="Kooch: move a Telegram channel's audience.",
        epilog="exit codes: 0 done, 1 a check failed, 2 usage, 69 unavailable (token refused, another "
        "poller), 75 temporary (network, database), 78 configuration",
        parents=[common],
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="print Kooch's version and exit")
    sub = parser.add_subparsers(dest="command")
    check_p = sub.add_parser("check", parents=[common], help="validate the config and print the posts")
    check_p.add_argument(
        "--links", action="store_true", help="fetch every service's links instead; exit 1 if any is broken"
    )
    rehearse_p = sub.add_parser("rehearse", parents=[common], help="offline rehearsal")
    rehearse_p.add_argument("--subscribers", type=int, default=1000)
    health_p = sub.add_parser("health", parents=[common], help="check config, database (and web); read-only")
    health_p.add_argument("--no-web", action="store_true", help="do not probe the running bot's /healthz")
    backup_p = sub.add_parser("backup", parents=[common], help="copy the database while it runs")
    backup_p.add_argument("path", type=Path, help="the backup file, or a folder to put it in")
    restore_p = sub.add_parser(
        "restore", parents=[common], help="put a backup in place of the database (stop the bot first)"
    )
    restore_p.add_argument("backup", type=Path, help="a file made by `backup`")
    migrate_p = sub.add_parser(
        "migrate-db", parents=[common], help="copy the SQLite database into an empty PostgreSQL one"
    )
    migrate_p.add_argument(
        "url",
        nargs="?",
        help="postgresql://user@host/db (default: $KOOCH_DATABASE_URL, which may hold the password)",
    )
    sub.add_parser("example", help="print the example config.yaml (kooch example > config.yaml)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    config_path: Path = getattr(args, "config", None) or Path(os.environ.get("KOOCH_CONFIG", "config.yaml"))
    quiet = args.command in ("check", "rehearse", "health", "backup", "restore", "migrate-db", "example")
    try:
        configure_logging(os.environ, logging.WARNING if quiet else logging.INFO)
        # Every reader of the environment (this file, the store, the pseudonyms) sees them.
        load_file_secrets(os.environ)
    except (LogSetupError, SecretError) as exc:
        return _fail(str(exc), Exit.CONFIG)

    if args.command is not None:
        return _tool(args, config_path)
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        return _fail(
            "TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather and run:\n"
            "  TELEGRAM_BOT_TOKEN=123456:ABC... python bot.py\n"
            "or try Kooch offline first: python bot.py rehearse",
            Exit.CONFIG,
        )
    api_url = os.environ.get("TELEGRAM_API_URL", "").strip() or DEFAULT_API_URL
    log.info("Kooch %s starting", version.build())
    try:
        # Taken as set, not stripped: a secret with stray spaces is refused, not quietly changed.
        settings = Settings(
            config_path, token, api_url, webhook_secret=os.environ.get("KOOCH_WEBHOOK_SECRET")
        )
        asyncio.run(_serve(settings))
    except StartupError as exc:
        return _fail(str(exc), exc.code)
    except TelegramError as exc:
        return _fail(f"Telegram error at start-up: {exc}", Exit.TEMPFAIL)
    return Exit.OK


def _tool(args: argparse.Namespace, config_path: Path) -> int:
    """A subcommand: everything but the live bot."""
    if args.command == "example":
        sys.stdout.write(example_config().read_text(encoding="utf-8"))
        return 0
    if args.command == "check":
        from kooch.cli.check import check

        return check(config_path, links=args.links)
    if args.command == "health":
        from kooch.cli.health import check_health

        health = check_health(config_path, probe_web=not args.no_web)
        print(health.line, file=sys.stdout if health.ok else sys.stderr)
        return Exit.OK if health.ok else Exit.FAILED
    if args.command in ("backup", "restore", "migrate-db"):
        from kooch.cli import database

        if args.command == "backup":
            return database.backup(config_path, args.path)
        if args.command == "restore":
            return database.restore(config_path, args.backup)
        return database.migrate_db(config_path, args.url or os.environ.get("KOOCH_DATABASE_URL", "").strip())
    if args.command == "rehearse":
        from kooch.cli.rehearsal import rehearse

        if args.subscribers < 1:
            return _fail("--subscribers must be at least 1")
        given = getattr(args, "config", None) is not None
        if not given and not config_path.exists():
            # A first look needs no config of one's own (`docker run <image> rehearse` mounts
            # none, nor does a fresh `pip install`): rehearse the example that ships in the package.
            bundled = example_config()
            print(f"{config_path} not found: rehearsing the bundled example {bundled}")
            config_path = bundled
        return asyncio.run(rehearse(config_path, args.subscribers, running_bot))

    raise AssertionError(f"unknown command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())
