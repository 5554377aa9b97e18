"""The web server (clicks, ``/metrics``, the webhook) when ``web:`` is configured, the webhook
intake, and the leader's ``setWebhook`` (a duty: once the server listens, per term)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

from telegram import Update

from kooch.app.background import App, BackgroundWork, Kind, Run
from kooch.app.features.core import Core
from kooch.app.lifecycle import on_close
from kooch.app.settings import StartupError
from kooch.config.sections import plain_http_refused
from kooch.exits import Exit
from kooch.i18n import gettext
from kooch.insight.clicks import ClickLog
from kooch.store.inbox import Inbox
from kooch.telegram.lanes import Lane, LanedUpdateQueue
from kooch.telegram.webhook import new_secret, set_webhook
from kooch.telegram.webhook_intake import NoReplies, ReplySlots, WebhookIntake
from kooch.web.limits import raise_open_file_limit
from kooch.web.server import Webhook, WebServer, WebState


@dataclass(frozen=True)
class Web:
    #: None when the config has no ``web:`` section (no HTTP server at all). Built here, started
    #: by the runner once the Application runs (:func:`serve`).
    server: WebServer | None
    #: The webhook intake; None when polling.
    intake: WebhookIntake | None
    #: Where a handler puts a method into the webhook response (polling: nowhere, always a call).
    replies: ReplySlots


async def open_web(stack: AsyncExitStack, core: Core, clicks: ClickLog) -> Web:
    web_config = core.config.current.web
    if web_config is None:
        return Web(None, None, NoReplies())
    app = core.app
    intake = None
    if web_config.webhook:
        intake = WebhookIntake(app, Inbox(core.store, app.bot.id), brief=_subscribers_message(app))
        on_close(stack, "webhook intake", intake.close)  # after the Application stopped: the spool's rows
        core.metrics.watch_queue("intake_held", lambda: intake.held if intake is not None else 0)
    public_url = web_config.public_url
    if web_config.webhook and public_url is not None and public_url.startswith("http://"):
        # The config was checked against the environment's TELEGRAM_API_URL; this run may talk
        # to another server (tests, the rehearsal), and only the server in use decides.
        refused = plain_http_refused(public_url, core.settings.api_url)
        if refused is not None:
            raise StartupError(f"web.public_url: {refused}")
    secret = core.settings.webhook_secret or new_secret()
    hook = Webhook(secret, intake.take) if intake is not None else None
    # Before the server sizes its connection cap from it: the default soft limit (often 1,024)
    # is what a flood of connections would exhaust first.
    raise_open_file_limit()
    state = WebState(core.config, core.store, clicks, core.metrics, hook, core.clock, leader=core.leader)
    server = WebServer(
        state, web_config.host, web_config.port, access_log_details=web_config.access_log_details
    )
    if hook is not None:
        core.background.declare(
            BackgroundWork(
                "setWebhook",
                Kind.DUTY,
                lambda language: gettext(language, "webhook registration"),
                start=_registrar(core, hook.secret),
            )
        )
    return Web(server, intake, intake if intake is not None else NoReplies())


async def serve(stack: AsyncExitStack, web: Web) -> None:
    """Listen (stopped first of all: no new clicks or webhook updates while the rest finishes)."""
    server = web.server
    if server is None:
        return
    try:
        await server.start()
    except OSError as exc:
        await server.stop()
        raise StartupError(
            f"cannot listen on {server.host}:{server.port} (web.listen): {exc.strerror or exc}. "
            "Is another program using this port?",
            Exit.TEMPFAIL,
        ) from None
    on_close(stack, "web server", server.stop)


def _subscribers_message(app: App) -> Callable[[Update], bool]:
    """Which webhook updates are spooled after a brief wait: those of the subscribers' lane (a tap
    waits for its answer to ride in the response, an operator's is handled at once)."""
    queue = app.update_queue
    if not isinstance(queue, LanedUpdateQueue):
        return lambda update: False
    return lambda update: queue.lane_of(update) is Lane.OTHERS


def _registrar(core: Core, secret: str) -> Run:
    """The leader's ``setWebhook`` (if Telegram does not have this URL and secret already)."""

    async def register(app: App) -> None:
        web_config = core.config.current.web
        assert web_config is not None and web_config.public_url is not None  # checked with webhook: true
        await set_webhook(app, web_config.public_url, secret, web_config.max_connections)

    return register
