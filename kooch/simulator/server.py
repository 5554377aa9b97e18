"""HTTP front of the Bot API simulator: an aiohttp app speaking Telegram's wire format.

An unmodified python-telegram-bot ``Application`` can run against it with
``base_url=f"{sim.url}/bot"`` and ``base_file_url=f"{sim.url}/file/bot"``. Requests
are ``POST /bot<token>/<method>`` with url-encoded, multipart or JSON bodies (GET
query strings work too, for curl); file downloads are ``GET /file/bot<token>/<path>``.

The state and the Bot API rules live in :mod:`kooch.simulator.state` and the modules
it composes; this module adds the HTTP plumbing and the server lifecycle.
"""

from __future__ import annotations

import asyncio
import logging
import time
from types import TracebackType
from typing import Any

from aiohttp import web

from .errors import ApiError, bad_request
from .models import CallRecord, JSONDict
from .params import Upload, coerce_params
from .state import Handler, SimulatorState

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

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Bind to ``host:port`` (port 0 = a free one) and set :attr:`url`."""
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        self._closing = False
        app = web.Application(client_max_size=_MAX_BODY_BYTES)
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

    async def stop(self) -> None:
        """Release pending long polls and shut the server down."""
        runner = self._runner
        if runner is None:
            return
        self._closing = True
        self._updates_pulse.fire()
        await asyncio.sleep(0)
        self._runner = None
        await runner.cleanup()

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
            fault = self._take_fault(key)
            if fault is not None:
                raise ApiError(fault.error_code, fault.description, fault.retry_after)
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

    def _log_call(
        self, method: str, params: JSONDict, error_code: int | None, description: str | None
    ) -> None:
        self.calls.append(
            CallRecord(
                method=method,
                params=params,
                ok=error_code is None,
                error_code=error_code,
                description=description,
                at=time.time(),
            )
        )

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
