"""Three replicas behind HAProxy over one PostgreSQL database, the simulator delivering by webhook,
every process real and separate: ``bot.py`` ×3, ``haproxy``, ``python -m kooch.simulator`` and the
test's PostgreSQL cluster.

- A flood of distinct taps with one replica killed (``kill -9``) in the middle: every tap the
  simulator got a 2xx for is stored, once (what was cut off is retried by the simulator and
  lands on a replica still alive).
- The leader killed in the middle of a campaign: another replica takes the leadership, recovers
  the send that was in flight and finishes the campaign; every recipient gets the reminder, at
  most one of them twice.

And the compose ``scale`` profile's pieces agree with each other (``deploy/haproxy.cfg`` valid).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml

from kooch.campaigns.model import Audience
from kooch.campaigns.store import CampaignStore
from kooch.store import Store
from kooch.subscribers.store import SubscriberStore
from tests.conftest import pg_database
from tests.kit import eventually, free_port, haproxy_or_skip
from tests.pg import Cluster

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456:REPLICAS"
SECRET = "replicas-shared-secret"
REPLICAS = 3
TAPS = 3000
RECIPIENTS = 150

CONFIG = """
operators: [{operator}]
storage: {{sqlite_path: {files}/kooch.db}}
channels: [{{chat: "@kooch_demo", key: demo, language: fa}}]
services: [{{key: soroush, name: {{fa: سروش, en: Soroush}}, url: "https://splus.ir/kooch_demo"}}]
campaigns: {{rate_per_s: 15, progress_every_s: 60}}
link_checks: false
web: {{listen: "127.0.0.1:{port}", public_url: "http://127.0.0.1:{public_port}", webhook: true,
       max_connections: 60}}
"""

#: Round robin over the replicas; a replica whose /healthz fails twice (0.3 s apart) is out, and a
#: request whose connection was refused goes to another one.
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
    http-check expect status 200
    default-server inter 300ms fall 2 rise 2
{servers}
"""


#: The replicas, the simulator and HAProxy are other processes: nothing in this one announces a
#: change in them, so what waits on them asks this often.
OTHER_PROCESS_S = 0.05


@dataclass
class Replica:
    name: str
    port: int
    proc: asyncio.subprocess.Process
    log: Path

    async def health(self, client: httpx.AsyncClient) -> dict[str, Any] | None:
        try:
            response = await client.get(f"http://127.0.0.1:{self.port}/healthz")
        except httpx.TransportError:
            return None
        body: dict[str, Any] = response.json()
        return body if response.status_code == 200 else None


@dataclass
class Deployment:
    sim: httpx.AsyncClient
    probe: httpx.AsyncClient
    store: Store
    channel: int
    post: int
    operator: int
    replicas: list[Replica] = field(default_factory=list)

    def alive(self) -> list[Replica]:
        return [r for r in self.replicas if r.proc.returncode is None]

    async def leader(self) -> Replica:
        found: list[Replica] = []

        async def one_leads() -> bool:
            found.clear()
            for replica in self.alive():
                health = await replica.health(self.probe)
                if health is not None and health["role"] == "leader":
                    found.append(replica)
            return len(found) == 1

        await eventually(one_leads, "one leader among the replicas", every=OTHER_PROCESS_S, guard_s=30)
        return found[0]

    def kill(self, replica: Replica) -> None:
        replica.proc.send_signal(signal.SIGKILL)

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = (await self.sim.get("/sim/stats")).json()
        return result

    async def sent(self) -> dict[int, int]:
        per_chat = (await self.sim.get("/sim/sent", params={"method": "sendMessage"})).json()["per_chat"]
        return {int(chat): int(n) for chat, n in per_chat.items() if chat != str(self.operator)}

    def logs(self) -> str:
        return "\n".join(f"--- {r.name}\n{r.log.read_text(errors='replace')[-3000:]}" for r in self.replicas)


@contextlib.asynccontextmanager
async def process(
    *args: str, log: Path, env: dict[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            *args, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT
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


@pytest.fixture
async def deployment(postgresql: Cluster, tmp_path: Path) -> AsyncIterator[Deployment]:
    haproxy = haproxy_or_skip()
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(pg_database(postgresql))
        sim_port, public_port = free_port(), free_port()
        sim_url = f"http://127.0.0.1:{sim_port}"
        sim_args = ["--port", str(sim_port), "--token", TOKEN, "--callback-deadline", "600"]
        await stack.enter_async_context(
            process(
                sys.executable,
                "-m",
                "kooch.simulator",
                *sim_args,
                "--retry-base",
                "0.2",
                log=tmp_path / "sim.log",
            )
        )
        sim = await stack.enter_async_context(httpx.AsyncClient(base_url=sim_url, timeout=120))
        probe = await stack.enter_async_context(httpx.AsyncClient(timeout=5))

        async def sim_up() -> bool:
            try:
                return (await sim.get("/sim/stats")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(sim_up, "the simulator", every=OTHER_PROCESS_S, guard_s=60)
        channel = (await sim.post("/sim/channels", json={"username": "kooch_demo"})).json()["chat_id"]
        buttons = [[{"text": "✅", "callback_data": "ack:demo"}]]
        body = {"chat_id": channel, "text": "moved", "buttons": buttons}
        post = (await sim.post("/sim/posts", json=body)).json()["message_id"]
        operator = (await sim.post("/sim/users", json={"count": 1, "started": True})).json()["user_ids"][0]

        store = await Store.open_postgresql(url, tmp_path)
        stack.push_async_callback(store.close)
        deployment = Deployment(sim, probe, store, int(channel), int(post), int(operator))

        ports = [free_port() for _ in range(REPLICAS)]
        servers = "\n".join(f"    server r{i} 127.0.0.1:{p} check" for i, p in enumerate(ports))
        haproxy_cfg = tmp_path / "haproxy.cfg"
        haproxy_cfg.write_text(HAPROXY_CFG.format(port=public_port, servers=servers), encoding="utf-8")
        checked = await asyncio.to_thread(
            subprocess.run, [haproxy, "-c", "-f", str(haproxy_cfg)], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        await stack.enter_async_context(
            process(haproxy, "-db", "-f", str(haproxy_cfg), log=tmp_path / "haproxy.log")
        )

        env = {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": sim_url,
            "KOOCH_WEBHOOK_SECRET": SECRET,
            "KOOCH_DATABASE_URL": url,
            "KOOCH_LOG_LEVEL": "INFO",
        }
        for i, port in enumerate(ports):
            files = tmp_path / f"r{i}"
            files.mkdir()
            # The same config but for the port each listens on (three replicas on one machine).
            config = files / "config.yaml"
            text = CONFIG.format(operator=operator, files=files, port=port, public_port=public_port)
            config.write_text(text, encoding="utf-8")
            log = files / "bot.log"
            proc = await stack.enter_async_context(
                process(sys.executable, "bot.py", "--config", str(config), log=log, env=env)
            )
            deployment.replicas.append(Replica(f"r{i}", port, proc, log))

        async def all_up() -> bool:
            for replica in deployment.replicas:
                if replica.proc.returncode is not None:
                    raise AssertionError(f"{replica.name} exited:\n{deployment.logs()}")
            healths = [await r.health(probe) for r in deployment.replicas]
            webhook = (await deployment.stats())["webhook"]["url"]
            return all(h is not None for h in healths) and bool(webhook)

        await eventually(all_up, "three replicas up and the webhook set", every=OTHER_PROCESS_S, guard_s=120)
        try:
            yield deployment
        except BaseException:
            print(deployment.logs())
            raise


async def stored_taps(store: Store) -> list[int]:
    return [
        int(r[0]) for r in await store.reader.fetch("SELECT user_id FROM acks WHERE channel = ?", ("demo",))
    ]


@pytest.mark.slow
async def test_a_replica_killed_mid_flood_loses_no_tap(deployment: Deployment) -> None:
    d = deployment
    leader = await d.leader()
    assert (await leader.health(d.probe) or {})["epoch"] == 1
    followers = [r for r in d.replicas if r is not leader]
    roles = [(await r.health(d.probe) or {}).get("role") for r in followers]
    assert roles == ["follower", "follower"]
    await d.sim.post("/sim/taps", json={"chat_id": d.channel, "message_id": d.post, "count": TAPS})

    async def a_third_in() -> bool:
        return len(await stored_taps(d.store)) >= TAPS // 3

    await eventually(a_third_in, "a third of the taps stored", every=OTHER_PROCESS_S, guard_s=180)
    victim = followers[0]
    d.kill(victim)
    await victim.proc.wait()

    async def all_delivered() -> bool:
        statuses = (await d.stats())["webhook"]["statuses"]
        return int(statuses.get("delivered", 0)) + int(statuses.get("expired", 0)) >= TAPS

    await eventually(all_delivered, "every tap delivered", every=OTHER_PROCESS_S, guard_s=600)
    delivered = (await d.sim.get("/sim/delivered")).json()["user_ids"]
    stored = await stored_taps(d.store)
    assert len(delivered) == TAPS  # none dropped: every cut-off delivery was retried to a live replica
    assert len(stored) == len(set(stored))
    assert set(delivered) <= set(stored), f"{len(set(delivered) - set(stored))} acknowledged taps not stored"
    assert len(stored) == TAPS
    # The survivors answered the rest, the victim's share cut off in the middle.
    assert (await d.stats())["webhook"]["attempts"] >= TAPS


@pytest.mark.slow
async def test_the_leader_killed_mid_campaign_the_campaign_completes_elsewhere(
    deployment: Deployment,
) -> None:
    d = deployment
    users = (await d.sim.post("/sim/users", json={"count": RECIPIENTS, "started": True})).json()["user_ids"]
    subscribers = SubscriberStore(d.store)
    for user_id in users:
        await subscribers.record_start(user_id, "fa", None)
    campaigns = CampaignStore(d.store)
    # Queued as /remind's confirm button queues it, through whichever replica answered it: a row.
    campaign = await campaigns.create({"fa": "یادآوری"}, Audience("all"), d.operator)
    leader = await d.leader()

    async def under_way() -> bool:
        return sum((await d.sent()).values()) >= RECIPIENTS // 4

    await eventually(under_way, "a quarter of the campaign sent", every=OTHER_PROCESS_S, guard_s=180)
    sending = f"campaign #{campaign}: sending to"
    # Only the leader sends (the followers' senders never started): its log alone says so.
    assert [r.name for r in d.replicas if sending in r.log.read_text(errors="replace")] == [leader.name]
    d.kill(leader)
    await leader.proc.wait()
    successor = await d.leader()
    assert successor is not leader
    assert ((await successor.health(d.probe)) or {})["epoch"] == 2
    metrics = (await d.probe.get(f"http://127.0.0.1:{successor.port}/metrics")).text
    # The info metric is 1 (a join keeps the values it is multiplied with); the term is its own.
    assert 'role="leader"} 1.0' in metrics and "\nkooch_leader_term 2.0\n" in metrics
    (follower,) = [r for r in d.replicas if r not in (leader, successor)]
    metrics = (await d.probe.get(f"http://127.0.0.1:{follower.port}/metrics")).text
    assert 'role="follower"} 1.0' in metrics and "\nkooch_leader_term 0.0\n" in metrics

    async def done() -> bool:
        info = await campaigns.get(campaign)
        return info is not None and info.state == "done"

    await eventually(done, "the campaign done", every=OTHER_PROCESS_S, guard_s=300)
    resumed = [r.name for r in d.replicas if sending in r.log.read_text(errors="replace")]
    assert sorted(resumed) == sorted([leader.name, successor.name])
    sent = await d.sent()
    assert set(sent) == set(users), f"{len(set(users) - set(sent))} recipients never got the reminder"
    duplicates = sum(n - 1 for n in sent.values())
    assert duplicates <= 1, f"{duplicates} recipients got it twice"
    info = await campaigns.get(campaign)
    assert info is not None and info.resent <= 1
    conn = await asyncpg.connect(d.store.url or "")
    try:
        states = dict(
            await conn.fetch(
                "SELECT state, COUNT(*) FROM campaign_recipients WHERE campaign_id = $1 GROUP BY state",
                campaign,
            )
        )
    finally:
        await conn.close()
    assert states == {"sent": RECIPIENTS}


def test_the_shipped_haproxy_config_is_valid_and_names_the_compose_replicas() -> None:
    cfg = ROOT / "deploy" / "haproxy.cfg"
    checked = subprocess.run([haproxy_or_skip(), "-c", "-f", str(cfg)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    replicas = sorted(name for name in services if name.startswith("kooch-"))
    servers = [line.split()[1] for line in cfg.read_text().splitlines() if line.strip().startswith("server ")]
    assert servers == replicas == ["kooch-1", "kooch-2", "kooch-3"]
    first = services["kooch-1"]
    for name in replicas:
        # One image, config and environment for all (the YAML anchor); all in the profile.
        assert services[name] == first
        assert services[name]["profiles"] == ["scale"]
    for variable in (
        "KOOCH_DATABASE_URL",
        "KOOCH_WEBHOOK_SECRET",
        "KOOCH_PSEUDONYM_KEY",
        "TELEGRAM_BOT_TOKEN",
    ):
        assert variable in first["environment"]
    assert "@postgres/" in first["environment"]["KOOCH_DATABASE_URL"]
    assert services["postgres"]["image"] == "postgres:15"
    assert "./deploy/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in services["haproxy"]["volumes"]
    assert "profiles" not in services["kooch"]  # `docker compose up` still runs the one-process bot
