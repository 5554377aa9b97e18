"""Kooch's HTTP transport for the Bot API: every call of every Bot counted and timed for ``/metrics``.

:class:`InstrumentedRequest` wraps another :class:`telegram.request.BaseRequest` rather than
subclassing one transport, so the same timing covers Kooch's aiohttp transport in production and the
in-process transports of the benchmarks and tests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, Update
from telegram.request import BaseRequest, RequestData

# Not re-exported by telegram.request, but it is how PTB's own Bot encodes every parameter.
from telegram.request._requestparameter import RequestParameter

from kooch.metrics import Metrics
from kooch.telegram.updates import ALLOWED_UPDATES, UpdateParser


class InstrumentedRequest(BaseRequest):
    """``inner``, with each Bot API call counted and timed into ``metrics``."""

    def __init__(self, inner: BaseRequest, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1] or "unknown"
        started = time.perf_counter()
        status = "error"
        try:
            code, body = await self.inner.do_request(url, method, *args, **kwargs)
            status = str(code)
            return code, body
        finally:
            self.metrics.observe_api_call(api_method, status, time.perf_counter() - started)


class UpdatesRequest(InstrumentedRequest):
    """The getUpdates transport, which also keeps each update of the last answer as Telegram sent it.

    The intake spools every fetched update before it is confirmed (no tap lost on kill -9). Turning
    python-telegram-bot's parsed :class:`~telegram.Update` back into JSON (``to_dict``) cost a
    quarter of a tap's CPU in bench/ack_flood.py (py-spy --gil); the parsed answer's own dicts are
    at hand here, so the spool writes those instead. Only the last answer is kept: the intake spools
    a batch before it polls again.
    """

    def __init__(self, inner: BaseRequest, metrics: Metrics) -> None:
        super().__init__(inner, metrics)
        self._last: dict[int, Any] = {}
        self._parser: UpdateParser | None = None

    def fetcher(self, bot: Bot) -> Callable[[int | None, int, float], Awaitable[list[Update]]]:
        """The intake's getUpdates for ``bot``: the types Kooch handles, through :meth:`get_updates`."""

        async def fetch(offset: int | None, limit: int, timeout: float) -> list[Update]:
            return await self.get_updates(
                bot, offset=offset, limit=limit, timeout=timeout, allowed_updates=list(ALLOWED_UPDATES)
            )

        return fetch

    async def get_updates(
        self, bot: Bot, *, offset: int | None, limit: int, timeout: float, allowed_updates: list[str]
    ) -> list[Update]:
        """``getUpdates`` as ``bot.get_updates`` calls it (same parameters, same errors, read timeout
        stretched by the long poll's), parsed by :class:`~kooch.telegram.updates.UpdateParser`,
        which builds the post a tap carries once instead of once a tap."""
        if self._parser is None:
            self._parser = UpdateParser(bot)
        fields: dict[str, object] = {"timeout": timeout, "limit": limit, "allowed_updates": allowed_updates}
        if offset is not None:
            fields["offset"] = offset
        result = await self.post(
            f"{bot.base_url}/getUpdates",
            request_data=RequestData([RequestParameter.from_input(k, v) for k, v in fields.items()]),
            read_timeout=(self.read_timeout or 0) + timeout,
        )
        return self._parser.parse_all(result) if isinstance(result, list) else []

    def parse_json_payload(self, payload: bytes) -> dict[str, Any]:  # type: ignore[override]
        data = BaseRequest.parse_json_payload(payload)
        result = data.get("result") if isinstance(data, dict) else None
        if isinstance(result, list):
            self._last = {
                item["update_id"]: item
                for item in result
                if isinstance(item, dict) and isinstance(item.get("update_id"), int)
            }
        return data

    def as_sent(self, update_id: int) -> str | None:
        """The update ``update_id`` of the last answer as JSON, as Telegram sent it (None if it
        was not in that answer)."""
        item = self._last.pop(update_id, None)
        return None if item is None else json.dumps(item, ensure_ascii=False)
