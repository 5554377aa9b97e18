"""Kooch's HTTP transport for the Bot API: every call of every Bot counted and timed for ``/metrics``.

:class:`InstrumentedRequest` wraps another :class:`telegram.request.BaseRequest` rather than
subclassing one transport, so the same timing covers Kooch's aiohttp transport in production and the
in-process transports of the benchmarks and tests.
"""

from __future__ import annotations

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
