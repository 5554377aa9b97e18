"""HTTP front of the Bot API simulator: an aiohttp app speaking Telegram's wire format.

An unmodified python-telegram-bot ``Application`` can run against it with
``base_url=f"{sim.url}/bot"`` and ``base_file_url=f"{sim.url}/file/bot"``. Requests
are ``POST /bot<token>/<method>`` with url-encoded, multipart or JSON bodies (GET
query strings work too, for curl); file downloads are ``GET /file/bot<token>/<path>``.

The state and the Bot API rules live in :mod:`kooch.simulator.state` and the modules
it composes; this module adds the HTTP plumbing and the server lifecycle, and, with
``deliver_webhooks=True``, calls the bot's webhook like Telegram does (:mod:`.webhook`).

Delivery is off by default because a webhook URL in a test is usually the public address
of a bot that is not listening there (tests hand the queued updates over themselves);
turning it on also makes setWebhook accept http:// URLs, as a telegram-bot-api server in
``--local`` mode does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from aiohttp import web

from .errors import ApiError, bad_request
from .models import CallRecord, JSONDict
from .params import Upload, coerce_params
from .state import Handler, SimulatorState
from .webhook import WebhookDelivery, WebhookOptions, WebhookSender

logger = logging.getLogger(__name__)

_MAX_BODY_BYTES = 64 * 1024 * 1024
_NOT_FOUND: JSONDict = {"ok": False, "error_code": 404, "description": "Not Found"}
_UNAUTHORIZED: JSONDict = {"ok": False, "error_code": 401, "description": "Unauthorized"}


class BotAPISimulator(SimulatorState):
    """A local Telegram Bot API server plus the in-process player API.

    Usage::

        async with BotAPISimulator() as sim:
            user = sim.add_user()
            bot = telegram.Bot(sim.token, base_url=f"{sim.url}/bot")

    All state is on the instance; the player API (``send_text``, ``press_button``,
    ``wait_for_message`` ...) must be used from the loop the server runs on.
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "kooch_test_bot",
        bot_id: int | None = None,
        bot_first_name: str = "Kooch Test Bot",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        callback_deadline: float = 15.0,
        first_update_id: int = 500_000_000,
        emit_member_updates: bool = True,
        deliver_webhooks: bool = False,
        webhook_options: WebhookOptions | None = None,
    ) -> None:
        super().__init__(
            token,
            bot_username,
            bot_id,
            bot_first_name,
            callback_deadline=callback_deadline,
            first_update_id=first_update_id,
            emit_member_updates=emit_member_updates,
        )
        self.host = host
        self.port = port
        #: Root URL once started, e.g. ``http://127.0.0.1:43123``.
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._handlers: dict[str, tuple[str, Handler]] = {}
        for name, handler in self._method_table().items():
            self._handlers[name.lower()] = (name, handler)
        #: Whether a webhook set with setWebhook is called (see the module docstring).
        self.deliver_webhooks = deliver_webhooks
        self.webhook_accepts_http = deliver_webhooks
        self.webhook_options = webhook_options or WebhookOptions()
        #: Every update handed to a webhook, by update id, with its attempts and status.
        self.webhook_deliveries: dict[int, WebhookDelivery] = {}
        #: Called with the aiohttp app before the Bot API routes are added (the control API).
        self.route_hooks: list[Callable[[web.Application], None]] = []
        self._sender: WebhookSender | None = None
        self._closing_senders: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind to ``host:port`` (port 0 = a free one) and set :attr:`url`."""
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        self._closing = False
        app = web.Application(client_max_size=_MAX_BODY_BYTES)
        for hook in self.route_hooks:
            hook(app)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # handler_cancellation: a long poll whose client went away is cancelled instead
        # of lingering; access_log=None: no per-request logging on the hot path.
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self.port = int(port)
        self.url = f"http://{host}:{self.port}"
        logger.debug("Bot API simulator listening on %s", self.url)
        self._webhook_resume()  # a webhook set before a restart is delivered to again

    async def stop(self) -> None:
        """Release pending long polls and shut the server down."""
        runner = self._runner
        if runner is None:
            return
        self._closing = True
        self._webhook_pause()
        self._updates_pulse.fire()
        await asyncio.sleep(0)
        self._runner = None
        await runner.cleanup()
        if self._closing_senders:
            await asyncio.gather(*self._closing_senders, return_exceptions=True)

    async def __aenter__(self) -> BotAPISimulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What to pass as PTB's ``base_url``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """What to pass as PTB's ``base_file_url``."""
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._serve_file(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return web.json_response(_NOT_FOUND, status=404)
        token, sep, method = path[len("/bot") :].partition("/")
        if not sep or not method or "/" in method:
            return web.json_response(_NOT_FOUND, status=404)
        if token != self.token:
            return web.json_response(_UNAUTHORIZED, status=401)
        key = method.lower()
        entry = self._handlers.get(key)
        if entry is None:
            self._log_call(method, {}, 404, "Not Found")
            return web.json_response(_NOT_FOUND, status=404)
        name, handler = entry
        params: JSONDict = {}
        try:
            # Reading the body changes no state, so a faulted call still logs its params.
            params = await self._read_params(request)
            self._check_fault(key)
            await self._wait_if_held(key)
            params = coerce_params(params)
            if key == "getupdates":
                result = await self.api_get_updates(params)
            else:
                result = handler(params)
        except ApiError as err:
            self._log_call(name, params, err.error_code, err.description)
            return web.json_response(err.to_payload(), status=err.error_code)
        self._log_call(name, params, None, None)
        return web.json_response({"ok": True, "result": result})

    def _check_fault(self, key: str) -> None:
        fault = self._take_fault(key)
        if fault is not None:
            raise ApiError(fault.error_code, fault.description, fault.retry_after)

    def _log_call(
        self,
        method: str,
        params: JSONDict,
        error_code: int | None,
        description: str | None,
        *,
        from_webhook_reply: bool = False,
    ) -> None:
        self.calls.append(
            CallRecord(
                method=method,
                params=params,
                ok=error_code is None,
                error_code=error_code,
                description=description,
                at=time.time(),
                from_webhook_reply=from_webhook_reply,
            )
        )
        self._change_pulse.fire()  # every recorded call wakes a test waiting on the calls

    # ------------------------------------------------------------------ webhook delivery

    def _webhook_resume(self) -> None:
        if not (self.deliver_webhooks and self.webhook_url and self._runner is not None):
            return
        if self._sender is not None:
            self._webhook_pause()
        max_connections = self.webhook_params.get("max_connections")
        secret = self.webhook_params.get("secret_token")
        sender = WebhookSender(
            self.webhook_url,
            secret_token=secret if isinstance(secret, str) else "",
            max_connections=max_connections if isinstance(max_connections, int) else 40,
            options=self.webhook_options,
            records=self.webhook_deliveries,
            execute_reply=self._execute_webhook_reply,
            on_change=self._change_pulse.fire,
        )
        # What waited for getUpdates is delivered first, then new updates as they come.
        while self._updates:
            sender.offer(*self._updates.popleft())
        self._sender = sender
        self._webhook_intake = sender.offer
        sender.start()

    def _webhook_pause(self) -> None:
        sender, self._sender = self._sender, None
        if sender is None:
            return
        self._webhook_intake = None
        returned, task = sender.close()
        if returned:
            # Updates still undelivered are older than any queued since: they go first.
            self._updates.extendleft(reversed(returned))
            self._updates_pulse.fire()
        if task is not None:
            self._closing_senders.add(task)
            task.add_done_callback(self._closing_senders.discard)

    def _webhook_info_extra(self) -> JSONDict:
        sender = self._sender
        if sender is None:
            return {}
        extra: JSONDict = {"pending_update_count": len(self._updates) + sender.pending}
        if sender.last_error is not None:
            extra["last_error_date"], extra["last_error_message"] = sender.last_error
        return extra

    @property
    def webhook_sender(self) -> WebhookSender | None:
        """The sender delivering to the current webhook, if delivery is on and a webhook set."""
        return self._sender

    def _execute_webhook_reply(self, method: str, params: dict[str, Any]) -> None:
        """A method from a webhook's reply body: run and logged like an HTTP call; the result is
        dropped, as Telegram gives the bot no way to see it."""
        key = method.lower()
        entry = self._handlers.get(key)
        if entry is None:
            self._log_call(method, params, 404, "Not Found", from_webhook_reply=True)
            return
        name, handler = entry
        try:
            self._check_fault(key)
            params = coerce_params(params)
            handler(params)
        except ApiError as err:
            self._log_call(name, params, err.error_code, err.description, from_webhook_reply=True)
        else:
            self._log_call(name, params, None, None, from_webhook_reply=True)
        self._change_pulse.fire()  # a failed call changes nothing else, yet tests wait for it

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """Merge query string and body (url-encoded, multipart or JSON) into one dict."""
        raw: dict[str, Any] = dict(request.query)
        if not request.body_exists:
            return raw
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("can't parse JSON request body") from exc
            if not isinstance(body, dict):
                raise bad_request("JSON request body must be an object")
            raw.update(body)
            return raw
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                raw[name] = Upload(
                    filename=value.filename,
                    content_type=value.content_type,
                    data=value.file.read(),
                )
            elif isinstance(value, bytes):
                raw[name] = value.decode("utf-8", "replace")
            else:
                raw[name] = value
        return raw

    def _serve_file(self, rest: str) -> web.StreamResponse:
        token, sep, file_path = rest.partition("/")
        if not sep or token != self.token:
            return web.json_response(_NOT_FOUND, status=404)
        found = self.file_by_path(file_path)
        if found is None:
            return web.json_response(_NOT_FOUND, status=404)
        return web.Response(body=found.data, content_type=found.mime_type or "image/jpeg")
