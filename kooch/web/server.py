"""The aiohttp application: routes, security headers, and the server's start and stop.

Routes (registered in this order; the first match wins):

=========================  =====================================================================
``GET /healthz``           200 JSON (Kooch's version, config version, database, last update) or 503
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

The server faces the internet from inside the bot's process: its limits (header and body
deadlines, the connection cap) are :mod:`kooch.web.limits`, its pages are rendered once per config
version (:mod:`kooch.web.cache`), and nothing in a request's headers ends up in a page. Every
response says how it may be cached: the landing pages are the same for every visitor and
change only with the config (``public, max-age=60``); everything else is ``no-store``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kooch import version
from kooch.announce.links import best_target, clean_source, redirect_path, redirect_url
from kooch.clock import SYSTEM, Clock
from kooch.config import Channel, Config
from kooch.config.holder import ConfigHolder
from kooch.insight.clicks import Click, ClickLog
from kooch.metrics import Metrics
from kooch.store import Store
from kooch.store.health import database_problem
from kooch.store.leader import Leader
from kooch.subscribers.store import SubscriberStore
from kooch.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH, NotAnUpdate, UpdateSink, parse_update_body
from kooch.telegram.webhook_intake import NotDurable
from kooch.web.cache import PageCache
from kooch.web.calm import Calm
from kooch.web.limits import ConnectionGate, GuardedSite, Limits, connection_cap
from kooch.web.logs import PROTOCOL, AccessLog
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

#: The landing pages: the same for every visitor (nothing from the request is in them), changed
#: only by a config change, which a shared cache then shows within a minute.
LANDING_CACHE = "public, max-age=60"
#: robots.txt never changes.
ROBOTS_CACHE = "public, max-age=86400"
#: Everything else: redirects (every click must reach us and be counted), not-found pages (any
#: URL makes one; they must not fill a shared cache), health, metrics, webhook answers, errors.
NO_STORE = "no-store"


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
    pages: PageCache = field(default_factory=PageCache)
    #: This replica's part in the election (None: a server without a bot, as in some tests).
    leader: Leader | None = None


@dataclass(frozen=True)
class Serving:
    """How the application runs: its limits, the connection gate, the access log."""

    limits: Limits = field(default_factory=Limits)
    #: None: the application runs without a gate (its requests mark no connection busy).
    gate: ConnectionGate | None = None
    #: None: no access log.
    access: AccessLog | None = None
    #: None: page work never waits for the event loop to catch up.
    calm: Calm | None = None


#: Routes that never wait for :class:`Calm`: taps arrive by the webhook, and the health check
#: and the metrics must tell the truth about an overloaded bot rather than queue behind it.
URGENT_PATHS = frozenset({WEBHOOK_PATH, "/healthz", "/metrics"})


STATE: web.AppKey[WebState] = web.AppKey("kooch_state", WebState)
SERVING: web.AppKey[Serving] = web.AppKey("kooch_serving", Serving)


def create_app(state: WebState, serving: Serving | None = None) -> web.Application:
    """The aiohttp application serving Kooch's routes from ``state``."""
    app = web.Application(middlewares=[_headers_and_errors], client_max_size=MAX_WEBHOOK_BODY)
    app[STATE] = state
    app[SERVING] = serving or Serving()
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
            return await _not_found(request)
    key = request.match_info["service"]
    service = next((s for s in config.services_for(channel) if s.key == key), None)
    if service is None:
        return await _not_found(request)
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
            "Cache-Control": NO_STORE,
        },
    )


async def landing(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    config = state.config.current
    name = request.match_info.get("channel")
    channel: Channel | None = None
    if name is not None:
        channel = config.channel(name)
        if channel is None:
            return await _not_found(request)
    elif len(config.channels) == 1:
        channel = config.channels[0]
    default = channel.language if channel else config.default_language
    lang = page_language(request.query.get("lang"), default)
    # "/" and "/<key>" differ only in their language link; "/<@username>" is "/<key>".
    path_key = channel.key if name is not None and channel is not None else None
    pages = state.pages

    def render() -> str:
        return landing_page(
            lang,
            _entries(config, channel, lang, source="landing"),
            heading=channel.label if channel else None,
            channels=None if channel else _channel_entries(config),
            path=f"/{path_key}" if path_key else "/",
            draw_qr=pages.qr,
        )

    body = await pages.page(config.version, ("landing", path_key, lang), render)
    return _html(body, cache=LANDING_CACHE)


async def healthz(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    config = state.config.current
    problem = await database_problem(state.store)
    last = state.metrics.last_update_at
    build = version.build()
    body = {
        "status": "ok" if problem is None else "unavailable",
        "version": build.version,
        "revision": build.revision,
        "config_version": config.version,
        "database": "reachable" if problem is None else problem,
        "last_update_at": (
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(last)) if last is not None else None
        ),
        "mode": "webhook" if state.webhook is not None else "polling",
        "clicks_pending": state.clicks.pending,
        **replica_role(state.leader),
    }
    return web.json_response(
        body, status=200 if problem is None else 503, headers={"Cache-Control": "no-store"}
    )


def replica_role(leader: Leader | None) -> dict[str, str | int | None]:
    """Who answers: the replica's name, leader or follower, and the leader's term (epoch)."""
    if leader is None:
        return {}
    return {
        "replica": leader.name,
        "role": "leader" if leader.is_leader else "follower",
        "epoch": leader.epoch,
    }


async def metrics(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    config = state.config.current
    if state.leader is not None:
        state.metrics.observe_role(
            state.leader.name, "leader" if state.leader.is_leader else "follower", state.leader.epoch
        )
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
    return web.Response(
        text="User-agent: *\nDisallow: /go/\n",
        content_type="text/plain",
        headers={"Cache-Control": ROBOTS_CACHE},
    )


async def webhook(request: web.Request) -> web.StreamResponse:
    """A Bot API update: 403 without the right secret (nothing read), 400 unless it is an update;
    the 200 only once it is handled or spooled (:mod:`kooch.telegram.webhook_intake`), with the
    method a handler put in it as JSON; 503 when it could be neither (Telegram tries again)."""
    state = request.app[STATE]
    hook = state.webhook
    if hook is None:
        return await _not_found(request)
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), hook.secret.encode()):
        state.metrics.observe_error("webhook_forbidden")
        return web.Response(status=403, text="forbidden\n")
    try:
        async with asyncio.timeout(request.app[SERVING].limits.body_timeout):
            body = await request.read()
    except TimeoutError:
        state.metrics.observe_error("webhook_slow_body")
        response = web.Response(status=408, text="the body did not arrive in time\n")
        response.force_close()
        return response
    try:
        data = parse_update_body(body)
        reply = await hook.deliver(data)
    except NotAnUpdate as exc:
        state.metrics.observe_error("webhook_malformed")
        return web.Response(status=400, text=f"{exc}\n")
    except NotDurable:
        # Neither handled in time nor kept: Telegram must deliver it again.
        state.metrics.observe_error("webhook_not_durable")
        return web.Response(status=503, text="not stored; deliver it again\n", headers={"Retry-After": "1"})
    if reply is None:
        return web.Response(text="ok\n")
    # A method for Telegram to execute (Bot API, "Making requests when getting updates").
    return web.Response(body=json.dumps(reply, ensure_ascii=False).encode(), content_type="application/json")


# --------------------------------------------------------------------------------------------- helpers


def _entries(config: Config, channel: Channel | None, lang: str, source: str) -> list[ServiceEntry]:
    """The services of a page. Nothing comes from the request: a page is rendered once for every
    visitor, so a ``Host`` header must never choose where its links lead. The buttons are
    relative links; a QR code needs an absolute URL, which only ``public_url`` gives: without it
    the QR code leads straight to the service (uncounted, like every link without public_url)."""
    public_url = config.web.public_url if config.web is not None else None
    key = channel.key if channel else None
    return [
        ServiceEntry(
            name=s.name(lang, config.default_language),
            href=redirect_path(s.key, key, source),
            qr_target=redirect_url(public_url, s.key, key, "qr") if public_url else s.url,
            handle=s.handle,
        )
        for s in config.services_for(channel)
    ]


def _channel_entries(config: Config) -> list[ChannelEntry]:
    return [ChannelEntry(label=c.label, href=f"/{c.key}") for c in config.channels]


async def _not_found(request: web.Request) -> web.Response:
    state = request.app[STATE]
    config = state.config.current
    lang = page_language(request.query.get("lang"), config.default_language)

    def render() -> str:
        return not_found_page(lang, _entries(config, None, lang, "notfound"), _channel_entries(config))

    body = await state.pages.page(config.version, ("notfound", None, lang), render)
    return _html(body, status=404, cache=NO_STORE)


def _html(body: bytes, *, status: int = 200, cache: str) -> web.Response:
    return web.Response(
        body=body,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": cache},
    )


def _secure(response: web.StreamResponse) -> None:
    response.headers.setdefault("Cache-Control", NO_STORE)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if response.content_type == "text/html":
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"


@web.middleware
async def _headers_and_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Around every request: its connection counts as busy (the gate closes only idle ones), the
    not-found page and errors, the security and cache headers, the access log line."""
    state = request.app[STATE]
    serving = request.app[SERVING]
    started = asyncio.get_running_loop().time()
    handling = serving.gate.handling(request.transport) if serving.gate else contextlib.nullcontext()
    calm = serving.calm
    turn = calm.turn() if calm is not None and request.path not in URGENT_PATHS else contextlib.nullcontext()
    with handling:
        try:
            async with turn:
                response = await handler(request)
        except web.HTTPNotFound:
            response = await _not_found(request)
        except web.HTTPException as exc:  # 405, 413 …: aiohttp writes them, with our headers
            _secure(exc)
            _done(request, state, serving, exc, started)
            raise
        except Exception as exc:
            log.exception("error serving %r", request.path)
            state.metrics.observe_error(f"web_{type(exc).__name__}")
            response = web.Response(status=500, text="internal error\n")
    _secure(response)
    _done(request, state, serving, response, started)
    return response


def _done(
    request: web.Request, state: WebState, serving: Serving, response: web.StreamResponse, started: float
) -> None:
    """A request answered: counted by its route's template and code, and the access log line."""
    elapsed = asyncio.get_running_loop().time() - started
    state.metrics.observe_http(route_of(request), response.status, elapsed)
    if serving.access is not None:
        serving.access.record(request, response.status, response.content_length, elapsed)


#: The route label of a request no route matched (a 404 or 405 from the router): its path is
#: whatever the client sent, never a label.
UNMATCHED = "unmatched"


def route_of(request: web.Request) -> str:
    """The template of the route that served ``request`` (``/go/{service}``, ``/{channel}``),
    never its path: a path carries what a visitor typed, unbounded and possibly personal."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


# --------------------------------------------------------------------------------------------- server


class WebServer:
    """Runs :func:`create_app` on ``host:port`` until :meth:`stop`, within ``limits``.

    ``access_log_details`` adds the client's address, Referer and User-Agent to the access log:
    personal data, so off unless an operator asks for it.
    """

    def __init__(
        self,
        state: WebState,
        host: str,
        port: int,
        *,
        limits: Limits | None = None,
        access_log: bool = True,
        access_log_details: bool = False,
    ) -> None:
        self.state = state
        self.host = host
        self.port = port
        self.limits = limits or Limits()
        self.gate = ConnectionGate(connection_cap(self.limits), state.metrics.observe_error)
        self.calm = Calm()
        self.site: GuardedSite | None = None
        access = AccessLog(details=access_log_details) if access_log else None
        self.app = create_app(state, Serving(self.limits, self.gate, access, self.calm))
        self._runner = web.AppRunner(
            self.app,
            handle_signals=False,
            # The access log is written by the middleware (without addresses); aiohttp's own
            # messages go to a logger whose filter shortens them (kooch.web.logs).
            access_log=None,
            logger=PROTOCOL,
            # The deadline for a request's headers, from the connection's start or its last
            # response, as well as the idle keep-alive time (see kooch.web.limits).
            keepalive_timeout=self.limits.header_timeout,
            lingering_time=self.limits.linger,
            max_line_size=self.limits.max_line_size,
            max_field_size=self.limits.max_field_size,
            max_headers=self.limits.max_headers,
            # In-flight requests get this long at shutdown; redirects take milliseconds.
            shutdown_timeout=5.0,
        )

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        self.calm.start()
        await self._runner.setup()
        site = GuardedSite(self._runner, self.host, self.port, self.gate, self.limits.backlog, self.calm)
        await site.start()
        self.site = site
        # Port 0 asked for any free port: learn which one we got.
        self.port = int(self._runner.addresses[0][1])
        log.info("web server listening on %s", self.url)

    async def stop(self) -> None:
        await self._runner.cleanup()
        await self.calm.stop()
