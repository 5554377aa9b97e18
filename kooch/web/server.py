"""The aiohttp application: routes, security headers, and the server's start and stop.

Routes (registered in this order; the first match wins):

=========================  =====================================================================
``GET /healthz``           200 JSON (config version, database, last update) or 503
``GET /metrics``           Prometheus text format
``GET /robots.txt``        keeps crawlers off the redirect links
``POST /telegram-webhook`` Bot API updates, only in webhook mode and only with the secret header
``GET /go/{service}``      records a click, 302 to the service (``?c=<channel>&s=<source>``)
``GET /``                  the landing page (the only channel's, or all services and channels)
``GET /{channel}``         a channel's landing page (``?lang=fa|en`` overrides its language)
=========================  =====================================================================

Anything else gets the not-found page with the real links. Channel keys are ``[a-z0-9_]``, so
``/telegram-webhook``, ``/robots.txt`` and ``/favicon.ico`` can never be a channel's page; the
config refuses the keys ``go``, ``healthz``, ``metrics`` and ``static`` when ``web:`` is set.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kooch.announce.links import best_target, clean_source, redirect_path
from kooch.clock import SYSTEM, Clock
from kooch.config import Channel, Config
from kooch.config.holder import ConfigHolder
from kooch.insight.clicks import Click, ClickLog
from kooch.metrics import Metrics
from kooch.store import Store
from kooch.store.health import database_problem
from kooch.subscribers.store import SubscriberStore
from kooch.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH, UpdateSink
from kooch.web.pages import (
    CSP,
    ChannelEntry,
    ServiceEntry,
    landing_page,
    not_found_page,
    page_language,
)
from kooch.web.useragent import classify

log = logging.getLogger(__name__)

#: Telegram's updates are small; anything bigger than this is not one.
MAX_WEBHOOK_BODY = 1024 * 1024


@dataclass
class Webhook:
    secret: str
    deliver: UpdateSink


@dataclass
class WebState:
    """What the routes use; one per aiohttp application (tests run several side by side)."""

    config: ConfigHolder
    store: Store
    clicks: ClickLog
    metrics: Metrics
    webhook: Webhook | None = None
    #: When a click happened.
    clock: Clock = SYSTEM


STATE: web.AppKey[WebState] = web.AppKey("kooch_state", WebState)


def create_app(state: WebState) -> web.Application:
    """The aiohttp application serving Kooch's routes from ``state``."""
    app = web.Application(middlewares=[_headers_and_errors], client_max_size=MAX_WEBHOOK_BODY)
    app[STATE] = state
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/robots.txt", robots)
    app.router.add_post(WEBHOOK_PATH, webhook)
    app.router.add_get("/go/{service}", go)
    app.router.add_get("/", landing)
    app.router.add_get("/{channel}", landing)
    return app


# --------------------------------------------------------------------------------------------- routes


async def go(request: web.Request) -> web.StreamResponse:
    """Record one click and redirect to the configured target; 404 for anything not configured."""
    state = request.app[STATE]
    config = state.config.current
    channel: Channel | None = None
    channel_key = request.query.get("c")
    if channel_key is not None:
        channel = config.channel_by_key(channel_key)
        if channel is None:
            return _not_found(request, config)
    key = request.match_info["service"]
    service = next((s for s in config.services_for(channel) if s.key == key), None)
    if service is None:
        return _not_found(request, config)
    visitor = classify(request.headers.get("User-Agent"))
    try:
        state.clicks.record(
            Click(
                at=state.clock.now(),
                service=service.key,
                channel=channel.key if channel else None,
                source=clean_source(request.query.get("s")),
                platform=visitor.platform,
                is_bot=visitor.is_bot,
            )
        )
    except Exception as exc:  # a click we cannot keep must never keep anyone from their service
        log.error("click not recorded: %s", exc)
        state.metrics.observe_error("click_record")
    if visitor.is_bot:
        state.metrics.bot_clicks.labels(service.key).inc()
    else:
        state.metrics.clicks.labels(service.key, visitor.platform).inc()
    return web.Response(
        status=302,
        headers={
            "Location": best_target(service, visitor.platform),
            # Every click must reach us (counting) and a config change must apply at once.
            "Cache-Control": "no-store",
        },
    )


async def landing(request: web.Request) -> web.StreamResponse:
    config = request.app[STATE].config.current
    name = request.match_info.get("channel")
    channel: Channel | None = None
    if name is not None:
        channel = config.channel(name)
        if channel is None:
            return _not_found(request, config)
    elif len(config.channels) == 1:
        channel = config.channels[0]
    default = channel.language if channel else config.default_language
    lang = page_language(request.query.get("lang"), default)
    services = _entries(request, config, channel, lang, source="landing")
    other = "en" if lang == "fa" else "fa"
    html = landing_page(
        lang,
        services,
        heading=channel.label if channel else None,
        channels=None if channel else _channel_entries(config),
        other_language_href=(f"/{channel.key}" if name is not None and channel else "/") + f"?lang={other}",
    )
    return _html(html)


async def healthz(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    config = state.config.current
    problem = await database_problem(state.store)
    last = state.metrics.last_update_at
    body = {
        "status": "ok" if problem is None else "unavailable",
        "config_version": config.version,
        "database": "reachable" if problem is None else problem,
        "last_update_at": (
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(last)) if last is not None else None
        ),
        "mode": "webhook" if state.webhook is not None else "polling",
        "clicks_pending": state.clicks.pending,
    }
    return web.json_response(
        body, status=200 if problem is None else 503, headers={"Cache-Control": "no-store"}
    )


async def metrics(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    config = state.config.current
    try:
        counts = await SubscriberStore(state.store).ack_counts([c.key for c in config.channels])
    except Exception as exc:  # the database is down: serve what is in memory, say so in errors
        log.warning("/metrics: acknowledgements unavailable: %s", exc)
        state.metrics.observe_error("metrics_database")
    else:
        for key, figures in counts.items():
            state.metrics.acknowledgements.labels(key).set(figures.total)
    body = generate_latest(state.metrics.registry)
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


async def robots(request: web.Request) -> web.StreamResponse:
    return web.Response(text="User-agent: *\nDisallow: /go/\n", content_type="text/plain")


async def webhook(request: web.Request) -> web.StreamResponse:
    """A Bot API update: 403 without the right secret (nothing read), 400 unless it is an update."""
    state = request.app[STATE]
    hook = state.webhook
    if hook is None:
        return _not_found(request, state.config.current)
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), hook.secret.encode()):
        state.metrics.observe_error("webhook_forbidden")
        return web.Response(status=403, text="forbidden\n")
    try:
        data = json.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        state.metrics.observe_error("webhook_malformed")
        return web.Response(status=400, text="the body is not JSON\n")
    if (
        not isinstance(data, dict)
        or isinstance(data.get("update_id"), bool)
        or not isinstance(data.get("update_id"), int)
    ):
        state.metrics.observe_error("webhook_malformed")
        return web.Response(status=400, text="the body is not a Telegram update\n")
    try:
        await hook.deliver(data)
    except ValueError as exc:
        state.metrics.observe_error("webhook_malformed")
        return web.Response(status=400, text=f"the body is not a Telegram update: {exc}\n")
    return web.Response(text="ok\n")


# --------------------------------------------------------------------------------------------- helpers


def _base_url(request: web.Request, config: Config) -> str:
    if config.web is not None and config.web.public_url:
        return config.web.public_url
    return f"{request.scheme}://{request.host}"


def _entries(
    request: web.Request, config: Config, channel: Channel | None, lang: str, source: str
) -> list[ServiceEntry]:
    base = _base_url(request, config)
    key = channel.key if channel else None
    return [
        ServiceEntry(
            name=s.name(lang, config.default_language),
            href=redirect_path(s.key, key, source),
            qr_target=base + redirect_path(s.key, key, "qr"),
            handle=s.handle,
        )
        for s in config.services_for(channel)
    ]


def _channel_entries(config: Config) -> list[ChannelEntry]:
    return [ChannelEntry(label=c.label, href=f"/{c.key}") for c in config.channels]


def _not_found(request: web.Request, config: Config) -> web.StreamResponse:
    lang = page_language(request.query.get("lang"), config.default_language)
    html = not_found_page(lang, _entries(request, config, None, lang, "notfound"), _channel_entries(config))
    return _html(html, status=404)


def _html(html: str, status: int = 200) -> web.Response:
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


@web.middleware
async def _headers_and_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    state = request.app[STATE]
    try:
        response = await handler(request)
    except web.HTTPNotFound:
        response = _not_found(request, state.config.current)
    except web.HTTPException:
        raise
    except Exception as exc:
        log.exception("error serving %s", request.path)
        state.metrics.observe_error(f"web_{type(exc).__name__}")
        response = web.Response(status=500, text="internal error\n")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if response.content_type == "text/html":
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
    return response


# --------------------------------------------------------------------------------------------- server


class WebServer:
    """Runs :func:`create_app` on ``host:port`` until :meth:`stop`."""

    def __init__(self, state: WebState, host: str, port: int, *, access_log: bool = True) -> None:
        self.state = state
        self.host = host
        self.port = port
        self.app = create_app(state)
        self._runner = web.AppRunner(
            self.app,
            handle_signals=False,
            access_log=logging.getLogger("kooch.web.access") if access_log else None,
            # In-flight requests get this long at shutdown; redirects take milliseconds.
            shutdown_timeout=5.0,
        )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        # Port 0 asked for any free port: learn which one we got.
        self.port = int(self._runner.addresses[0][1])
        log.info("web server listening on %s", self.url)

    async def stop(self) -> None:
        await self._runner.cleanup()
