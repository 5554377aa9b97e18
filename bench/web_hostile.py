"""The landing page under a flood: what 1,000 concurrent ``GET /`` cost everything else on the
bot's event loop, with the pages rendered per request (as before the cache), with the cache, and
on a bare aiohttp server serving the same bytes (the baseline).

    python -m bench.web_hostile [--concurrency 1000] [--rounds 3]

Each mode runs its server in a fresh child process (one event loop, as in the bot); this process
is the load generator (raw sockets, one connection per request, ``Connection: close``). During
each flood, this process sends ``GET /healthz`` on a fresh connection every 20 ms, and the
server samples its own event-loop lag every 5 ms: how late a 5 ms sleep wakes up, which is how
long a subscriber's "I've moved" tap (answered on that same loop) waits before its handler runs.

Modes:

* ``bare``     — aiohttp with a handler returning the page's bytes from memory and a /healthz that
  reads nothing: the floor set by aiohttp and the machine (2 cores shared by server and client).
* ``uncached`` — Kooch's server with the page and its QR codes rendered on the event loop for every
  request, as before the page cache.
* ``cached``   — Kooch's server as it is: each page rendered once per config version, off the loop.

The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

LAG_EVERY_S = 0.005
PROBE_EVERY_S = 0.02
MODES = ("bare", "uncached", "cached")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def serve(mode: str, ready: Any, stop: Any) -> None:
    asyncio.run(_serve(mode, ready, stop))


async def _serve(mode: str, ready: Any, stop: Any) -> None:
    from aiohttp import web

    from kooch.config import load_config
    from kooch.config.holder import ConfigHolder
    from kooch.insight.clicks import ClickLog
    from kooch.metrics import Metrics
    from kooch.store import Store
    from kooch.testing.demo import base_config, write_config
    from kooch.web.cache import PageCache, PageKey
    from kooch.web.pages import qr_data_uri
    from kooch.web.server import WebServer, WebState

    class EveryRequest(PageCache):
        """The pages as before the cache: rendered on the event loop for every request."""

        async def page(self, version: str, key: PageKey, render: Callable[[], str]) -> bytes:
            self.renders += 1
            return render().encode()

        def qr(self, target: str) -> str:
            self.qr_renders += 1
            return qr_data_uri(target)

    tmp = Path(tempfile.mkdtemp(prefix="kooch-bench-"))
    config = base_config(tmp)
    config["web"] = {"listen": "127.0.0.1:0", "public_url": "https://kooch.example"}
    path = write_config(tmp / "config.yaml", config)
    loaded = load_config(path)
    store = await Store.open(loaded.sqlite_path)
    clicks = ClickLog(store)
    clicks.start()
    pages = EveryRequest() if mode == "uncached" else PageCache()
    state = WebState(ConfigHolder(loaded, path), store, clicks, Metrics(), pages=pages)
    server = WebServer(state, "127.0.0.1", 0, access_log=False)
    await server.start()
    port = server.port
    runner: web.AppRunner | None = None
    if mode == "bare":
        # The same page's bytes, from memory; the Kooch server above only rendered them.
        page = await _fetch_page(port)
        await server.stop()

        async def landing(request: web.Request) -> web.Response:
            return web.Response(body=page, content_type="text/html", charset="utf-8")

        async def healthz(request: web.Request) -> web.Response:
            return web.json_response({"status": "ok"})

        app = web.Application()
        app.router.add_get("/", landing)
        app.router.add_get("/healthz", healthz)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        # Kooch's backlog: the default 128 would drop connections of the burst, and the
        # retransmits (1 s) would measure the kernel, not the server.
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = int(runner.addresses[0][1])

    loop = asyncio.get_running_loop()
    lags: list[tuple[float, float]] = []

    async def sample_lag() -> None:
        while True:
            before = loop.time()
            await asyncio.sleep(LAG_EVERY_S)
            lags.append((before, loop.time() - before - LAG_EVERY_S))

    sampler = asyncio.create_task(sample_lag())
    ready.put(port)
    await asyncio.to_thread(stop.wait)
    sampler.cancel()
    if runner is not None:
        await runner.cleanup()
    else:
        await server.stop()
    await clicks.close()
    await store.close()
    ready.put({"lags": lags, "renders": pages.renders, "qr_renders": pages.qr_renders})


async def _fetch_page(port: int) -> bytes:
    status, body, _seconds = await get(port, "/")
    assert status == 200, status
    return body


async def get(port: int, path: str) -> tuple[int, bytes, float]:
    """One request on a fresh connection: status, body, seconds to the whole answer."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, body, time.monotonic() - started


async def flood(port: int, concurrency: int, rounds: int) -> dict[str, Any]:
    """``rounds`` times ``concurrency`` concurrent GET /, with /healthz probes meanwhile."""
    await get(port, "/")  # warm-up: the cached mode renders here, once
    await get(port, "/healthz")
    probes: list[asyncio.Task[tuple[int, bytes, float]]] = []
    flooding = True

    async def probe() -> None:
        # Open loop: a probe every 20 ms whether or not the last one was answered, as a
        # monitor or a subscriber's tap would arrive.
        while flooding:
            probes.append(asyncio.create_task(get(port, "/healthz")))
            await asyncio.sleep(PROBE_EVERY_S)

    prober = asyncio.create_task(probe())
    started = time.monotonic()
    statuses: dict[int, int] = {}
    failed = 0
    for _ in range(rounds):
        answers = await asyncio.gather(*(get(port, "/") for _ in range(concurrency)), return_exceptions=True)
        for answer in answers:
            if isinstance(answer, BaseException):
                failed += 1
            else:
                statuses[answer[0]] = statuses.get(answer[0], 0) + 1
    ended = time.monotonic()
    flooding = False
    await prober
    answered = [(status, seconds) for status, _body, seconds in await asyncio.gather(*probes)]
    return {"started": started, "ended": ended, "statuses": statuses, "failed": failed, "probes": answered}


def run_mode(mode: str, concurrency: int, rounds: int) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Queue()
    stop = ctx.Event()
    child = ctx.Process(target=serve, args=(mode, ready, stop), daemon=True)
    child.start()
    try:
        port = ready.get(timeout=60)
        result = asyncio.run(flood(port, concurrency, rounds))
    finally:
        stop.set()
    server = ready.get(timeout=60)
    child.join(30)
    # time.monotonic() is the same clock in both processes (CLOCK_MONOTONIC).
    lags = [lag for at, lag in server["lags"] if result["started"] <= at <= result["ended"]]
    healthz = [seconds for _status, seconds in result["probes"]]
    seconds = result["ended"] - result["started"]
    return {
        "flood_s": round(seconds, 3),
        "pages_per_s": round(concurrency * rounds / seconds, 1),
        "statuses": {str(k): v for k, v in sorted(result["statuses"].items())},
        "failed": result["failed"],
        "healthz_probes": len(healthz),
        "healthz_not_200": sum(1 for status, _s in result["probes"] if status != 200),
        "healthz_p50_ms": round(1000 * percentile(healthz, 0.5), 1),
        "healthz_p95_ms": round(1000 * percentile(healthz, 0.95), 1),
        "healthz_max_ms": round(1000 * max(healthz, default=float("nan")), 1),
        "loop_lag_p50_ms": round(1000 * percentile(lags, 0.5), 2),
        "loop_lag_p99_ms": round(1000 * percentile(lags, 0.99), 1),
        "loop_lag_max_ms": round(1000 * max(lags, default=float("nan")), 1),
        "renders": server["renders"],
        "qr_renders": server["qr_renders"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--concurrency", type=int, default=1000, help="concurrent GET / per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    figures = {mode: run_mode(mode, args.concurrency, args.rounds) for mode in MODES}
    for mode in MODES:
        f = figures[mode]
        print(f"{mode}:")
        print(
            f"  {args.rounds}×{args.concurrency} GET / in {f['flood_s']:.2f} s "
            f"({f['pages_per_s']:.0f}/s, {f['failed']} failed); "
            f"pages rendered {f['renders']}, QR codes drawn {f['qr_renders']}"
        )
        print(
            f"  /healthz meanwhile: p50 {f['healthz_p50_ms']:.1f} ms, p95 {f['healthz_p95_ms']:.1f} ms, "
            f"max {f['healthz_max_ms']:.1f} ms; {f['healthz_not_200']} of {f['healthz_probes']} not 200"
        )
        print(
            f"  event-loop lag (a tap's wait): p50 {f['loop_lag_p50_ms']:.2f} ms, "
            f"p99 {f['loop_lag_p99_ms']:.1f} ms, max {f['loop_lag_max_ms']:.1f} ms"
        )
    print(json.dumps({"concurrency": args.concurrency, "rounds": args.rounds, **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
