"""The simulator's webhook delivery, checked against a small aiohttp server standing in for the
bot (not Kooch): what Telegram's Bot API server guarantees a webhook, and what it does not.

The stand-in answers each request with whatever the test decides (a status, a reply body, or
waiting for the test's go-ahead), and records what arrived, when, and how many requests were
open at once.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiohttp import web

from kooch.simulator import BotAPISimulator, SimChat, SimUser, WebhookOptions
from kooch.simulator.control import _is_loopback
from kooch.simulator.webhook import SECRET_HEADER, reply_request
from tests.kit import eventually, free_port

TOKEN = "123456:TEST"
ROOT = Path(__file__).resolve().parent.parent
SECRET = "webhook-secret-0123456789"
FAST = WebhookOptions(retry_base=0.01, retry_max=0.05, request_timeout=10)

Reply = web.Response | None


@dataclass
class Arrival:
    update: dict[str, Any]
    secret: str | None
    peer_port: int
    answered: bool = False


@dataclass
class FakeBot:
    """The bot's webhook endpoint. ``respond`` decides each answer (None: 200, empty body)."""

    respond: Callable[[Arrival], Awaitable[Reply]] | None = None
    arrivals: list[Arrival] = field(default_factory=list)
    open_now: int = 0
    most_open: int = 0
    url: str = ""
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        arrival = Arrival(await request.json(), request.headers.get(SECRET_HEADER), peer[1] if peer else 0)
        self.arrivals.append(arrival)
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        await self._notify()
        try:
            reply = await self.respond(arrival) if self.respond is not None else None
        finally:
            self.open_now -= 1
            arrival.answered = True
            await self._notify()
        return reply if reply is not None else web.Response()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, condition: Callable[[], bool], what: str = "condition") -> None:
        """Wait (on the server's own events, never a sleep) until ``condition()`` holds."""
        try:
            async with asyncio.timeout(10), self._changed:
                await self._changed.wait_for(condition)
        except TimeoutError:
            raise AssertionError(f"{what} never happened; arrivals: {self.ids()}") from None

    def ids(self) -> list[int]:
        return [int(a.update["update_id"]) for a in self.arrivals]


@pytest_asyncio.fixture
async def bot_server() -> AsyncIterator[FakeBot]:
    fake = FakeBot()
    app = web.Application()
    app.router.add_post("/hook", fake.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}/hook"
    yield fake
    await runner.cleanup()


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[BotAPISimulator]:
    async with BotAPISimulator(token=TOKEN, deliver_webhooks=True, webhook_options=FAST) as simulator:
        yield simulator


@pytest.fixture
def channel(sim: BotAPISimulator) -> SimChat:
    return sim.add_channel(username="kooch_demo")


async def api(sim: BotAPISimulator, method: str, **params: Any) -> Any:
    async with httpx.AsyncClient(base_url=f"{sim.url}/bot{TOKEN}", timeout=10) as client:
        response = await client.post(f"/{method}", json=params)
    body = response.json()
    assert body["ok"], body
    return body["result"]


async def set_webhook(sim: BotAPISimulator, bot: FakeBot, max_connections: int = 40) -> None:
    await api(sim, "setWebhook", url=bot.url, secret_token=SECRET, max_connections=max_connections)


async def moved_post(sim: BotAPISimulator, channel: SimChat) -> int:
    markup = {"inline_keyboard": [[{"text": "I've moved", "callback_data": "moved"}]]}
    sent = await api(sim, "sendMessage", chat_id=channel.id, text="We moved", reply_markup=markup)
    return int(sent["message_id"])


async def tap(sim: BotAPISimulator, user: SimUser, channel: SimChat, message_id: int) -> str:
    return await sim.press_button(user, channel.id, message_id, "moved")


def answer_in_reply(text: str) -> Callable[[Arrival], Awaitable[Reply]]:
    async def respond(arrival: Arrival) -> Reply:
        query = arrival.update.get("callback_query")
        if query is None:
            return None
        body = {"method": "answerCallbackQuery", "callback_query_id": query["id"], "text": text}
        return web.json_response(body)

    return respond


async def test_updates_are_posted_with_the_secret_and_recorded_as_delivered(
    sim: BotAPISimulator, bot_server: FakeBot
) -> None:
    await set_webhook(sim, bot_server)
    user = sim.add_user("Sara", "fa")
    await sim.send_text(user, "/start")
    await bot_server.wait_for(lambda: len(bot_server.arrivals) == 1, "the update's POST")
    [arrival] = bot_server.arrivals
    assert arrival.secret == SECRET
    assert arrival.update["message"]["text"] == "/start"
    update_id = int(arrival.update["update_id"])
    await sim.wait_until(lambda: sim.webhook_deliveries[update_id].done, what="delivery")
    record = sim.webhook_deliveries[update_id]
    assert (record.status, record.kind, [a.status for a in record.attempts]) == (
        "delivered",
        "message",
        [200],
    )
    info = await api(sim, "getWebhookInfo")
    assert (info["url"], info["pending_update_count"], info["max_connections"]) == (bot_server.url, 0, 40)


async def test_a_users_next_update_waits_until_the_previous_one_was_answered(
    sim: BotAPISimulator, bot_server: FakeBot, channel: SimChat
) -> None:
    release_first = asyncio.Event()
    first_of_a: list[str] = []

    async def respond(arrival: Arrival) -> Reply:
        if arrival.update["callback_query"]["id"] in first_of_a:
            await release_first.wait()
        return None

    bot_server.respond = respond
    await set_webhook(sim, bot_server)
    post = await moved_post(sim, channel)
    a, b = sim.add_user("A", "en"), sim.add_user("B", "en")
    first_of_a.append(await tap(sim, a, channel, post))
    second_of_a = await tap(sim, a, channel, post)
    taps_of_b = [await tap(sim, b, channel, post) for _ in range(3)]

    def query_ids() -> list[str]:
        return [arrival.update["callback_query"]["id"] for arrival in bot_server.arrivals]

    # B's three taps, queued after A's second one, all get through while A's first is held...
    await bot_server.wait_for(lambda: taps_of_b[-1] in query_ids(), "B's last tap")
    await sim.wait_until(
        lambda: all(r.status == "delivered" for r in sim.webhook_deliveries.values() if r.queue[1] == b.id)
    )
    # ... but A's second one was not sent, since A's first has no answer yet.
    assert second_of_a not in query_ids()
    assert query_ids()[0] == first_of_a[0]

    release_first.set()
    await bot_server.wait_for(lambda: second_of_a in query_ids(), "A's second tap")
    records = {r.callback_query_id: r for r in sim.webhook_deliveries.values()}
    first, second = records[first_of_a[0]], records[second_of_a]
    await sim.wait_until(lambda: second.done, what="A's second delivery")
    assert first.finished_at is not None
    assert first.finished_at <= second.attempts[0].sent_at
    assert query_ids().index(second_of_a) > query_ids().index(taps_of_b[-1])


async def test_never_more_than_max_connections_requests_or_connections(
    sim: BotAPISimulator, bot_server: FakeBot, channel: SimChat
) -> None:
    go = asyncio.Event()

    async def respond(arrival: Arrival) -> Reply:
        await go.wait()
        return None

    bot_server.respond = respond
    await set_webhook(sim, bot_server, max_connections=3)
    post = await moved_post(sim, channel)
    for n in range(12):
        await tap(sim, sim.add_user(f"U{n}", "en"), channel, post)

    await bot_server.wait_for(lambda: bot_server.open_now == 3, "three open requests")
    sender = sim.webhook_sender
    assert sender is not None and sender.in_flight == 3
    assert len(bot_server.arrivals) == 3  # the fourth waits for a free connection
    go.set()
    await sim.wait_until(lambda: sum(r.done for r in sim.webhook_deliveries.values()) == 12)
    assert bot_server.most_open == 3
    # Keep-alive: twelve requests over at most three connections.
    assert len({arrival.peer_port for arrival in bot_server.arrivals}) <= 3


async def test_a_500_is_retried_until_the_bot_answers_2xx(
    sim: BotAPISimulator, bot_server: FakeBot, channel: SimChat
) -> None:
    async def respond(arrival: Arrival) -> Reply:
        if len(bot_server.arrivals) <= 2:
            return web.Response(status=500)
        return await answer_in_reply("Welcome")(arrival)

    bot_server.respond = respond
    await set_webhook(sim, bot_server)
    post = await moved_post(sim, channel)
    query_id = await tap(sim, sim.add_user("R", "en"), channel, post)

    answer = await sim.wait_for_answer(query_id, timeout=10)
    assert answer.text == "Welcome"
    [record] = sim.webhook_deliveries.values()
    await sim.wait_until(lambda: record.done)
    assert [a.status for a in record.attempts] == [500, 500, 200]
    assert record.status == "delivered"
    assert bot_server.ids() == [record.update_id] * 3
    info = await api(sim, "getWebhookInfo")
    assert info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"


async def test_an_update_that_expires_is_dropped_and_the_users_next_one_goes_out(
    bot_server: FakeBot,
) -> None:
    options = WebhookOptions(retry_base=0.02, retry_max=0.05, callback_expiry=0.3)
    async with BotAPISimulator(token=TOKEN, deliver_webhooks=True, webhook_options=options) as sim:
        channel = sim.add_channel(username="kooch_demo")
        failing = True

        async def respond(arrival: Arrival) -> Reply:
            return web.Response(status=502) if failing else None

        bot_server.respond = respond
        await set_webhook(sim, bot_server)
        post = await moved_post(sim, channel)
        user = sim.add_user("E", "en")
        await tap(sim, user, channel, post)
        [record] = sim.webhook_deliveries.values()
        await sim.wait_until(lambda: record.done, timeout=10, what="the drop")
        assert record.status == "expired"
        assert len(record.attempts) >= 2 and {a.status for a in record.attempts} == {502}
        assert sim.answers == []

        failing = False
        later = await tap(sim, user, channel, post)
        await bot_server.wait_for(
            lambda: any(a.update["callback_query"]["id"] == later and a.answered for a in bot_server.arrivals)
        )
        await sim.wait_until(lambda: sim.webhook_deliveries[max(sim.webhook_deliveries)].done)
        assert sim.webhook_deliveries[max(sim.webhook_deliveries)].status == "delivered"


async def test_a_method_in_the_reply_body_is_executed_and_logged_as_from_the_webhook(
    sim: BotAPISimulator, bot_server: FakeBot, channel: SimChat
) -> None:
    bot_server.respond = answer_in_reply("See you on the other side")
    await set_webhook(sim, bot_server)
    post = await moved_post(sim, channel)
    query_id = await tap(sim, sim.add_user("M", "en"), channel, post)

    answer = await sim.wait_for_answer(query_id, timeout=10)
    assert answer.text == "See you on the other side"
    assert answer.answered_monotonic is not None and answer.answered_monotonic >= answer.created_monotonic
    [call] = sim.calls_of("answerCallbackQuery")
    assert call.ok and call.from_webhook_reply
    assert call.params["callback_query_id"] == query_id
    assert not any(c.from_webhook_reply for c in sim.calls_of("sendMessage"))


async def test_get_and_webhook_methods_in_a_reply_are_ignored(
    sim: BotAPISimulator, bot_server: FakeBot, channel: SimChat
) -> None:
    ignored = [
        {"method": "getMe"},
        {"method": "GetWebhookInfo"},
        {"method": "deleteWebhook", "drop_pending_updates": True},
        {"method": "logOut"},
    ]

    async def respond(arrival: Arrival) -> Reply:
        if ignored:
            return web.json_response(ignored.pop(0))
        return await answer_in_reply("done")(arrival)

    bot_server.respond = respond
    await set_webhook(sim, bot_server)
    post = await moved_post(sim, channel)
    user = sim.add_user("G", "en")
    taps = [await tap(sim, user, channel, post) for _ in range(5)]

    # Replies are executed in order, so once the last tap is answered, the earlier replies
    # would have been logged had they been executed.
    await sim.wait_for_answer(taps[-1], timeout=10)
    assert [c.method for c in sim.calls if c.from_webhook_reply] == ["answerCallbackQuery"]
    assert sim.webhook_url == bot_server.url
    assert [sim.query(q).answered for q in taps] == [False] * 4 + [True]


async def test_a_reply_method_that_fails_is_logged_with_its_error(
    sim: BotAPISimulator, bot_server: FakeBot, channel: SimChat
) -> None:
    async def respond(arrival: Arrival) -> Reply:
        body = {"method": "sendMessage", "chat_id": 42, "text": "nobody there"}
        return web.Response(body=json.dumps(body), content_type="application/json")

    bot_server.respond = respond
    await set_webhook(sim, bot_server)
    await sim.send_text(sim.add_user("F", "en"), "/start")
    await sim.wait_until(lambda: bool(sim.calls_of("sendMessage")), what="the reply's sendMessage")
    call = sim.calls_of("sendMessage")[-1]
    assert (call.from_webhook_reply, call.ok, call.error_code) == (True, False, 400)


async def test_deleting_the_webhook_stops_delivery_and_returns_undelivered_updates(
    sim: BotAPISimulator, bot_server: FakeBot, channel: SimChat
) -> None:
    hold = asyncio.Event()

    async def respond(arrival: Arrival) -> Reply:
        await hold.wait()
        return None

    bot_server.respond = respond
    await set_webhook(sim, bot_server)
    async with httpx.AsyncClient(base_url=f"{sim.url}/bot{TOKEN}", timeout=10) as client:
        polled = await client.post("/getUpdates")
    assert polled.status_code == 409

    post = await moved_post(sim, channel)
    user = sim.add_user("D", "en")
    first, second = await tap(sim, user, channel, post), await tap(sim, user, channel, post)
    await bot_server.wait_for(lambda: len(bot_server.arrivals) == 1, "the first tap's POST")
    await api(sim, "deleteWebhook")
    hold.set()

    assert sim.webhook_sender is None
    assert {r.status for r in sim.webhook_deliveries.values()} == {"returned"}
    updates = await api(sim, "getUpdates")
    assert [u["callback_query"]["id"] for u in updates] == [first, second]
    # New updates are queued for getUpdates, not posted.
    await sim.send_text(user, "/start")
    assert len(await api(sim, "getUpdates")) == 3
    assert len(bot_server.arrivals) == 1


async def test_without_deliver_webhooks_a_webhook_is_only_stored(bot_server: FakeBot) -> None:
    async with BotAPISimulator(token=TOKEN) as sim:
        async with httpx.AsyncClient(base_url=f"{sim.url}/bot{TOKEN}", timeout=10) as client:
            plain = await client.post("/setWebhook", json={"url": bot_server.url})
        assert plain.status_code == 400  # https only, as on Telegram
        await api(sim, "setWebhook", url="https://bot.example/telegram-webhook")
        await sim.send_text(sim.add_user("S", "en"), "/start")
        assert sim.webhook_sender is None
        assert sim.pending_updates == 1
        assert sim.webhook_deliveries == {}


async def wait_until_serving(client: httpx.AsyncClient, process: asyncio.subprocess.Process) -> None:
    """Until the process answers /sim/stats (it has to import and bind first): another process,
    which nothing here hears from, so it is asked every 50 ms."""

    async def serving() -> bool:
        if process.returncode is not None:
            raise AssertionError(f"the simulator exited with {process.returncode}")
        try:
            return (await client.get("/sim/stats")).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(serving, "the simulator process serving", every=0.05)


@pytest.mark.slow
async def test_standalone_process_delivers_taps_and_reports_stats(
    bot_server: FakeBot, tmp_path: Path
) -> None:
    port = free_port()
    output = (tmp_path / "simulator.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kooch.simulator",
        "--port",
        str(port),
        "--token",
        TOKEN,
        "--retry-base",
        "0.01",
        cwd=ROOT,
        stdout=output,
        stderr=asyncio.subprocess.STDOUT,
    )
    bot_server.respond = answer_in_reply("moved")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            await wait_until_serving(client, process)
            hooked = await client.post(
                f"/bot{TOKEN}/setWebhook", json={"url": bot_server.url, "secret_token": SECRET}
            )
            assert hooked.json() == {"ok": True, "result": True}
            chat_id = (await client.post("/sim/channels", json={"username": "kooch_demo"})).json()["chat_id"]
            buttons = [[{"text": "I've moved", "callback_data": "moved"}]]
            post = await client.post(
                "/sim/posts", json={"chat_id": chat_id, "text": "Bye", "buttons": buttons}
            )
            message_id = post.json()["message_id"]
            taps = await client.post(
                "/sim/taps", json={"chat_id": chat_id, "message_id": message_id, "count": 20}
            )
            assert taps.json()["created"] == 20 and len(set(taps.json()["user_ids"])) == 20
            stats = (await client.get("/sim/stats", params={"wait_answered": 20, "timeout": 30})).json()
            refused = await client.post("/sim/taps", json={"chat_id": chat_id, "message_id": 999})
    finally:
        if process.returncode is None:
            process.terminate()
        returncode = await process.wait()
        output.close()
    log = (tmp_path / "simulator.log").read_text()
    assert stats["timed_out"] is False, stats
    assert stats["callback_queries"] == {"created": 20, "answered": 20, "answered_by_webhook_reply": 20}
    assert stats["webhook"]["statuses"] == {"delivered": 20}
    assert stats["answer_latency_seconds"]["count"] == 20
    assert stats["answer_latency_seconds"]["max"] >= stats["answer_latency_seconds"]["p50"] > 0
    assert refused.status_code == 400
    assert {a.secret for a in bot_server.arrivals} == {SECRET}
    assert f"listening on http://127.0.0.1:{port}" in log
    assert returncode == 0, log


def test_reply_bodies_are_read_like_telegram_reads_them() -> None:
    form = b"method=answerCallbackQuery&callback_query_id=7&text="
    assert reply_request(form, "application/x-www-form-urlencoded") == (
        "answerCallbackQuery",
        {"callback_query_id": "7", "text": ""},
    )
    assert reply_request(b'{"method": "sendMessage", "chat_id": 1}', "application/json") == (
        "sendMessage",
        {"chat_id": 1},
    )
    assert reply_request(b'{"method": "sendMessage"}', "text/plain") is None
    assert reply_request(b"[1]", "application/json") is None
    assert reply_request(b"{not json", "application/json") is None
    assert reply_request(b"", "application/json") is None
    assert reply_request(b'{"method": "getUpdates"}', "application/json") is None
    assert reply_request(b'{"method": "setWebhook", "url": ""}', "application/json") is None


def test_the_control_api_serves_loopback_peers_only() -> None:
    assert [_is_loopback(peer) for peer in ("127.0.0.1", "::1", "127.8.0.1")] == [True] * 3
    assert [_is_loopback(peer) for peer in ("10.0.0.2", "2001:db8::1", None, "nonsense")] == [False] * 4
