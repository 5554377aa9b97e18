"""The log under garbage and clicks: one short line per malformed request (no traceback, no
address), and access log lines without the client's address or User-Agent unless asked for."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.hostile.kit import Client, fetch, hostile_server

#: What scanners, broken clients and attackers send to a public port.
MALFORMED = [
    ("nul-in-method", b"GE\x00T / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("unknown-version", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n"),
    ("request-line-too-long", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("header-too-long", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n"),
    ("too-many-headers", b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-n: 1\r\n" * 100 + b"\r\n"),
    ("space-in-header-name", b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n"),
    ("bad-content-length", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
    ("tls-hello-on-http", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40),
    (
        "after-a-good-request",
        b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nX\x00: y\r\n\r\n",
    ),
]

UNIQUE_AGENT = "Mozilla/5.0 (X11; Linux x86_64) UniqueAgent/7.7"
REFERER = "https://referrer.example/a-private-page"


@pytest.mark.parametrize("request_bytes", [m[1] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
async def test_a_malformed_request_gets_one_short_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, request_bytes: bytes
) -> None:
    caplog.set_level(logging.DEBUG, logger="kooch")
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    async with hostile_server(tmp_path, access_log=True) as web:
        client = await Client.connect(web.server.port)
        await client.send(request_bytes)
        answer = await client.rest()
        await client.close()
    assert b"HTTP/1.0 400 Bad Request" in answer
    lines = [r for r in caplog.records if r.name.startswith(("kooch.web", "aiohttp"))]
    malformed = [r for r in lines if r.name == "kooch.web.http"]
    assert len(malformed) == 1, [r.getMessage() for r in lines]
    record = malformed[0]
    message = record.getMessage()
    assert record.exc_info is None and record.exc_text is None
    assert message.startswith("malformed request: 400 ")
    assert "\n" not in message and len(message) <= 160
    assert "127.0.0.1" not in message
    assert record.levelno <= logging.WARNING
    # The pseudo-request aiohttp makes of the garbage never reaches the access log.
    assert all("UNKNOWN" not in r.getMessage() for r in lines if r.name == "kooch.web.access")


@pytest.mark.parametrize("details", [False, True], ids=["default", "access_log_details"])
async def test_the_access_log_keeps_no_address_and_no_user_agent_by_default(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, details: bool
) -> None:
    caplog.set_level(logging.INFO, logger="kooch.web.access")
    async with hostile_server(tmp_path, access_log=True, access_log_details=details) as web:
        for path in ("/go/soroush?c=demo&s=post", "/demo", "/nochannel"):
            await fetch(web.server.port, path, extra={"User-Agent": UNIQUE_AGENT, "Referer": REFERER})
    lines = [r.getMessage() for r in caplog.records if r.name == "kooch.web.access"]
    assert len(lines) == 3
    assert '"GET /go/soroush?c=demo&s=post" 302 ' in lines[0]
    assert '"GET /demo" 200 ' in lines[1] and '"GET /nochannel" 404 ' in lines[2]
    for line in lines:
        assert ("127.0.0.1" in line) is details
        assert (UNIQUE_AGENT in line) is details
        assert (REFERER in line) is details
