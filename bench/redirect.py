"""Redirect benchmark: requests/s for ``/go/<service>`` with click recording, beside the same server
answering a bare 302 without recording, in one run.

The server (Kooch's real aiohttp app, a real SQLite store with synchronous=FULL, the batched click
log) runs in a child process; the load generator is an aiohttp client with bounded concurrency on
loopback in this process. Bare and recording phases alternate, so drift hits both alike.

    python -m bench.redirect [--seconds 3] [--rounds 3] [--concurrency 32]

Goal: recording costs under 20 % of throughput (ratio = recording_rps / bare_rps > 0.8).
The last line is one JSON object with bare_rps, recording_rps, ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import sys
import tempfile
import time
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path

import aiohttp
from aiohttp import web

ANDROID_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.82 Mobile Safari/537.36"
)


def serve(ready: Queue[int], stop: Event) -> None:
    asyncio.run(_serve(ready, stop))


async def _serve(ready: Queue[int], stop: Event) -> None:
    from kooch.config import load_config
    from kooch.config.holder import ConfigHolder
    from kooch.insight.clicks import ClickLog
    from kooch.metrics import Metrics
    from kooch.store import Store
    from kooch.testing.demo import base_config, write_config
    from kooch.web.server import STATE, WebServer, WebState

    tmp = Path(tempfile.mkdtemp(prefix="kooch-bench-"))
    config = base_config(tmp)
    config["web"] = {"listen": "127.0.0.1:0", "public_url": "https://kooch.example"}
    path = write_config(tmp / "config.yaml", config)
    loaded = load_config(path)
    store = await Store.open(loaded.sqlite_path)
    clicks = ClickLog(store)
    clicks.start()
    server = WebServer(
        WebState(ConfigHolder(loaded, path), store, clicks, Metrics()), "127.0.0.1", 0, access_log=False
    )

    async def bare(request: web.Request) -> web.StreamResponse:
        """The same lookup of a configured target, and no recording: the baseline."""
        config = request.app[STATE].config.current
        channel = config.channel_by_key(request.query.get("c", ""))
        key = request.match_info["service"]
        service = next((s for s in config.services_for(channel) if s.key == key), None)
        if service is None:
            raise web.HTTPNotFound()
        return web.Response(status=302, headers={"Location": service.url, "Cache-Control": "no-store"})

    server.app.router.add_get("/bare/{service}", bare)
    await server.start()
    ready.put(server.port)
    await asyncio.to_thread(stop.wait)
    await server.stop()
    await clicks.close()
    ready.put(len(await clicks.all_clicks()))
    await store.close()


async def load(url: str, seconds: float, concurrency: int) -> int:
    """Requests completed in ``seconds`` by ``concurrency`` workers (each waits for its answer)."""
    done = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers={"User-Agent": ANDROID_UA}) as session:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with session.get(url, allow_redirects=False) as r:
                    assert r.status == 302, r.status
                    await r.read()
                done += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


async def run(port: int, seconds: float, rounds: int, concurrency: int) -> dict[str, float]:
    base = f"http://127.0.0.1:{port}"
    totals = {"bare": 0, "recording": 0}
    await load(f"{base}/bare/soroush", 0.5, concurrency)  # warm-up
    for _ in range(rounds):
        totals["bare"] += await load(f"{base}/bare/soroush?c=demo&s=post", seconds, concurrency)
        totals["recording"] += await load(f"{base}/go/soroush?c=demo&s=post", seconds, concurrency)
    elapsed = seconds * rounds
    return {
        "bare_rps": totals["bare"] / elapsed,
        "recording_rps": totals["recording"] / elapsed,
        "recording_requests": totals["recording"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each phase")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    ready: Queue[int] = ctx.Queue()
    stop = ctx.Event()
    child = ctx.Process(target=serve, args=(ready, stop), daemon=True)
    child.start()
    try:
        port = ready.get(timeout=30)
        figures = asyncio.run(run(port, args.seconds, args.rounds, args.concurrency))
    finally:
        stop.set()
    stored = ready.get(timeout=30)
    child.join(30)
    ratio = figures["recording_rps"] / figures["bare_rps"]
    print(f"bare 302 (no recording):  {figures['bare_rps']:8.0f} requests/s")
    print(f"/go with click recording: {figures['recording_rps']:8.0f} requests/s")
    print(f"ratio: {ratio:.3f} (recording costs {100 * (1 - ratio):.1f} % of throughput; goal < 20 %)")
    print(f"clicks stored: {stored} of {int(figures['recording_requests'])} recorded requests")
    result = {
        "bare_rps": round(figures["bare_rps"], 1),
        "recording_rps": round(figures["recording_rps"], 1),
        "ratio": round(ratio, 4),
        "clicks_stored": stored,
        "recording_requests": int(figures["recording_requests"]),
        "concurrency": args.concurrency,
        "seconds_per_phase": args.seconds,
        "rounds": args.rounds,
    }
    print(json.dumps(result))
    return 0 if stored == figures["recording_requests"] else 1


if __name__ == "__main__":
    sys.exit(main())
