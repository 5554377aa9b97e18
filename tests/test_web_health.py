"""/healthz and /metrics: what a monitor sees, and each app counting only its own."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from tests.kit import announce, eventually, press, say
from tests.web_kit import USER_AGENTS, running_web_bot, serving, web_config

UA = {name: ua for name, ua, _, _ in USER_AGENTS}


async def test_healthz_reports_the_config_the_database_and_the_last_update(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    async with running_web_bot(sim, tmp_path) as (app, web), httpx.AsyncClient(base_url=web.url) as client:
        before = (await client.get("/healthz")).json()
        await say(sim, operator, "/help")
        after = await client.get("/healthz")
        config_version = services_of(app).config.current.version
    assert before["status"] == "ok" and before["last_update_at"] is None
    assert after.status_code == 200
    body = after.json()
    assert body["status"] == "ok"
    assert body["config_version"] == config_version
    assert body["database"] == "reachable"
    assert body["mode"] == "polling"
    assert body["last_update_at"] is not None and body["last_update_at"].endswith("Z")


async def test_healthz_is_503_when_the_database_file_is_gone(tmp_path: Path) -> None:
    async with serving(web_config(tmp_path), tmp_path) as web, httpx.AsyncClient(base_url=web.url) as client:
        assert (await client.get("/healthz")).status_code == 200
        for suffix in ("", "-wal", "-shm"):
            await asyncio.to_thread(Path(f"{web.store.path}{suffix}").unlink, missing_ok=True)
        r = await client.get("/healthz")
    assert r.status_code == 503
    assert r.json()["status"] == "unavailable"
    assert "is gone" in r.json()["database"]


async def test_healthz_is_503_when_the_database_cannot_be_read(tmp_path: Path) -> None:
    async with serving(web_config(tmp_path), tmp_path) as web, httpx.AsyncClient(base_url=web.url) as client:
        await web.store._backend.close()  # as if the connections broke
        r = await client.get("/healthz")
        # The redirects keep working while the database is away.
        assert (await client.get("/go/gap?c=demo")).status_code == 302
    assert r.status_code == 503
    assert "cannot be read" in r.json()["database"]


async def test_metrics_count_updates_acks_clicks_errors_and_bot_api_calls(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    async with running_web_bot(sim, tmp_path) as (_app, web), httpx.AsyncClient(base_url=web.url) as client:
        await announce(sim, operator)
        post = sim.messages(channel.id)[0]
        await press(sim, sim.add_user("A", "fa"), channel.id, post, "ack:demo")
        await client.get("/go/soroush?c=demo&s=post", headers={"User-Agent": UA["android-chrome"]})
        await client.get("/go/soroush?c=demo&s=post", headers={"User-Agent": UA["ios-safari"]})
        await client.get("/go/soroush?c=demo&s=post", headers={"User-Agent": UA["telegram-link-preview"]})
        await client.post("/telegram-webhook", content=b"{}")  # not in webhook mode: 404, no error
        r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=")
    text = r.text
    for line in [
        'kooch_updates_total{type="message"}',
        'kooch_updates_total{type="callback_query"} 2.0',  # the confirm button and the tap
        'kooch_acknowledgements{channel="demo"} 1.0',
        'kooch_clicks_total{platform="android",service="soroush"} 1.0',
        'kooch_clicks_total{platform="ios",service="soroush"} 1.0',
        'kooch_bot_clicks_total{service="soroush"} 1.0',
        'kooch_bot_api_calls_total{method="sendMessage",status="200"}',
        # Every Bot Kooch makes is timed: the Application's, the sync engine's, the sender's.
        'kooch_bot_api_calls_total{method="getMe",status="200"} 3.0',
        'kooch_bot_api_latency_seconds_count{method="sendMessage"}',
        "kooch_last_update_timestamp_seconds ",
    ]:
        assert line in text, line
    assert 'platform="other",service="soroush"' not in text  # the preview is not a click


async def test_metrics_count_errors_by_kind(sim: BotAPISimulator, operator: SimUser, tmp_path: Path) -> None:
    async with running_web_bot(sim, tmp_path) as (app, web), httpx.AsyncClient(base_url=web.url) as client:
        sim.inject_fault("sendMessage", 1, error_code=400, description="Bad Request: boom")
        sent = await sim.send_text(operator, "/help")
        # The error handler tells the operator; the counting handler runs right after it.
        notice = await sim.wait_for_message(operator.id, after=sent.message_id, timeout=10)
        assert notice.text is not None and notice.text.startswith("⚠️ Kooch hit an error: BadRequest")
        # A counter tells nobody it moved: re-read at each simulator change and every 20 ms.
        await eventually(
            lambda: 'kooch_errors_total{kind="BadRequest"}' in _metrics_now(app),
            "the error counted",
            on=sim,
            every=0.02,
        )
        r = await client.get("/metrics")
    assert 'kooch_errors_total{kind="BadRequest"} 1.0' in r.text
    assert 'kooch_bot_api_calls_total{method="sendMessage",status="400"}' in r.text


def _metrics_now(app: App) -> str:
    from prometheus_client import generate_latest

    return generate_latest(services_of(app).metrics.registry).decode()


async def test_each_app_has_its_own_registry(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    async with (
        serving(web_config(tmp_path / "a"), tmp_path / "a") as a,
        serving(web_config(tmp_path / "b"), tmp_path / "b") as b,
        httpx.AsyncClient() as client,
    ):
        await client.get(f"{a.url}/go/gap?c=demo", headers={"User-Agent": UA["android-chrome"]})
        await asyncio.sleep(0)
        text_a = (await client.get(f"{a.url}/metrics")).text
        text_b = (await client.get(f"{b.url}/metrics")).text
    assert 'kooch_clicks_total{platform="android",service="gap"} 1.0' in text_a
    assert "kooch_clicks_total{" not in text_b


async def test_one_process_on_sqlite_reports_itself_the_leader(sim: BotAPISimulator, tmp_path: Path) -> None:
    async with running_web_bot(sim, tmp_path) as (app, web), httpx.AsyncClient(base_url=web.url) as client:
        health = (await client.get("/healthz")).json()
        metrics = (await client.get("/metrics")).text
        name = services_of(app).leadership.leader.name
    assert (health["replica"], health["role"], health["epoch"]) == (name, "leader", 1)
    assert f'kooch_replica_info{{replica="{name}",role="leader"}} 1.0' in metrics
    assert "kooch_leader_term 1.0" in metrics
