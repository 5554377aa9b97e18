"""Scale out: taps stored per second through wrk at the webhook, one process on SQLite against
PostgreSQL with one, two and three replicas (two and three behind HAProxy), same run, same machine.

    python -m bench.scale [--seconds 10] [--connections 64] [--cores 2]

Every contender is real and separate: ``bot.py`` processes in webhook mode, ``haproxy``, a
throw-away PostgreSQL cluster (tests/pg.py; fsync off, as in the tests) and the Bot API simulator
(``python -m kooch.simulator``, only there for ``getMe`` and ``setWebhook``: wrk brings the taps,
distinct users, with the secret). Each figure counts taps *stored* (rows in ``acks``) per second
of load, and p99 is wrk's.

Where the CPU went: each process's user+system CPU seconds over the load (from /proc), summed per
role - the replicas, PostgreSQL (every process of the cluster's user), HAProxy - and divided by
the taps stored: CPU-seconds per tap for each role. This machine has few cores shared by wrk,
HAProxy, PostgreSQL and the replicas, so the replicas' figures here are bounded by the machine,
not by one Kooch process: ``busiest_replica_core_share`` says how much of one core the busiest
replica used (well under 1.0: no single Kooch process is the cap).

The model: on N machines with ``--cores`` cores each for replicas, and PostgreSQL on a machine of
its own with as many cores, throughput ≈ min(N × cores / replica_cpu_per_tap, cores /
db_cpu_per_tap) (HAProxy's cost per tap shown beside it, one more core in front). It ignores
network latency and PostgreSQL's locks; the per-tap costs are measured under contention (lower
on idle cores), and the test cluster runs with fsync off (a production server's commits cost it
more, and its disk may be the bound before its CPU): a figure to plan with, not a promise.

Beware the one unequal term: SQLite here commits with ``synchronous=FULL`` (an fsync per group
commit) while the test cluster has fsync off, so ``pg1_vs_sqlite1`` flatters PostgreSQL by what
its fsyncs would cost; on a real server, measure with the server's own settings.

The last line is one JSON object with every figure. ``--seconds 3`` checks that it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import pwd
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.e2e import WRK_LUA
from kooch.testing.pg import USER as PG_USER
from kooch.testing.pg import cluster
from kooch.testing.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:SCALE"
SECRET = "scale-bench-webhook-secret"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
TICKS = os.sysconf("SC_CLK_TCK")

CONFIG = """
operators: [4242]
storage: {{sqlite_path: {files}/kooch.db}}
channels: [{{chat: "@kooch_demo", key: demo, language: fa}}]
services: [{{key: soroush, name: {{fa: سروش, en: Soroush}}, url: "https://splus.ir/kooch_demo"}}]
link_checks: false
web: {{listen: "127.0.0.1:{port}", public_url: "http://127.0.0.1:{public_port}", webhook: true,
       max_connections: 100}}
"""

HAPROXY_CFG = """
global
    maxconn 4000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch
frontend webhook
    bind 127.0.0.1:{port}
    default_backend kooch
backend kooch
    balance roundrobin
    option httpchk GET /healthz
    default-server inter 1s fall 2 rise 1
{servers}
"""


async def wait_for(what: str, check: Callable[[], Awaitable[bool]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def pids_of_user(uid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if entry.stat().st_uid == uid:
                    found.append(int(entry.name))
    return found


def cpu_of_user(uid: int) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for pid in pids_of_user(uid)}


@contextlib.asynccontextmanager
async def process(*args: str, env: dict[str, str] | None = None) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await asyncio.create_subprocess_exec(
        *args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def stored(database: str | Path) -> int:
    if isinstance(database, Path):
        with contextlib.closing(sqlite3.connect(database, timeout=5)) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM acks").fetchone()[0])
    conn = await asyncpg.connect(database)
    try:
        return int(await conn.fetchval("SELECT COUNT(*) FROM acks"))
    finally:
        await conn.close()


async def run(
    name: str, replicas: int, database_url: str | None, sim_url: str, seconds: float, connections: int
) -> dict[str, Any]:
    """One contender under wrk: taps stored per second, p99, and CPU seconds per role."""
    work = Path(tempfile.mkdtemp(prefix=f"kooch-scale-{name}-"))
    ports = [free_port() for _ in range(replicas)]
    front = free_port() if replicas > 1 else ports[0]
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": sim_url, "KOOCH_WEBHOOK_SECRET": SECRET}
    env["KOOCH_LOG_LEVEL"] = "WARNING"
    env["KOOCH_PSEUDONYM_KEY"] = "scale-bench-pseudonym-key"
    if database_url is not None:
        env["KOOCH_DATABASE_URL"] = database_url
    script = work / "taps.lua"
    script.write_text(WRK_LUA.replace("SECRET", SECRET), encoding="utf-8")
    pg_uid = pwd.getpwnam(PG_USER).pw_uid if database_url is not None else None
    try:
        async with contextlib.AsyncExitStack() as stack:
            procs = []
            for i, port in enumerate(ports):
                files = work / f"r{i}"
                files.mkdir()
                config = files / "config.yaml"
                config.write_text(CONFIG.format(files=files, port=port, public_port=front), encoding="utf-8")
                procs.append(
                    await stack.enter_async_context(
                        process(sys.executable, "bot.py", "--config", str(config), env=env)
                    )
                )
            haproxy = None
            if replicas > 1:
                cfg = work / "haproxy.cfg"
                servers = "\n".join(f"    server r{i} 127.0.0.1:{p} check" for i, p in enumerate(ports))
                cfg.write_text(HAPROXY_CFG.format(port=front, servers=servers), encoding="utf-8")
                haproxy = await stack.enter_async_context(process(HAPROXY, "-db", "-f", str(cfg)))
            probe = await stack.enter_async_context(httpx.AsyncClient(timeout=5))

            async def up() -> bool:
                for proc in procs:
                    if proc.returncode is not None:
                        raise RuntimeError(f"{name}: a replica exited with {proc.returncode}")
                try:
                    for port in [*ports, front]:
                        if (await probe.get(f"http://127.0.0.1:{port}/healthz")).status_code != 200:
                            return False
                except httpx.TransportError:
                    return False
                return True

            await wait_for(f"{name} up", up, 180)
            database: str | Path = database_url if database_url is not None else work / "r0" / "kooch.db"
            before = await stored(database)
            cpu_before = {p.pid: cpu_seconds(p.pid) for p in procs}
            lb_before = cpu_seconds(haproxy.pid) if haproxy is not None else 0.0
            db_before = cpu_of_user(pg_uid) if pg_uid is not None else {}
            wrk_args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "-s", str(script)]
            out = await asyncio.to_thread(
                subprocess.run,
                [*wrk_args, f"http://127.0.0.1:{front}/telegram-webhook"],
                capture_output=True,
                text=True,
                check=True,
            )
            replica_cpu = [cpu_seconds(p.pid) - cpu_before[p.pid] for p in procs]
            lb_cpu = cpu_seconds(haproxy.pid) - lb_before if haproxy is not None else 0.0
            db_after = cpu_of_user(pg_uid) if pg_uid is not None else {}
            # Backends that started during the load count from zero; those that ended are lost
            # (the pools keep theirs open, so that is the odd one).
            db_cpu = sum(cpu - db_before.get(pid, 0.0) for pid, cpu in db_after.items())
            taps = await stored(database) - before
    finally:
        shutil.rmtree(work, ignore_errors=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("WRK "))
    requests, bad_status, socket_errors, p99_ms, duration = (float(v) for v in line.split()[1:])
    per_tap = 1.0 / max(taps, 1)
    return {
        "per_s": taps / duration,
        "p99_ms": p99_ms,
        "requests": requests,
        "non_2xx": bad_status,
        "socket_errors": socket_errors,
        "replica_cpu_s": [round(c, 2) for c in replica_cpu],
        "busiest_replica_core_share": max(replica_cpu) / duration,
        "db_cpu_s": db_cpu,
        "haproxy_cpu_s": lb_cpu,
        "replica_cpu_ms_per_tap": sum(replica_cpu) * per_tap * 1000,
        "db_cpu_ms_per_tap": db_cpu * per_tap * 1000,
        "haproxy_cpu_ms_per_tap": lb_cpu * per_tap * 1000,
    }


def model(replica_ms: float, db_ms: float, cores: int, machines: range) -> dict[str, dict[str, Any]]:
    """Taps/s on N machines of ``cores`` for replicas, PostgreSQL on one more of the same."""
    db_cap = cores / (db_ms / 1000) if db_ms > 0 else float("inf")
    out = {}
    for n in machines:
        replica_cap = n * cores / (replica_ms / 1000)
        out[str(n)] = {
            "taps_per_s": round(min(replica_cap, db_cap)),
            "bound": "replicas" if replica_cap < db_cap else "database",
        }
    return out


async def bench(seconds: float, connections: int, cores: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with cluster() as pg:
        admin = await asyncpg.connect(pg.url())
        try:
            for name in ("pg1", "pg2", "pg3"):
                await admin.execute(f"CREATE DATABASE {name}")
        finally:
            await admin.close()
        sim_port = free_port()
        sim_url = f"http://127.0.0.1:{sim_port}"
        sim_args = [sys.executable, "-m", "kooch.simulator", "--port", str(sim_port), "--token", TOKEN]
        async with process(*sim_args), httpx.AsyncClient(base_url=sim_url, timeout=30) as sim:

            async def sim_up() -> bool:
                try:
                    return (await sim.get("/sim/stats")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for("the simulator", sim_up, 60)
            figures["sqlite_1"] = await run("sqlite1", 1, None, sim_url, seconds, connections)
            for n in (1, 2, 3):
                figures[f"pg_{n}"] = await run(f"pg{n}", n, pg.url(f"pg{n}"), sim_url, seconds, connections)
    pg1, sqlite1 = figures["pg_1"], figures["sqlite_1"]
    replica_ms = pg1["replica_cpu_ms_per_tap"]
    db_ms = sum(figures[f"pg_{n}"]["db_cpu_ms_per_tap"] for n in (1, 2, 3)) / 3
    figures["pg1_vs_sqlite1"] = pg1["per_s"] / max(sqlite1["per_s"], 1e-9)
    figures["pg3_vs_pg1"] = figures["pg_3"]["per_s"] / max(pg1["per_s"], 1e-9)
    figures["model"] = {
        "cores_per_machine": cores,
        "replica_cpu_ms_per_tap": replica_ms,
        "db_cpu_ms_per_tap": db_ms,
        "haproxy_cpu_ms_per_tap": figures["pg_3"]["haproxy_cpu_ms_per_tap"],
        "machines": model(replica_ms, db_ms, cores, range(1, 9)),
    }
    figures["cpus_here"] = os.cpu_count()
    figures["seconds"] = seconds
    figures["connections"] = connections
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk's duration per contender")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--cores", type=int, default=2, help="cores per machine in the model")
    args = parser.parse_args()
    figures = asyncio.run(bench(args.seconds, args.connections, args.cores))
    for name in ("sqlite_1", "pg_1", "pg_2", "pg_3"):
        f = figures[name]
        print(
            f"{name:9} {f['per_s']:8.0f} taps/s stored  p99 {f['p99_ms']:7.1f} ms  "
            f"CPU ms/tap: replicas {f['replica_cpu_ms_per_tap']:.3f}, db {f['db_cpu_ms_per_tap']:.3f}, "
            f"haproxy {f['haproxy_cpu_ms_per_tap']:.3f}; "
            f"busiest replica {f['busiest_replica_core_share']:.2f} core"
            f"  (non-2xx {f['non_2xx']:.0f}, socket errors {f['socket_errors']:.0f})"
        )
    print(
        f"PostgreSQL 1 process / SQLite: {figures['pg1_vs_sqlite1']:.2f} (goal ≥ 0.7; "
        "the test cluster's fsync is off, SQLite's is on)"
    )
    print(f"PostgreSQL 3 replicas / 1: {figures['pg3_vs_pg1']:.2f} (on {figures['cpus_here']} shared cores)")
    for n, m in figures["model"]["machines"].items():
        print(
            f"model: {n} machine(s) × {args.cores} cores: ~{m['taps_per_s']} taps/s, "
            f"bound by the {m['bound']}"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
