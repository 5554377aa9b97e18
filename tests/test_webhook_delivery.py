"""Webhook mode end to end, with the simulator delivering like Telegram's Bot API server: taps are
answered inside the webhook response (no call of their own), a 2xx only for what is stored or
spooled, and a SIGKILL mid-flood loses no tap the simulator got a 2xx for."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import signal
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from kooch.app.services import services_of
from kooch.simulator import BotAPISimulator, SimChat, SimUser, WebhookOptions
from kooch.telegram.webhook_intake import rides_in_reply
from tests.kit import (
    CHANNEL,
    OPERATOR_ID,
    announce,
    announce_via,
    base_config,
    free_port,
    running_bot,
    start_bot_process,
    write_config,
)
from tests.web_kit import running_web_bot

#: Quick retries, so that updates cut off by a kill reach the restarted bot soon.
FAST = WebhookOptions(retry_base=0.05, retry_max=0.5, request_timeout=30)


def webhook_config(tmp_path: Path, port: int, max_connections: int = 40) -> Path:
    config = base_config(tmp_path)
    config["web"] = {
        "listen": f"127.0.0.1:{port}",
        # http:// on loopback: what a telegram-bot-api server beside the bot calls.
        "public_url": f"http://127.0.0.1:{port}",
        "webhook": True,
        "max_connections": max_connections,
    }
    return write_config(tmp_path / "config.yaml", config)


def ack_users(db: Path) -> list[int]:
    with closing(sqlite3.connect(db)) as conn, conn:
        return [int(r[0]) for r in conn.execute("SELECT user_id FROM acks WHERE channel = 'demo'")]


def spooled_users(db: Path) -> set[int]:
    """The tapping users of the updates in the inbox (spooled, not yet handled)."""
    with closing(sqlite3.connect(db)) as conn, conn:
        bodies = [json.loads(r[0]) for r in conn.execute("SELECT body FROM inbox")]
    return {int(b["callback_query"]["from"]["id"]) for b in bodies if "callback_query" in b}


def delivered_tap_users(sim: BotAPISimulator) -> set[int]:
    """Users whose moved tap the simulator delivered with a 2xx answer."""
    return {
        sim.query(record.callback_query_id).user_id
        for record in list(sim.webhook_deliveries.values())
        if record.status == "delivered"
        and record.callback_query_id is not None
        and sim.query(record.callback_query_id).data == "ack:demo"
    }


def ack_answer_calls(sim: BotAPISimulator, *, from_reply: bool) -> list[Any]:
    ack_ids = {a.callback_query_id for a in sim.answers if a.data == "ack:demo"}
    return [
        c
        for c in sim.calls_of("answerCallbackQuery")
        if c.from_webhook_reply == from_reply and c.params.get("callback_query_id") in ack_ids
    ]


def test_only_methods_telegram_executes_from_a_response_ride_in_one() -> None:
    assert rides_in_reply("answerCallbackQuery") and rides_in_reply("sendMessage")
    for method in ("getMe", "getUpdates", "getWebhookInfo", "setWebhook", "deleteWebhook", "close", "logOut"):
        assert not rides_in_reply(method), method


async def test_taps_are_answered_in_the_webhook_response_with_no_call_of_their_own(tmp_path: Path) -> None:
    port = free_port()
    config = webhook_config(tmp_path, port)
    async with BotAPISimulator(deliver_webhooks=True, webhook_options=FAST) as sim:
        operator = sim.add_user("Operator", "en", user_id=OPERATOR_ID)
        channel = sim.add_channel(username=CHANNEL)
        async with running_bot(config, sim.token, sim.url) as app:
            assert services_of(app).webhook
            await announce(sim, operator)
            post = sim.messages(channel.id)[0].message_id
            users = [sim.add_user(f"W{i}", "fa") for i in range(200)]
            first = [await sim.press_button(u, channel.id, post, "ack:demo") for u in users]
            again = [await sim.press_button(u, channel.id, post, "ack:demo") for u in users[:20]]
            answers = [await sim.wait_for_answer(q, timeout=30) for q in first + again]
            # Something that is no tap still works, and its 200 came once it was handled.
            user = sim.add_user("Sara", "fa")
            sent = await sim.send_text(user, "/start")
            await sim.wait_for_message(user.id, after=sent.message_id, timeout=30)
        thanks, already = {a.text for a in answers[:200]}, {a.text for a in answers[200:]}
        outbound = ack_answer_calls(sim, from_reply=False)
        in_reply = ack_answer_calls(sim, from_reply=True)
        assert sim.calls_of("getUpdates") == []
    assert len(thanks) == 1 and len(already) == 1 and thanks != already
    assert outbound == [], f"{len(outbound)} taps were answered by a call of their own"
    assert len(in_reply) == 220
    assert sorted(ack_users(tmp_path / "kooch.db")) == sorted(u.id for u in users)


async def test_an_update_slower_than_the_patience_is_spooled_before_its_200_and_its_tap_answered_by_a_call(
    tmp_path: Path,
) -> None:
    """With no patience at all every update is spooled before its 200 and handled afterwards."""
    port = free_port()
    db = tmp_path / "kooch.db"
    async with BotAPISimulator(deliver_webhooks=True, webhook_options=FAST) as sim:
        operator = sim.add_user("Operator", "en", user_id=OPERATOR_ID)
        channel = sim.add_channel(username=CHANNEL)
        async with running_bot(webhook_config(tmp_path, port), sim.token, sim.url) as app:
            await announce(sim, operator)
            intake = services_of(app).webhook_intake
            assert intake is not None
            intake.patience = 0
            post = sim.messages(channel.id)[0].message_id
            users = [sim.add_user(f"Slow{i}", "fa") for i in range(20)]
            queries = [await sim.press_button(u, channel.id, post, "ack:demo") for u in users]
            answers = [await sim.wait_for_answer(q, timeout=30) for q in queries]
        outbound = ack_answer_calls(sim, from_reply=False)
        in_reply = ack_answer_calls(sim, from_reply=True)
        delivered = delivered_tap_users(sim)
    assert spooled_users(db) == set()  # dropped once handled (at the latest by the clean stop)
    assert all(a.answered and a.text for a in answers)
    assert len(outbound) == 20 and in_reply == []  # each missed its ride: answered by a call
    assert delivered == {u.id for u in users}
    assert sorted(ack_users(db)) == sorted(u.id for u in users)


@pytest.mark.slow
async def test_sigkill_mid_flood_in_webhook_mode_loses_no_tap_that_got_a_2xx(tmp_path: Path) -> None:
    """Kooch as a subprocess taking a flood by webhook is killed with SIGKILL, then restarted:
    every tap the simulator got a 2xx for is a row (or spooled, at the kill), none twice, and
    every tap the simulator saw answered is among the rows."""
    port = free_port()
    config = webhook_config(tmp_path, port, max_connections=100)
    db = tmp_path / "kooch.db"
    secret = "kill-test-secret"
    async with BotAPISimulator(deliver_webhooks=True, webhook_options=FAST, callback_deadline=120) as sim:
        operator = sim.add_user("Operator", "en", user_id=OPERATOR_ID)
        channel = sim.add_channel(username=CHANNEL)
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": sim.token,
            "TELEGRAM_API_URL": sim.url,
            "KOOCH_WEBHOOK_SECRET": secret,
        }

        start_bot = functools.partial(start_bot_process, config, env)

        proc = await start_bot()
        try:
            await announce_via(sim, operator, channel.id)
            post = sim.messages(channel.id)[0].message_id
            users = [sim.add_user(f"K{i}", "fa") for i in range(3000)]
            for user in users:
                await sim.press_button(user, channel.id, post, "ack:demo")
            await sim.wait_until(lambda: len(sim.answers) >= 500, timeout=120, what="some taps answered")
            proc.send_signal(signal.SIGKILL)
            await proc.wait()
            answered_before = {a.user_id for a in sim.answers if a.data == "ack:demo"}
            delivered_before = delivered_tap_users(sim)
            assert 0 < len(answered_before) < len(users), "the kill must land mid-flood"
            stored = ack_users(db)
            assert len(stored) == len(set(stored))
            # The 2xx came only after the commit (or the spool write): nothing is missing yet.
            missing = delivered_before - set(stored) - spooled_users(db)
            assert not missing, f"{len(missing)} taps got a 2xx but are neither stored nor spooled"
            assert answered_before <= set(stored), "an answered tap is not in the database"

            proc = await start_bot()  # same port, same secret: the simulator's retries reach it
            await sim.wait_until(
                lambda: len(ack_users(db)) == len(users), timeout=180, what="every tap stored"
            )
            await sim.wait_until(
                lambda: delivered_tap_users(sim) == {u.id for u in users}, timeout=60, what="all confirmed"
            )
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(proc.wait(), 30)
        answered = [a.user_id for a in sim.answers if a.data == "ack:demo"]
        delivered = delivered_tap_users(sim)
        set_webhook_calls = len(sim.calls_of("setWebhook"))
    assert proc.returncode == 0
    stored = ack_users(db)
    assert len(stored) == len(set(stored)), "a tap was stored twice"
    assert delivered_before <= delivered == set(stored), "a delivered tap is not stored"
    assert set(answered) <= set(stored), "an answered tap is missing from the database"
    assert spooled_users(db) == set(), "a clean stop leaves nothing to handle again"
    assert set_webhook_calls == 1, "the restart with the same secret set the webhook again"


async def test_what_a_crash_left_in_the_spool_is_handled_at_the_next_start_in_webhook_mode(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    """The simulator does not deliver here: the tap exists only in the spool, as a crash after
    its 200 (spooled, too slow) and before its commit leaves it."""
    db = tmp_path / "kooch.db"
    polling = write_config(tmp_path / "polling.yaml", base_config(tmp_path))
    async with running_bot(polling, sim.token, sim.url, poll_timeout=1):
        await announce(sim, operator)  # the post with the moved button
    post = sim.messages(channel.id)[0].message_id
    user = sim.add_user("Spooled", "fa")
    query_id = await sim.press_button(user, channel.id, post, "ack:demo")
    [update] = [u for _, u in sim._updates]
    sim._updates.clear()
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "INSERT INTO inbox (bot_id, update_id, body, spooled_at) VALUES (?, ?, ?, 0)",
            (sim.bot.id, update["update_id"], json.dumps(update)),
        )
    async with running_web_bot(sim, tmp_path, webhook=True, webhook_secret="s"):
        answer = await sim.wait_for_answer(query_id, timeout=30)
    assert answer.answered
    assert ack_users(db) == [user.id]
    assert spooled_users(db) == set()  # dropped once handled (at the latest by the clean stop)


async def test_an_update_that_can_be_neither_handled_nor_spooled_gets_503_and_comes_again(
    tmp_path: Path,
) -> None:
    port = free_port()
    db = tmp_path / "kooch.db"
    async with BotAPISimulator(deliver_webhooks=True, webhook_options=FAST) as sim:
        operator = sim.add_user("Operator", "en", user_id=OPERATOR_ID)
        channel = sim.add_channel(username=CHANNEL)
        async with running_bot(webhook_config(tmp_path, port), sim.token, sim.url) as app:
            await announce(sim, operator)
            services = services_of(app)
            assert services.webhook_intake is not None
            services.webhook_intake.patience = 0  # every update must be spooled before its 200
            await services.store._writer.execute("PRAGMA query_only = ON")  # and no write works
            post = sim.messages(channel.id)[0].message_id
            user = sim.add_user("Refused", "fa")
            query_id = await sim.press_button(user, channel.id, post, "ack:demo")
            record = next(r for r in sim.webhook_deliveries.values() if r.callback_query_id == query_id)
            await sim.wait_until(lambda: len(record.attempts) >= 3, timeout=30, what="three refusals")
            assert ack_users(db) == [] and record.status != "delivered"
            await services.store._writer.execute("PRAGMA query_only = OFF")
            await sim.wait_until(lambda: record.status == "delivered", timeout=30, what="delivered at last")
    # The bot stopped cleanly, so everything it took is handled: stored, the spool emptied.
    assert ack_users(db) == [user.id]
    assert spooled_users(db) == set()
    assert {a.status for a in record.attempts[:3]} == {503}
    assert record.attempts[-1].status == 200
