"""Kooch's HTTP transport for the Bot API: every call of every Bot counted and timed for ``/metrics``.

:class:`InstrumentedRequest` wraps another :class:`telegram.request.BaseRequest` rather than
subclassing one transport, so the same timing covers Kooch's aiohttp transport in production and the
in-process transports of the benchmarks and tests.
"""

from __future__ import annotations

import json
import time
from typing import Any

from telegram.request import BaseRequest

from kooch.metrics import Metrics


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
