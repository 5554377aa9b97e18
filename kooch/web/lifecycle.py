"""Starting and stopping the web server beside the Application (called from ``bot.py``)."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application

from kooch.runtime import Kooch
from kooch.web.server import Webhook, WebServer, WebState
from kooch.web.webhook import new_secret, set_webhook, update_sink

#: Where :func:`start_web` leaves the running server in ``Application.bot_data`` (tests read it).
WEB_SERVER_KEY = "kooch:web_server"


def web_server_of(app: Application[Any, Any, Any, Any, Any, Any]) -> WebServer | None:
    """The running web server of a bot started by ``running_bot``, if ``web:`` is configured."""
    server: WebServer | None = app.bot_data.get(WEB_SERVER_KEY)
    return server


class WebStartError(Exception):
    """The web server could not start (address in use, no permission); the message says which."""


async def start_web(app: Application[Any, Any, Any, Any, Any, Any], kooch: Kooch) -> WebServer | None:
    """Start the server when ``web:`` is configured (after the store opened and the Application
    started); in webhook mode, register the webhook once the server listens. None without ``web:``."""
    web_config = kooch.config.current.web
    if web_config is None:
        return None
    assert kooch.clicks is not None and kooch.metrics is not None
    hook = Webhook(new_secret(), update_sink(app)) if web_config.webhook else None
    server = WebServer(
        WebState(kooch.config, kooch.store, kooch.clicks, kooch.metrics, hook),
        web_config.host,
        web_config.port,
    )
    try:
        await server.start()
    except OSError as exc:
        await server.stop()
        raise WebStartError(
            f"cannot listen on {web_config.host}:{web_config.port} (web.listen): {exc.strerror or exc}. "
            "Is another program using this port?"
        ) from None
    if hook is not None:
        try:
            await set_webhook(app, web_config, hook.secret)
        except BaseException:
            await server.stop()
            raise
    app.bot_data[WEB_SERVER_KEY] = server
    return server
