"""The hostile tests' server (Kooch's web app with chosen limits) and raw-socket clients."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from kooch.config import load_config
from kooch.config.holder import ConfigHolder
from kooch.insight.clicks import ClickLog
from kooch.metrics import Metrics
from kooch.store import Store
from kooch.web.limits import Limits
from kooch.web.server import Webhook, WebServer, WebState
from tests.kit import write_config
from tests.web_kit import Served, web_config

#: A wait that only ends a test that would otherwise hang; never a measure of speed.
HANG_GUARD_S = 60.0
#: The web server's gate counts connections and tells nobody: what waits on it re-reads it this
#: often (``eventually(..., every=GATE_EVERY_S)``; its loop runs in this process).
GATE_EVERY_S = 0.01
#: Short enough that the tests wait little for the server to act, long enough for a busy machine
#: to send a whole request in time.
SHORT_S = 0.5
SECRET = "s3cret-token"


def config_without_public_url(tmp_path: Path) -> dict[str, Any]:
    config = web_config(tmp_path)
    del config["web"]["public_url"]
    return config


@asynccontextmanager
async def hostile_server(
    tmp_path: Path,
    config: dict[str, Any] | None = None,
    *,
    limits: Limits | None = None,
    deliver: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    access_log: bool = False,
    access_log_details: bool = False,
) -> AsyncIterator[Served]:
    """Kooch's web app alone on 127.0.0.1 with ``limits``; a webhook (secret :data:`SECRET`)
    when ``deliver`` is given."""
    path = write_config(tmp_path / "config.yaml", config or web_config(tmp_path))
    loaded = load_config(path)
    store = await Store.open(loaded.sqlite_path)
    clicks = ClickLog(store, flush_interval=0.05)
    clicks.start()
    metrics = Metrics()
    holder = ConfigHolder(loaded, path)
    hook = Webhook(SECRET, deliver) if deliver is not None else None
    server = WebServer(
        WebState(holder, store, clicks, metrics, hook),
        "127.0.0.1",
        0,
        limits=limits,
        access_log=access_log,
        access_log_details=access_log_details,
    )
    await server.start()
    try:
        yield Served(server, store, clicks, metrics, holder)
    finally:
        await server.stop()
        await clicks.close()
        await store.close()


class Client:
    """One raw TCP connection to the server: what a browser, a scanner or an attacker sends."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self) -> tuple[int, dict[str, str], bytes]:
        """One whole response (status, lower-case headers, body by Content-Length)."""
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), HANG_GUARD_S)
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await asyncio.wait_for(self.reader.readexactly(length), HANG_GUARD_S)
        return int(lines[0].split()[1]), headers, body

    async def rest(self) -> bytes:
        """Everything until the server closes the connection. A server closing while the client
        still sends resets the connection: what arrived before the reset is kept."""
        received = b""
        async with asyncio.timeout(HANG_GUARD_S):
            while True:
                try:
                    chunk = await self.reader.read(65536)
                except ConnectionResetError:
                    return received
                if not chunk:
                    return received
                received += chunk

    async def dribble_until_closed(self, data: bytes, every_s: float = 0.05) -> tuple[bool, bytes]:
        """Send ``data`` a byte at a time until the server closes the connection; (whether it
        closed it before all of ``data`` was sent, what it sent back)."""

        async def dribble() -> None:
            with contextlib.suppress(ConnectionError):
                for i in range(len(data)):
                    self.writer.write(data[i : i + 1])
                    await self.writer.drain()
                    await asyncio.sleep(every_s)  # a slow client: the time between bytes is the attack

        sender = asyncio.create_task(dribble())
        received = await self.rest()
        still_sending = not sender.done()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
        return still_sending, received

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def get(
    path: str, host: str = "127.0.0.1", extra: dict[str, str] | None = None, close: bool = False
) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def fetch(port: int, path: str, **options: Any) -> tuple[int, dict[str, str], bytes]:
    """One GET on a fresh connection."""
    client = await Client.connect(port)
    try:
        await client.send(get(path, close=True, **options))
        return await client.response()
    finally:
        await client.close()
