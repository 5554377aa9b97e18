"""Taps under a web attack: how long a subscriber's "I've moved" waits for its answer while the
bot's own HTTP server is flooded with landing-page loads or held by slowloris connections.

    python -m bench.taps_under_attack [--rate 100] [--seconds 10] [--pages 1000] [--slow 1000]

Four processes: the Bot API simulator (``python -m kooch.simulator``), the real bot (``bot.py``,
long polling the simulator, with its ``web:`` server on loopback), this process, which injects
taps through the simulator's control API at ``--rate`` per second, and a child process of its own
that runs the attack against the bot's web server (so the attack cannot slow the injection). The
latency is the simulator's: from the moment a tap exists to the moment ``answerCallbackQuery`` for
it arrives — what the subscriber sees.

Phases, each on a fresh simulator and bot:

* ``quiet``     — taps alone: the baseline, measured in the same run.
* ``bursts``    — taps while, every 2 s, ``--pages`` page loads start at once (1,000 people opening
  the landing page in the same instant), each on its own connection.
* ``landing``   — taps while ``--pages`` concurrent ``GET /`` run without pause (a new connection
  for each, as browsers arriving from the final post would).
* ``slowloris`` — taps while ``--slow`` connections send a request line and then one header byte
  a second, reconnecting whenever the server cuts them.

``--cores shared`` (the default) lets the four processes share the machine's 2 cores, so the
attacker competes with the bot for CPU, as it never would in production, where the attacker and
Telegram run elsewhere. ``--cores split`` pins the bot to core 0 and the simulator and the attacker
to core 1: the bot has one core of its own, as on a one-core server. Every figure is bounded by
that CPU. ``--via haproxy`` puts HAProxy, with the page cache of the shipped
``deploy/haproxy.cfg``, between the attacker and the bot, as a big channel deploys it (on core 1
with --cores split: it stands for the front machine). The last line is one JSON object with every
figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from kooch.testing.demo import base_config, write_config
from kooch.testing.haproxy import HAPROXY, haproxy_cache_front
from kooch.testing.ports import free_port

ROOT = Path(__file__).resolve().parent.parent

PHASES = ("quiet", "bursts", "landing", "slowloris")
#: Seconds between two bursts of ``--pages`` concurrent page loads in the ``bursts`` phase.
BURST_EVERY_S = 2.0
#: Taps are injected this often, in slices of rate × interval.
TAP_EVERY_S = 0.05
GOAL_P99_MS = 100.0


@dataclass
class Attack:
    """What the attacker did during one phase."""

    requests: int = 0
    answered_200: int = 0
    failed: int = 0
    cut: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


#: --cores split: the bot's core, and the one the simulator and this process (the attacker) share.
BOT_CORES = {0}
OTHER_CORES = {1}


def pinned(cores: set[int] | None) -> Callable[[], None] | None:
    """A preexec_fn pinning a child to ``cores`` (None: no pinning)."""
    if cores is None:
        return None
    return lambda: os.sched_setaffinity(0, cores)


@contextlib.asynccontextmanager
async def process(
    argv: list[str], env: dict[str, str], ready: str, cores: set[int] | None = None
) -> AsyncIterator[tuple[str, Any]]:
    """Start ``argv``; yield the first stdout line containing ``ready`` (and the process)."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        preexec_fn=pinned(cores),
    )
    try:
        assert proc.stdout is not None
        line = ""
        while ready not in line:
            raw = await asyncio.wait_for(proc.stdout.readline(), 60)
            if not raw:
                raise RuntimeError(f"{argv[1]} exited before {ready!r}")
            line = raw.decode()
        yield line.strip(), proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def wait_healthy(session: aiohttp.ClientSession, url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(url) as response:
                if response.status == 200:
                    return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} never answered 200")


async def get_page(port: int, attack: Attack) -> None:
    attack.requests += 1
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        await writer.drain()
        data = await reader.read()
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    except OSError:
        attack.failed += 1
        return
    head = data.split(b"\r\n", 1)[0].split(b" ")
    status = int(head[1]) if len(head) > 1 and head[1].isdigit() else 0
    attack.statuses[status] = attack.statuses.get(status, 0) + 1
    if status == 200:
        attack.answered_200 += 1


async def landing_flood(port: int, concurrency: int, attack: Attack, stop: asyncio.Event) -> None:
    async def worker() -> None:
        while not stop.is_set():
            await get_page(port, attack)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def landing_bursts(port: int, size: int, attack: Attack, stop: asyncio.Event) -> None:
    while not stop.is_set():
        started = time.monotonic()
        await asyncio.gather(*(get_page(port, attack) for _ in range(size)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, BURST_EVERY_S - (time.monotonic() - started)))


async def slowloris(port: int, connections: int, attack: Attack, stop: asyncio.Event) -> None:
    async def worker() -> None:
        while not stop.is_set():
            attack.requests += 1
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                attack.failed += 1
                await asyncio.sleep(0.2)
                continue
            try:
                writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                await writer.drain()
                while not stop.is_set():
                    writer.write(b"X")
                    await writer.drain()
                    # A byte a second, and notice at once when the server cuts the connection.
                    with contextlib.suppress(TimeoutError):
                        if not await asyncio.wait_for(reader.read(1024), 1.0):
                            break
                attack.cut += 0 if stop.is_set() else 1
            except OSError:
                attack.cut += 1
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

    await asyncio.gather(*(worker() for _ in range(connections)))


ATTACKS: dict[str, Callable[[int, int, Attack, asyncio.Event], Awaitable[None]]] = {
    "bursts": landing_bursts,
    "landing": landing_flood,
    "slowloris": slowloris,
}


def run_attacker(name: str, port: int, size: int, stop: Any, results: Any) -> None:
    """The attacker process: run attack ``name`` on ``port`` until ``stop`` is set, then put what
    it did on ``results``."""

    async def main() -> Attack:
        attack, stopping = Attack(), asyncio.Event()

        async def watch() -> None:
            # A multiprocessing Event has no awaitable side: polled.
            while not stop.is_set():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            stopping.set()

        await asyncio.gather(ATTACKS[name](port, size, attack, stopping), watch())
        return attack

    results.put(asdict(asyncio.run(main())))


async def run_phase(name: str, args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"kooch-attack-{name}-"))
    sim_port, web_port = free_port(), free_port()
    token = "123456:ATTACK"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "KOOCH_"))}
    sim_argv = [sys.executable, "-m", "kooch.simulator", "--port", str(sim_port), "--token", token]
    split = args.cores == "split"
    async with (
        process(sim_argv, env, "listening on", OTHER_CORES if split else None) as (line, _sim),
        aiohttp.ClientSession() as session,
        contextlib.AsyncExitStack() as stack,
    ):
        sim_url = line.split("listening on ", 1)[1]
        async with session.post(f"{sim_url}/sim/channels", json={"username": "kooch_demo"}) as r:
            chat_id = (await r.json())["chat_id"]
        buttons = [[{"text": "moved", "callback_data": "ack:demo"}]]
        async with session.post(f"{sim_url}/sim/posts", json={"chat_id": chat_id, "buttons": buttons}) as r:
            message_id = (await r.json())["message_id"]
        config = base_config(workdir)
        config["web"] = {"listen": f"127.0.0.1:{web_port}", "public_url": "https://kooch.example"}
        path = write_config(workdir / "config.yaml", config)
        bot_env = env | {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": sim_url}
        bot_argv = [sys.executable, "bot.py", "--config", str(path)]
        bot = await asyncio.create_subprocess_exec(
            *bot_argv,
            cwd=ROOT,
            env=bot_env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            preexec_fn=pinned(BOT_CORES if split else None),
        )
        try:
            await wait_healthy(session, f"http://127.0.0.1:{web_port}/healthz")
            target = web_port
            if args.via == "haproxy":
                assert HAPROXY is not None, "--via haproxy needs haproxy (apt-get install haproxy)"
                target = free_port()
                cfg = workdir / "haproxy.cfg"
                cfg.write_text(haproxy_cache_front(target, web_port), encoding="utf-8")
                await stack.enter_async_context(
                    process([HAPROXY, "-db", "-f", str(cfg)], env, "", OTHER_CORES if split else None)
                )
                await wait_healthy(session, f"http://127.0.0.1:{target}/healthz")
            attack = Attack()
            # The attacker is a process of its own, so that it cannot slow the taps' injection.
            spawn = multiprocessing.get_context("spawn")
            stop, results = spawn.Event(), spawn.Queue()
            attacker = None
            if name != "quiet":
                size = args.slow if name == "slowloris" else args.pages
                attacker = spawn.Process(target=run_attacker, args=(name, target, size, stop, results))
                attacker.start()
                await asyncio.sleep(1.0)  # let the attack reach its full strength first
            per_slice = max(1, round(args.rate * TAP_EVERY_S))
            created = 0
            started = time.monotonic()
            next_at = started
            while time.monotonic() - started < args.seconds:
                async with session.post(
                    f"{sim_url}/sim/taps",
                    json={"chat_id": chat_id, "message_id": message_id, "count": per_slice},
                ) as r:
                    created += (await r.json())["created"]
                next_at += TAP_EVERY_S
                await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            tapping_s = time.monotonic() - started
            async with session.get(
                f"{sim_url}/sim/stats", params={"wait_answered": created, "timeout": 60}
            ) as r:
                stats = await r.json()
            stop.set()
            if attacker is not None:
                attack = Attack(**await asyncio.to_thread(results.get, True, 60))
                await asyncio.to_thread(attacker.join, 60)
        finally:
            bot.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot.wait(), 60)
    latency = stats["answer_latency_seconds"]
    return {
        "taps": created,
        "taps_per_s": round(created / tapping_s, 1),
        "answered": stats["callback_queries"]["answered"],
        "p50_ms": round(1000 * latency.get("p50", float("nan")), 1),
        "p99_ms": round(1000 * latency.get("p99", float("nan")), 1),
        "max_ms": round(1000 * latency.get("max", float("nan")), 1),
        "attack_requests": attack.requests,
        "attack_200": attack.answered_200,
        "attack_failed": attack.failed,
        "attack_cut": attack.cut,
        "attack_statuses": {str(k): v for k, v in sorted(attack.statuses.items())},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=100, help="taps per second offered")
    parser.add_argument("--seconds", type=float, default=10, help="seconds of taps per phase")
    parser.add_argument("--pages", type=int, default=1000, help="concurrent GET / in the landing phase")
    parser.add_argument("--slow", type=int, default=1000, help="slowloris connections")
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES), help="quiet runs anyway")
    parser.add_argument(
        "--via",
        choices=("direct", "haproxy"),
        default="direct",
        help="direct: the attack hits the bot; haproxy: HAProxy with the shipped page cache in front",
    )
    parser.add_argument(
        "--cores",
        choices=("shared", "split"),
        default="shared",
        help="shared: all processes on both cores; split: the bot alone on core 0, the rest on core 1",
    )
    args = parser.parse_args()
    if args.cores == "split":
        if len(os.sched_getaffinity(0)) < 2:
            parser.error("--cores split needs two cores")
        os.sched_setaffinity(0, OTHER_CORES)
    phases = ["quiet", *(name for name in args.phases if name != "quiet")]
    figures = {name: asyncio.run(run_phase(name, args)) for name in phases}
    quiet = figures["quiet"]
    for name in phases:
        f = figures[name]
        ratio = f["p99_ms"] / quiet["p99_ms"] if quiet["p99_ms"] else float("nan")
        print(
            f"{name:9}: {f['taps']} taps at {f['taps_per_s']:.0f}/s, {f['answered']} answered; "
            f"answer p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms ({ratio:.2f} × quiet), "
            f"max {f['max_ms']:.1f} ms"
        )
        if name != "quiet":
            print(
                f"           attack: {f['attack_requests']} connections, {f['attack_200']} pages served, "
                f"{f['attack_cut']} cut by the server, {f['attack_failed']} refused; "
                f"statuses {f['attack_statuses']}"
            )
    worst = max(figures[name]["p99_ms"] for name in phases)
    print(
        f"goal: every phase's p99 ≤ {GOAL_P99_MS:.0f} ms — worst {worst:.1f} ms "
        f"({'met' if worst <= GOAL_P99_MS else 'NOT met'}); bounded by "
        + (
            "one core for the bot, the other shared by simulator and attacker"
            if args.cores == "split"
            else "the CPU of 2 cores shared by simulator, bot and attacker"
        )
    )
    print(
        json.dumps(
            {
                "rate": args.rate,
                "seconds": args.seconds,
                "pages": args.pages,
                "slow": args.slow,
                "cores": args.cores,
                "via": args.via,
                **figures,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
