"""The Bot API transport under concurrency: PTB's httpx request against Kooch's aiohttp one.

    python -m bench.transport [--calls 20000] [--in-flight 512] [--pool 256]

The Bot API simulator runs as its own process (``python -m kooch.simulator``), so it and the
client do not share an event loop. Each transport sends ``--calls`` getMe calls through
``BaseRequest.post`` (what every Bot call goes through: the same JSON decoding for all), at most
``--in-flight`` at once over a pool of ``--pool`` connections, which is how a tap flood uses the
Application's Bot. Contenders, each in its own client process, on the same simulator:

1. httpx          — python-telegram-bot's HTTPXRequest (the default transport before);
2. httpx-aiohttp  — HTTPXRequest with the httpx-aiohttp package's aiohttp transport under httpx
                    (skipped when that package is not installed);
3. aiohttp        — kooch.telegram.transport.AiohttpRequest (what Kooch uses).

What bounds a figure is told from CPU time: the client's own (getrusage) and the simulator's
(/proc/<pid>/stat) against the wall time of the run; a side near 100 % of one core is the bound.
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kooch.testing.bench import again

ROOT = Path(__file__).resolve().parents[1]

TOKEN = "123456:BENCH"
CONTENDERS = ("httpx", "httpx-aiohttp", "aiohttp")


def make_request(kind: str, pool: int) -> Any:
    from telegram.request import HTTPXRequest

    from kooch.telegram.transport import AiohttpRequest

    if kind == "httpx":
        return HTTPXRequest(connection_pool_size=pool, pool_timeout=None)
    if kind == "httpx-aiohttp":
        import httpx
        from httpx_aiohttp import AiohttpTransport

        transport = AiohttpTransport(limits=httpx.Limits(max_connections=pool))
        return HTTPXRequest(
            connection_pool_size=pool, pool_timeout=None, httpx_kwargs={"transport": transport}
        )
    return AiohttpRequest(connection_pool_size=pool, pool_timeout=None)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run_client(kind: str, url: str, calls: int, in_flight: int, pool: int) -> dict[str, Any]:
    request = make_request(kind, pool)
    await request.initialize()
    endpoint = f"{url}/bot{TOKEN}/getMe"
    latencies: list[float] = []
    try:
        for _ in range(50):  # warm the pool's first connections
            await request.post(endpoint)
        gate = asyncio.Semaphore(in_flight)

        async def one() -> None:
            async with gate:
                started = time.perf_counter()
                await request.post(endpoint)
                latencies.append(time.perf_counter() - started)

        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(calls)))
        wall = time.perf_counter() - t0
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        await request.shutdown()
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {
        "kind": kind,
        "calls": len(latencies),
        "wall_s": wall,
        "per_s": len(latencies) / wall,
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "client_cpu_s": cpu,
    }


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def available(kind: str) -> bool:
    if kind != "httpx-aiohttp":
        return True
    try:
        import httpx_aiohttp  # noqa: F401
    except ImportError:
        return False
    return True


def bound(client_share: float, sim_share: float) -> str:
    if max(client_share, sim_share) < 0.8:
        return "neither process saturates a core: the shared cores (see the load average)"
    return "the client's CPU" if client_share >= sim_share else "the simulator's CPU"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--in-flight", type=int, default=512)
    parser.add_argument("--pool", type=int, default=256)
    parser.add_argument("--child", nargs=2, metavar=("KIND", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, url = args.child
        print(json.dumps(asyncio.run(run_client(kind, url, args.calls, args.in_flight, args.pool))))
        return

    sim = subprocess.Popen(
        [sys.executable, "-m", "kooch.simulator", "--port", "0", "--token", TOKEN],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout is not None
        line = sim.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise SystemExit(f"the simulator did not start: {line!r}")
        url = line.removeprefix("listening on ")
        print(
            f"transport: {args.calls:,} getMe calls, {args.in_flight} in flight, pool {args.pool}, "
            f"simulator in its own process at {url}; load average {os.getloadavg()[0]:.1f} on "
            f"{os.cpu_count()} cores"
        )
        results: dict[str, dict[str, Any]] = {}
        for kind in CONTENDERS:
            if not available(kind):
                print(
                    f"  {kind:<14} skipped (not installed: .venv/bin/pip install -r requirements-bench.txt)"
                )
                continue
            sim_cpu0 = process_cpu_s(sim.pid)
            out = subprocess.run(
                [
                    *again(__spec__, __file__),
                    "--calls",
                    str(args.calls),
                    "--in-flight",
                    str(args.in_flight),
                    "--pool",
                    str(args.pool),
                    "--child",
                    kind,
                    url,
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            r: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
            # The simulator's CPU over the whole child run includes the warm-up: a slight overcount.
            r["sim_cpu_s"] = process_cpu_s(sim.pid) - sim_cpu0
            r["bound"] = bound(r["client_cpu_s"] / r["wall_s"], min(1.0, r["sim_cpu_s"] / r["wall_s"]))
            results[kind] = r
            print(
                f"  {kind:<14} {r['per_s']:>8,.0f} calls/s   p50 {r['p50_ms']:>7.1f} ms   "
                f"p99 {r['p99_ms']:>7.1f} ms   client CPU {r['client_cpu_s'] / r['wall_s']:>4.0%}   "
                f"simulator CPU {r['sim_cpu_s'] / r['wall_s']:>4.0%}   bound: {r['bound']}"
            )
    finally:
        sim.terminate()
        sim.wait(timeout=30)

    base = results["httpx"]["per_s"]
    ratios = {kind: r["per_s"] / base for kind, r in results.items()}
    for kind, ratio in ratios.items():
        if kind != "httpx":
            print(f"{kind} / httpx = {ratio:.2f}")
    summary: dict[str, Any] = {
        "bench": "transport",
        "calls": args.calls,
        "in_flight": args.in_flight,
        "pool": args.pool,
        "load_average": round(os.getloadavg()[0], 1),
    }
    for kind, r in results.items():
        key = kind.replace("-", "_")
        summary[f"{key}_per_s"] = round(r["per_s"], 1)
        summary[f"{key}_p99_ms"] = round(r["p99_ms"], 1)
        summary[f"{key}_bound"] = r["bound"]
    for kind, ratio in ratios.items():
        if kind != "httpx":
            summary[f"{kind.replace('-', '_')}_vs_httpx"] = round(ratio, 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
