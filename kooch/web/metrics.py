"""Prometheus metrics for ``/metrics``, each :class:`Metrics` with its own ``CollectorRegistry``.

No global registry: the tests run several bots and servers in one process, and each must count
only its own. The Bot API calls are timed by :class:`InstrumentedRequest`, the ``HTTPXRequest``
PTB uses anyway with ``do_request`` timed; updates and errors by the handlers that
:func:`instrument` adds to the Application (a ``TypeHandler`` in group -1, which sees every update
before the real handlers and stops none of them, and a second error handler).
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from telegram import Update
from telegram.ext import Application, TypeHandler
from telegram.request import HTTPXRequest

#: Every field of an Update that names its kind (message, callback_query, chat_member ...).
UPDATE_TYPES = tuple(Update.ALL_TYPES)


class Metrics:
    """Kooch's counters; :attr:`registry` is what ``/metrics`` exposes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter("kooch_updates", "Telegram updates processed, by type", ["type"], registry=r)
        self.acknowledgements = Gauge(
            "kooch_acknowledgements",
            "Acknowledgements stored (the 'I've moved' taps), by channel; read at scrape time",
            ["channel"],
            registry=r,
        )
        self.clicks = Counter(
            "kooch_clicks",
            "Clicks on redirect links by people (bots and link previews excluded)",
            ["service", "platform"],
            registry=r,
        )
        self.bot_clicks = Counter(
            "kooch_bot_clicks",
            "Requests to redirect links by bots and link previews (not counted as clicks)",
            ["service"],
            registry=r,
        )
        self.errors = Counter("kooch_errors", "Errors, by kind", ["kind"], registry=r)
        self.api_calls = Counter(
            "kooch_bot_api_calls",
            "Bot API calls, by method and HTTP status",
            ["method", "status"],
            registry=r,
        )
        self.api_latency = Histogram(
            "kooch_bot_api_latency_seconds",
            "Bot API call latency, by method (getUpdates includes the long-poll wait)",
            ["method"],
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
            registry=r,
        )
        self.last_update = Gauge(
            "kooch_last_update_timestamp_seconds", "When the last update was processed", registry=r
        )
        #: Unix time of the last update processed (None before the first one).
        self.last_update_at: float | None = None

    def observe_update(self, update: Update) -> None:
        kind = next((t for t in UPDATE_TYPES if getattr(update, t, None) is not None), "other")
        self.updates.labels(kind).inc()
        self.last_update_at = time.time()
        self.last_update.set(self.last_update_at)

    def observe_api_call(self, method: str, status: str, seconds: float) -> None:
        self.api_calls.labels(method, status).inc()
        self.api_latency.labels(method).observe(seconds)

    def observe_error(self, kind: str) -> None:
        self.errors.labels(kind).inc()


class InstrumentedRequest(HTTPXRequest):
    """PTB's own HTTP transport, with each Bot API call counted and timed into :attr:`metrics`."""

    def __init__(self, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics = metrics

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1] or "unknown"
        started = time.perf_counter()
        status = "error"
        try:
            code, body = await super().do_request(url, method, *args, **kwargs)
            status = str(code)
            return code, body
        finally:
            self.metrics.observe_api_call(api_method, status, time.perf_counter() - started)


def instrument(app: Application[Any, Any, Any, Any, Any, Any], metrics: Metrics) -> None:
    """Count every update (by type) and every error the Application's handlers raise."""

    async def count_update(update: Update, _context: Any) -> None:
        metrics.observe_update(update)

    async def count_error(_update: object, context: Any) -> None:
        metrics.observe_error(type(context.error).__name__)

    # Group -1 runs before every handler group and, without ApplicationHandlerStop, stops none.
    app.add_handler(TypeHandler(Update, count_update), group=-1)
    app.add_error_handler(count_error)
