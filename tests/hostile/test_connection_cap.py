"""The connection cap holds: idle connections beyond it replace the longest idle one (so a flood
of idle sockets cannot lock anyone out, ``/healthz`` included), and when every connection is
inside a request a new one gets ``503`` at once. The cap sits below the open-file limit."""

from __future__ import annotations

import asyncio
import json
import logging
import resource
from pathlib import Path
from typing import Any

import pytest

from kooch.web.limits import CAP_CEILING, Limits, connection_cap, raise_open_file_limit
from tests.hostile.kit import GATE_EVERY_S, HANG_GUARD_S, SECRET, Client, fetch, get, hostile_server
from tests.kit import eventually

CAP = 4
#: Long: no connection of these tests may close by its deadline instead of by the cap.
LIMITS = Limits(max_connections=CAP, header_timeout=120.0)


async def test_idle_connections_beyond_the_cap_replace_the_longest_idle_ones(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="kooch.web.limits")
    async with hostile_server(tmp_path, limits=LIMITS) as web:
        gate = web.server.gate
        port = web.server.port
        idle: list[Client] = []
        for _ in range(CAP + 3):
            idle.append(await Client.connect(port))
            await eventually(lambda: gate.open + gate.evicted == len(idle), "counted", every=GATE_EVERY_S)
            assert gate.open == min(len(idle), CAP)
        evicted = len(idle) - CAP
        assert gate.evicted == evicted
        for client in idle[:evicted]:
            assert await client.rest() == b""  # closed by the server, unanswered
        # /healthz on a new connection gets in (one more idle one makes room) ...
        status, _headers, body = await fetch(port, "/healthz")
        assert status == 200 and json.loads(body)["status"] == "ok"
        assert gate.open <= CAP
        # ... and the newest idle ones were kept: they are answered.
        for client in idle[-(CAP - 1) :]:
            await client.send(get("/robots.txt"))
            assert (await client.response())[0] == 200
        for client in idle:
            await client.close()
        assert gate.refused == 0
        evicted_metric = web.metrics.registry.get_sample_value(
            "kooch_errors_total", {"kind": "web_connection_evicted"}
        )
        assert evicted_metric == gate.evicted
    # However often the cap is hit, one line (at most one a minute).
    cap_lines = [r for r in caplog.records if r.name == "kooch.web.limits"]
    assert len(cap_lines) == 1
    assert "cap of 4 connections" in cap_lines[0].getMessage()


async def test_when_every_connection_is_inside_a_request_a_new_one_gets_503(tmp_path: Path) -> None:
    release = asyncio.Event()
    started: list[int] = []
    all_inside = asyncio.Event()

    async def deliver(update: dict[str, Any]) -> None:
        started.append(update["update_id"])
        if len(started) == CAP:
            all_inside.set()
        await release.wait()

    async with hostile_server(tmp_path, limits=LIMITS, deliver=deliver) as web:
        port = web.server.port
        busy = []
        for update_id in range(CAP):
            client = await Client.connect(port)
            body = json.dumps({"update_id": update_id}).encode()
            await client.send(
                b"POST /telegram-webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            busy.append(client)
        await asyncio.wait_for(all_inside.wait(), HANG_GUARD_S)  # every connection inside a request
        refused = await Client.connect(port)
        status, headers, body = await refused.response()
        assert (status, headers["retry-after"], body) == (503, "1", b"busy\n")
        assert await refused.rest() == b""
        await refused.close()
        assert web.server.gate.refused == 1 and web.server.gate.evicted == 0
        release.set()
        for client in busy:
            assert (await client.response())[0] == 200
            await client.close()
        # Room again once the requests are answered.
        assert (await fetch(port, "/healthz"))[0] == 200


@pytest.mark.parametrize(
    ("soft", "max_connections", "cap"),
    [
        (1024, None, 819),  # 80 % of a container's usual limit: the rest stays the bot's
        (20000, None, CAP_CEILING),
        (10, None, 8),
        (1024, 3, 3),  # a cap given explicitly wins
    ],
)
def test_the_cap_is_a_share_of_the_open_file_limit(
    monkeypatch: pytest.MonkeyPatch, soft: int, max_connections: int | None, cap: int
) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda _kind: (soft, 1 << 20))
    assert connection_cap(Limits(max_connections=max_connections)) == cap


def test_the_soft_open_file_limit_is_raised_to_the_hard_one() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        if hard != resource.RLIM_INFINITY and soft > 64:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft - 1, hard))
        raised = raise_open_file_limit()
        now, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        assert raised == now
        if hard != resource.RLIM_INFINITY:
            assert now == hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def listen_overflows() -> int:
    """The kernel's count of connections dropped because a listen queue was full (Linux)."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=True):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split(), values.split(), strict=True))["ListenOverflows"])
    raise AssertionError("no TcpExt line in /proc/net/netstat")


async def test_a_burst_waits_in_the_kernels_full_backlog_while_it_is_accepted_in_slices(
    tmp_path: Path,
) -> None:
    # The server accepts ACCEPT_BATCH connections per wake-up; the kernel must still queue a whole
    # burst (the configured backlog), or connections would be dropped and retried a second later.
    async with hostile_server(tmp_path, limits=Limits(backlog=1024)) as web:
        before = listen_overflows()
        clients = await asyncio.gather(*(Client.connect(web.server.port) for _ in range(600)))
        statuses = await asyncio.gather(*(_ask_healthz(c) for c in clients))
        assert statuses == [200] * 600
        assert listen_overflows() == before


async def _ask_healthz(client: Client) -> int:
    try:
        await client.send(get("/healthz", close=True))
        status, _headers, _body = await client.response()
        return status
    finally:
        await client.close()
