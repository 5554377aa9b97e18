"""The page cache of the shipped ``deploy/haproxy.cfg``, run by a real HAProxy in front of Kooch's
web app: a crowd on the landing page is answered from HAProxy's memory (one request reaches Kooch),
while every redirect, health check and webhook call still reaches it (clicks stay counted)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.hostile.kit import fetch, hostile_server
from tests.kit import eventually, free_port, haproxy_cache_front, haproxy_or_skip


@contextlib.asynccontextmanager
async def haproxy_in_front(tmp_path: Path, web_port: int) -> AsyncIterator[int]:
    port = free_port()
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(haproxy_cache_front(port, web_port), encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        haproxy_or_skip(), "-db", "-f", str(cfg), stdout=asyncio.subprocess.DEVNULL
    )
    try:

        async def listening() -> bool:
            assert proc.returncode is None, "haproxy exited"
            try:
                _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                return False
            writer.close()
            return True

        # Another process: nothing here announces it listens, so it is asked every 50 ms.
        await eventually(listening, "haproxy listening", every=0.05)
        yield port
    finally:
        proc.terminate()
        await proc.wait()


def reached(caplog: pytest.LogCaptureFixture, request_line: str) -> int:
    """Requests with ``request_line`` that reached Kooch (its access log)."""
    return sum(
        1 for r in caplog.records if r.name == "kooch.web.access" and f'"{request_line}"' in r.getMessage()
    )


async def test_the_shipped_haproxy_cache_serves_the_landing_crowd_and_passes_every_click(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kooch.web.access")
    async with (
        hostile_server(tmp_path, access_log=True) as web,
        haproxy_in_front(tmp_path, web.server.port) as port,
    ):
        first = await fetch(port, "/")
        assert first[0] == 200 and b"<html" in first[2]
        crowd = await asyncio.gather(*(fetch(port, "/") for _ in range(50)))
        assert all(page == (200, page[1], first[2]) for page in crowd)  # the same page for all
        assert reached(caplog, "GET /") == 1
        # The other language is another page, fetched once too.
        for _ in range(3):
            assert (await fetch(port, "/?lang=en"))[0] == 200
        assert reached(caplog, "GET /?lang=en") == 1

        # Redirects are no-store: each one reaches Kooch and is counted as a click.
        for _ in range(5):
            status, headers, _body = await fetch(port, "/go/soroush")
            assert status == 302 and headers["location"].startswith("https://")
        assert reached(caplog, "GET /go/soroush") == 5
        for _ in range(3):
            assert (await fetch(port, "/healthz"))[0] == 200
        assert reached(caplog, "GET /healthz") == 3
