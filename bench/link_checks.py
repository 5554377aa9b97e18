"""The link checks' cost: how long checking a big post's links takes, and what bounds it.

    python -m bench.link_checks [--links 40] [--delay-ms 200] [--hung 1] [--timeout-s 2]

A local aiohttp server answers every URL after --delay-ms (a slow destination across the
world). A post with ten services of four links each (--links 40) is checked:

1. ``concurrent`` — :func:`kooch.destinations.links.check_links`, as /announce and the periodic
   round do (CONCURRENCY URLs in flight). Bounded by: ceil(links / CONCURRENCY) × delay.
2. ``sequential`` — the same checker given one link at a time (the baseline, measured in the
   same run). Bounded by: links × delay.
3. ``with_hung`` — the concurrent check with --hung more URLs on a server that accepts and never
   answers, at a --timeout-s timeout: the preview waits for the slowest URL, so this is bounded
   by ceil((links + hung) / CONCURRENCY) × timeout at worst (hung URLs holding every slot), and
   by about one timeout when they fit in one round (10 s in the bot).

Figures are wall time of one run on a shared machine (2 cores): the load bounds them too. The
last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import socket
import time
from pathlib import Path

from aiohttp import web

from kooch.destinations.links import CONCURRENCY, Link, check_links

ROOT = Path(__file__).resolve().parents[1]


async def slow_site(delay: float) -> tuple[web.AppRunner, str]:
    async def answer(_request: web.Request) -> web.Response:
        await asyncio.sleep(delay)
        return web.Response(text="ok")

    app = web.Application()
    app.add_routes([web.get("/{name}", answer)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    site = web.SockSite(runner, sock)
    await site.start()
    return runner, f"http://127.0.0.1:{sock.getsockname()[1]}"


async def run(links: int, delay: float, hung: int, timeout: float) -> dict[str, float]:
    runner, root = await slow_site(delay)
    held: list[asyncio.StreamWriter] = []

    async def hold(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        held.append(w)

    silent = await asyncio.start_server(hold, "127.0.0.1", 0)
    silent_root = f"http://127.0.0.1:{silent.sockets[0].getsockname()[1]}"
    try:
        post = [Link(f"s{i // 4}", "url", f"{root}/{i}") for i in range(links)]
        started = time.perf_counter()
        results = await check_links(post, timeout=timeout)
        concurrent = time.perf_counter() - started
        assert all(r.verdict.ok for r in results), results

        started = time.perf_counter()
        for link in post:
            (one,) = await check_links([link], timeout=timeout)
            assert one.verdict.ok
        sequential = time.perf_counter() - started

        stuck = post + [Link(f"h{i}", "url", f"{silent_root}/{i}") for i in range(hung)]
        started = time.perf_counter()
        results = await check_links(stuck, timeout=timeout)
        with_hung = time.perf_counter() - started
        assert sum(not r.verdict.ok for r in results) == hung
    finally:
        for w in held:
            w.close()
        silent.close()
        await silent.wait_closed()
        await runner.cleanup()
    return {"concurrent_s": concurrent, "sequential_s": sequential, "with_hung_s": with_hung}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=40)
    parser.add_argument("--delay-ms", type=float, default=200)
    parser.add_argument("--hung", type=int, default=1)
    parser.add_argument("--timeout-s", type=float, default=2.0)
    args = parser.parse_args()
    delay = args.delay_ms / 1000
    figures = asyncio.run(run(args.links, delay, args.hung, args.timeout_s))
    bound_concurrent = math.ceil(args.links / CONCURRENCY) * delay
    bound_sequential = args.links * delay
    print(f"{args.links} links, each answering after {args.delay_ms:g} ms, {CONCURRENCY} in flight:")
    print(
        f"  concurrent  {figures['concurrent_s']:6.2f} s  (bound ceil({args.links}/{CONCURRENCY}) × delay "
        f"= {bound_concurrent:.2f} s)"
    )
    print(
        f"  sequential  {figures['sequential_s']:6.2f} s  "
        f"(bound {args.links} × delay = {bound_sequential:.2f} s)"
    )
    ratio = figures["sequential_s"] / figures["concurrent_s"]
    print(f"  sequential / concurrent = {ratio:.1f}×")
    print(
        f"  with {args.hung} never-answering URL(s), timeout {args.timeout_s:g} s: "
        f"{figures['with_hung_s']:.2f} s (bound ceil({args.links + args.hung}/{CONCURRENCY}) × timeout "
        f"= {math.ceil((args.links + args.hung) / CONCURRENCY) * args.timeout_s:.2f} s)"
    )
    print(
        json.dumps(
            {
                "links": args.links,
                "delay_s": delay,
                "concurrency": CONCURRENCY,
                **{k: round(v, 3) for k, v in figures.items()},
                "bound_concurrent_s": bound_concurrent,
                "bound_sequential_s": bound_sequential,
                "speedup": round(ratio, 2),
                "timeout_s": args.timeout_s,
            }
        )
    )


if __name__ == "__main__":
    main()
