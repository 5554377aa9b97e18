"""The one place that makes a :class:`telegram.Bot` (and the Application's builder).

Every Bot Kooch makes — the Application's, the sync engine's, the campaign sender's — goes through
:class:`BotFactory`: the same token and server, the same transport, and every call timed by
``/metrics``. Features get their own Bot (not the Application's) when they pace themselves and must
see every 429, which AIORateLimiter would hide and retry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import Bot
from telegram.ext import ApplicationBuilder
from telegram.request import BaseRequest

from kooch.metrics import Metrics
from kooch.telegram.request import InstrumentedRequest, UpdatesRequest
from kooch.telegram.transport import AiohttpRequest

DEFAULT_API_URL = "https://api.telegram.org"

#: Makes the transport of one Bot, given its connection pool size.
Transport = Callable[[int], BaseRequest]


def aiohttp_transport(pool_size: int) -> BaseRequest:
    """Kooch's transport: aiohttp keeps up with many calls in flight (bench/transport.py).

    No pool timeout: a call waits for a connection only as long as the calls ahead of it take,
    each bounded by its own timeouts, and the Application bounds how many wait. Giving up after a
    second (PTB's default) would drop, mid-flood, a tap's answer that was about to go out."""
    return AiohttpRequest(connection_pool_size=pool_size, pool_timeout=None)


class BotFactory:
    """Bots for one token on one Bot API server, all on ``transport`` and timed into ``metrics``."""

    def __init__(
        self,
        token: str,
        api_url: str,
        metrics: Metrics,
        transport: Transport = aiohttp_transport,
    ) -> None:
        self.token = token
        self.root = api_url.rstrip("/")
        self.metrics = metrics
        self.transport = transport
        #: The getUpdates transport of the last Application built (its answers as Telegram sent them).
        self.updates: UpdatesRequest | None = None

    def request(self, pool_size: int) -> BaseRequest:
        return InstrumentedRequest(self.transport(pool_size), self.metrics)

    def bot(self, pool_size: int = 8) -> Bot:
        """A plain Bot (no rate limiter): for features that pace their own calls."""
        return Bot(
            self.token,
            base_url=f"{self.root}/bot",
            base_file_url=f"{self.root}/file/bot",
            request=self.request(pool_size),
        )

    def application_builder(self, *, pool_size: int) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
        """The Application's builder with this factory's token, server and transports."""
        self.updates = UpdatesRequest(self.transport(1), self.metrics)
        return (
            ApplicationBuilder()
            .token(self.token)
            .base_url(f"{self.root}/bot")
            .base_file_url(f"{self.root}/file/bot")
            .request(self.request(pool_size))
            .get_updates_request(self.updates)
        )
