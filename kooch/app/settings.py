"""What one run of the bot is started with (:class:`Settings`), and what stops it from starting.

A new run setting is one field here, and the line that reads it; :func:`kooch.app.runner.running_bot`
and :func:`kooch.bot.running_bot` take the one object, so mypy sees every field where it is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kooch.clock import SYSTEM, Clock
from kooch.exits import Exit
from kooch.telegram.bots import DEFAULT_API_URL, Transport, aiohttp_transport


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
    api_url: str = DEFAULT_API_URL
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
    #: ``KOOCH_WEBHOOK_SECRET`` (checked when the bot starts): shared by every process behind one
    #: webhook URL. None: a random secret per start.
    webhook_secret: str | None = field(default=None, repr=False)
    #: False: operators' updates are taken like subscribers' (only a benchmark's baseline).
    operators_first: bool = True
    #: Seconds a long poll waits at Telegram for updates (polling mode; tests shorten it).
    poll_timeout: int = 10
