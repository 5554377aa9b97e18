"""Kooch's HTTP client for the Bot API: python-telegram-bot's request interface on aiohttp.

httpx's connection pool costs a lot of CPU per request once many requests are in flight at once
(encode/httpx#3215), and a tap flood is exactly that: hundreds of answerCallbackQuery calls at
the same moment. aiohttp, which Kooch already runs for its web server, keeps up (bench/transport.py
measures both against the simulator). :class:`AiohttpRequest` is a
:class:`telegram.request.BaseRequest`, so PTB's Bot uses it unchanged.

Timeouts follow :class:`telegram.request.HTTPXRequest`: defaults per request object, overridden
per call, ``None`` meaning no limit. aiohttp has no write timeout and counts the wait for a free
connection as part of connecting, so:

- ``connect`` + ``pool`` bound getting a connection (aiohttp's ``connect``), ``connect`` alone a
  new connection's handshake (``sock_connect``);
- ``read`` bounds each wait for response bytes (``sock_read``);
- ``write`` is enforced inside the whole request's budget (``total`` is the sum of the four,
  when all are finite): a stalled upload still ends, just not at the write timeout itself. With
  no pool timeout (Kooch's Bots, see :func:`kooch.telegram.bots.aiohttp_transport`) there is no
  such budget, since aiohttp counts the wait for a connection in it; ``sock_read`` still ends a
  server that stops answering.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """Bot API requests over one aiohttp session (made in :meth:`initialize`) of at most
    ``connection_pool_size`` connections: the pool is the in-flight bound, and a call that finds
    every connection busy waits up to ``pool_timeout`` for one."""

    __slots__ = ("_connect", "_media_write", "_pool", "_pool_size", "_read", "_session", "_write")

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read = read_timeout
        self._write = write_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read

    @property
    def pool_size(self) -> int:
        return self._pool_size

    async def initialize(self) -> None:
        """Open the session (needs the running event loop, hence not in ``__init__``)."""
        if self._session is not None and not self._session.closed:
            return
        connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=self._pool_size)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self.USER_AGENT},
            # PTB reads the status and decodes Telegram's error bodies itself.
            raise_for_status=False,
        )

    async def shutdown(self) -> None:
        """Close the session and its connections. Idempotent."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data else None
        timeout = self.timeout(
            read=_given(read_timeout, self._read),
            write=_given(write_timeout, self._media_write if files else self._write),
            connect=_given(connect_timeout, self._connect),
            pool=_given(pool_timeout, self._pool),
        )
        try:
            async with session.request(
                method, url, data=self.body(request_data), timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut(f"aiohttp: {err.__class__.__name__}: {err}".rstrip(": ")) from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err

    @staticmethod
    def timeout(
        *, read: float | None, write: float | None, connect: float | None, pool: float | None
    ) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for PTB's four (see the module docstring)."""
        parts = (read, write, connect, pool)
        total = None if any(p is None for p in parts) else sum(p for p in parts if p is not None)
        getting = None if connect is None or pool is None else connect + pool
        return aiohttp.ClientTimeout(total=total, connect=getting, sock_connect=connect, sock_read=read)

    @staticmethod
    def body(request_data: RequestData | None) -> Any:
        """The form PTB's HTTPXRequest sends: urlencoded parameters, or multipart with files."""
        if request_data is None:
            return None
        fields = request_data.json_parameters
        files = request_data.multipart_data
        if not files:
            return fields
        form = aiohttp.FormData()
        for name, value in fields.items():
            form.add_field(name, value)
        for name, (filename, content, mimetype) in files.items():
            form.add_field(name, content, filename=filename, content_type=mimetype)
        return form


def _given(value: object, default: float | None) -> float | None:
    """A timeout passed to one call: a number, ``None`` (no limit), or PTB's ``DEFAULT_NONE``
    (any ``DefaultValue``: this request's own default), as :class:`HTTPXRequest` reads them."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return default
