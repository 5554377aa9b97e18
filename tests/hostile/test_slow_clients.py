"""Slow clients are cut off: a connection gets a deadline for its request's headers (from its
start, or from its last response) and for the webhook's body, so no one holds a connection open
by sending slowly or not at all."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from kooch.web.limits import Limits
from tests.hostile.kit import GATE_EVERY_S, SECRET, SHORT_S, Client, fetch, get, hostile_server
from tests.kit import eventually

LIMITS = Limits(header_timeout=SHORT_S, body_timeout=SHORT_S, linger=SHORT_S)

#: Headers that never end: one more header line after another, about 30 s a byte at a time.
ENDLESS_HEADERS = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-a: b\r\n" * 75


async def silent(client: Client) -> tuple[bool, bytes]:
    return True, await client.rest()


async def slow_request_line(client: Client) -> tuple[bool, bytes]:
    return await client.dribble_until_closed(ENDLESS_HEADERS)


async def slow_headers_after_a_request(client: Client) -> tuple[bool, bytes]:
    await client.send(get("/healthz"))
    status, _headers, _body = await client.response()
    assert status == 200  # the first request was whole and fast: answered, kept alive
    return await client.dribble_until_closed(ENDLESS_HEADERS)


@pytest.mark.parametrize(
    "behaviour",
    [silent, slow_request_line, slow_headers_after_a_request],
    ids=["connects-and-sends-nothing", "headers-a-byte-at-a-time", "next-request-a-byte-at-a-time"],
)
async def test_a_connection_without_a_whole_request_in_time_is_closed(tmp_path: Path, behaviour: Any) -> None:
    async with hostile_server(tmp_path, limits=LIMITS) as web:
        client = await Client.connect(web.server.port)
        cut_while_sending, answer = await behaviour(client)
        assert cut_while_sending
        assert answer == b""  # closed, not answered: the request never became whole
        await client.close()
        await eventually(lambda: web.server.gate.open == 0, "every connection closed", every=GATE_EVERY_S)


async def test_a_slow_webhook_body_gets_408_and_the_connection_closes(tmp_path: Path) -> None:
    delivered: list[dict[str, Any]] = []

    async def deliver(update: dict[str, Any]) -> None:
        delivered.append(update)

    async with hostile_server(tmp_path, limits=LIMITS, deliver=deliver) as web:
        body = json.dumps({"update_id": 1, "padding": "x" * 2000}).encode()
        client = await Client.connect(web.server.port)
        await client.send(
            b"POST /telegram-webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        )
        cut_while_sending, answer = await client.dribble_until_closed(body)
        assert cut_while_sending
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert delivered == []
        await client.close()
        # The same update sent whole is delivered: the deadline is for slow bodies only.
        fast = await Client.connect(web.server.port)
        await fast.send(
            b"POST /telegram-webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        status, _headers, _body = await fast.response()
        assert status == 200
        assert [u["update_id"] for u in delivered] == [1]
        await fast.close()


async def test_fifty_slow_clients_are_all_cut_and_the_server_answers_meanwhile(tmp_path: Path) -> None:
    async with hostile_server(tmp_path, limits=LIMITS) as web:
        port = web.server.port
        clients = [await Client.connect(port) for _ in range(50)]
        slow = [asyncio.create_task(c.dribble_until_closed(ENDLESS_HEADERS)) for c in clients]
        status, _headers, _body = await fetch(port, "/healthz")
        assert status == 200
        results = await asyncio.gather(*slow)
        assert all(cut for cut, _answer in results)
        assert all(answer == b"" for _cut, answer in results)
        for c in clients:
            await c.close()
        await eventually(lambda: web.server.gate.open == 0, "every connection closed", every=GATE_EVERY_S)
