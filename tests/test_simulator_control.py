"""The simulator's control API as a benchmark in another process drives it (kooch/simulator/control.py):
users writing to the bot, the time to each reply, Telegram's flood control switched on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from kooch.simulator import BotAPISimulator
from kooch.simulator.control import ControlAPI, reply_latencies
from kooch.simulator.models import CallRecord


@pytest.fixture
async def control() -> AsyncIterator[tuple[BotAPISimulator, httpx.AsyncClient]]:
    sim = BotAPISimulator()
    sim.route_hooks.append(ControlAPI(sim).register)
    async with sim, httpx.AsyncClient(base_url=sim.url, timeout=30) as client:
        yield sim, client


async def call(client: httpx.AsyncClient, sim: BotAPISimulator, method: str, **params: Any) -> httpx.Response:
    return await client.post(f"/bot{sim.token}/{method}", json=params)


async def test_messages_reach_the_bot_and_replies_are_timed_from_each(
    control: tuple[BotAPISimulator, httpx.AsyncClient],
) -> None:
    sim, client = control
    written = (await client.post("/sim/messages", json={"text": "/start", "count": 3})).json()
    starters = written["user_ids"]
    assert len(set(starters)) == 3
    updates = (await call(client, sim, "getUpdates")).json()["result"]
    assert [u["message"]["text"] for u in updates] == ["/start"] * 3
    assert [u["message"]["chat"]["id"] for u in updates] == starters
    # The bot answers the first two; the third waits.
    for chat_id in starters[:2]:
        assert (await call(client, sim, "sendMessage", chat_id=chat_id, text="hi")).json()["ok"]
    again = await client.post("/sim/messages", json={"text": "/help", "user_ids": starters[:1]})
    assert again.json() == {"user_ids": starters[:1]}

    replies = (await client.get("/sim/replies")).json()["replies"]

    assert [(chat, text) for chat, text, _ in replies] == [
        (starters[0], "/start"),
        (starters[1], "/start"),
        (starters[2], "/start"),
        (starters[0], "/help"),
    ]
    seconds = [s for _, _, s in replies]
    assert seconds[0] is not None and seconds[0] >= 0
    assert seconds[1] is not None and seconds[1] >= 0
    assert seconds[2] is None  # not answered yet
    assert seconds[3] is None  # the reply to /start is not counted again for /help


async def test_rate_limits_switched_on_over_http_answer_429_above_telegrams_limits(
    control: tuple[BotAPISimulator, httpx.AsyncClient],
) -> None:
    sim, client = control
    user = sim.add_user("A", "en", started=True)
    assert (await call(client, sim, "sendMessage", chat_id=user.id, text="1")).json()["ok"]
    assert (await call(client, sim, "sendMessage", chat_id=user.id, text="2")).json()["ok"]

    assert (await client.post("/sim/rate-limits", json={})).json() == {"on": True}

    assert (await call(client, sim, "sendMessage", chat_id=user.id, text="3")).json()["ok"]
    refused = await call(client, sim, "sendMessage", chat_id=user.id, text="4")
    assert refused.status_code == 429
    assert refused.json()["parameters"]["retry_after"] >= 1
    assert sim.throttled_count == 1


async def test_taps_answer_who_tapped_so_the_same_users_can_tap_again(
    control: tuple[BotAPISimulator, httpx.AsyncClient],
) -> None:
    sim, client = control
    channel = sim.add_channel(username="kooch_demo")
    buttons = [[{"text": "moved", "callback_data": "ack:demo"}]]
    post = await client.post("/sim/posts", json={"chat_id": channel.id, "text": "Bye", "buttons": buttons})
    message_id = post.json()["message_id"]
    first = await client.post("/sim/taps", json={"chat_id": channel.id, "message_id": message_id, "count": 2})
    tappers = first.json()["user_ids"]
    again = await client.post(
        "/sim/taps", json={"chat_id": channel.id, "message_id": message_id, "user_ids": tappers}
    )
    assert again.json() == {"created": 2, "user_ids": tappers}
    assert [q.user_id for q in sim.callback_queries] == tappers + tappers


def sent(chat_id: int, at: float, method: str = "sendMessage", ok: bool = True) -> CallRecord:
    return CallRecord(method, {"chat_id": chat_id, "text": "x"}, ok, None if ok else 429, None, at)


def test_each_reply_is_matched_once_in_order_and_only_successful_sends_count() -> None:
    asked = [(1, "/stats", 10.0), (1, "/stats", 12.0), (2, "/start", 10.5), (1, "/help", 20.0)]
    calls = [
        sent(1, 9.0),  # before anything was asked: not a reply
        sent(1, 10.2),  # /stats at 10.0
        sent(1, 10.4, method="sendPhoto"),  # its chart: before the next /stats, not its reply
        sent(2, 10.6, ok=False),  # a 429 is no reply
        sent(1, 13.0),  # /stats at 12.0
        sent(2, 11.5),  # /start at 10.5
        sent(1, 19.0, method="answerCallbackQuery"),
    ]
    latencies = reply_latencies(asked, calls)
    assert latencies == [
        [1, "/stats", pytest.approx(0.2)],
        [2, "/start", pytest.approx(1.0)],
        [1, "/stats", pytest.approx(1.0)],
        [1, "/help", None],
    ]
