"""The rate limiter: Telegram's 30 calls a second, never more in any second, operators' calls
handed the next slot ahead of the crowd's; a 429 is waited out and retried; taps and reading
calls take no slot."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter

from kooch.app.runner import App
from kooch.simulator import BotAPISimulator, SimUser
from kooch.telegram.ratelimit import KoochRateLimiter, SendSlots, urgent
from tests.kit import say


async def test_an_urgent_caller_gets_the_next_free_slot_before_those_waiting_longer() -> None:
    slots = SendSlots(limit=1, period=0.01)
    granted: list[str] = []
    release = asyncio.Event()

    async def call(name: str, urgent: bool = False) -> None:
        async with slots.slot(urgent):
            granted.append(name)
            if name == "first":
                await release.wait()

    first = asyncio.create_task(call("first"))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(call(f"s{i}")) for i in range(3)]
    await asyncio.sleep(0)
    operator = asyncio.create_task(call("operator", urgent=True))
    await asyncio.sleep(0)
    assert (slots.waiting(False), slots.waiting(True)) == (3, 1)
    release.set()
    await asyncio.wait_for(asyncio.gather(first, operator, *waiting), 10)
    assert granted == ["first", "operator", "s0", "s1", "s2"]


async def test_no_window_of_the_period_holds_more_calls_than_the_limit() -> None:
    limit, period = 3, 0.05
    slots = SendSlots(limit, period)
    loop = asyncio.get_running_loop()
    spans: list[tuple[float, float]] = []

    async def call(i: int) -> None:
        async with slots.slot(urgent=i % 4 == 0):
            start = loop.time()
            await asyncio.sleep(0.001 * (i % 3))  # work that takes time in the slot: the spans must overlap
            spans.append((start, loop.time()))

    await asyncio.wait_for(asyncio.gather(*(call(i) for i in range(20))), 30)
    assert len(spans) == 20
    # Each call holds its slot from its start until ``period`` after its end: at any call's
    # start, at most ``limit`` calls (itself included) hold one.
    for start, _ in spans:
        holding = [s for s, e in spans if s <= start < e + period]
        assert len(holding) <= limit, (start, holding)


async def test_a_caller_cancelled_while_waiting_leaves_the_queue_moving() -> None:
    slots = SendSlots(limit=1, period=0.01)
    order: list[str] = []
    release = asyncio.Event()

    async def call(name: str) -> None:
        async with slots.slot():
            order.append(name)
            if name == "first":
                await release.wait()

    first = asyncio.create_task(call("first"))
    await asyncio.sleep(0)
    gone = asyncio.create_task(call("gone"))
    after = asyncio.create_task(call("after"))
    await asyncio.sleep(0)
    gone.cancel()
    release.set()
    await asyncio.wait_for(asyncio.gather(first, after), 10)
    assert order == ["first", "after"]
    assert gone.cancelled()


# ------------------------------------------------------------------------------------------------
# KoochRateLimiter


def limiter_with_one_slot() -> KoochRateLimiter:
    limiter = KoochRateLimiter(max_retries=2)
    limiter.sends = SendSlots(limit=1, period=0.01)
    return limiter


async def test_an_operators_send_goes_ahead_of_the_replies_waiting_at_the_limiter() -> None:
    limiter = limiter_with_one_slot()
    order: list[str] = []
    release = asyncio.Event()

    def send(name: str) -> Any:
        async def call() -> bool:
            order.append(name)
            if name == "first":
                await release.wait()
            return True

        return limiter.process_request(call, (), {}, "sendMessage", {"chat_id": 7}, None)

    first = asyncio.create_task(send("first"))
    await asyncio.sleep(0)
    replies = [asyncio.create_task(send(f"reply{i}")) for i in range(3)]
    await asyncio.sleep(0)
    with urgent():  # as the lanes' processor does for an operator's update
        operator = asyncio.create_task(send("operator"))
    await asyncio.sleep(0)
    release.set()
    await asyncio.wait_for(asyncio.gather(first, operator, *replies), 10)
    assert order == ["first", "operator", "reply0", "reply1", "reply2"]


async def test_taps_answers_and_reading_calls_take_no_slot() -> None:
    limiter = limiter_with_one_slot()
    release = asyncio.Event()

    async def held() -> bool:
        await release.wait()
        return True

    async def done() -> bool:
        return True

    busy = asyncio.create_task(limiter.process_request(held, (), {}, "sendMessage", {"chat_id": 7}, None))
    await asyncio.sleep(0)
    # The one slot is held: these go out regardless.
    for endpoint, data in (
        ("answerCallbackQuery", {"callback_query_id": "1"}),
        ("getChatMemberCount", {"chat_id": "@c"}),
    ):
        assert await asyncio.wait_for(limiter.process_request(done, (), {}, endpoint, data, None), 10)
    release.set()
    await asyncio.wait_for(busy, 10)


async def test_a_429_in_one_users_chat_holds_back_that_chat_only() -> None:
    limiter = KoochRateLimiter(max_retries=1)
    order: list[str] = []
    refused = asyncio.Event()

    def send(name: str, chat_id: int, refuse: bool = False) -> Any:
        async def call() -> bool:
            if refuse and not refused.is_set():
                refused.set()
                raise RetryAfter(timedelta(seconds=0.3))
            order.append(name)
            return True

        return limiter.process_request(call, (), {}, "sendPhoto", {"chat_id": chat_id}, None)

    chart = asyncio.create_task(send("chart", 7, refuse=True))
    await asyncio.wait_for(refused.wait(), 10)
    # Chat 7 waits out its 0.3 s; another chat's reply goes out meanwhile.
    await asyncio.wait_for(send("other chat", 8), 10)
    await asyncio.wait_for(chart, 10)
    assert order == ["other chat", "chart"]


async def test_429s_from_several_chats_in_a_row_hold_back_every_call() -> None:
    limiter = KoochRateLimiter(max_retries=1)
    loop = asyncio.get_running_loop()
    refused: dict[int, float] = {}
    both_refused = asyncio.Event()
    sent: dict[int, float] = {}

    def send(chat_id: int) -> Any:
        async def call() -> bool:
            if chat_id in (7, 8) and chat_id not in refused:
                refused[chat_id] = loop.time()
                if len(refused) == 2:
                    both_refused.set()
                raise RetryAfter(timedelta(seconds=0.3))
            sent[chat_id] = loop.time()
            return True

        return limiter.process_request(call, (), {}, "sendMessage", {"chat_id": chat_id}, None)

    first = asyncio.gather(send(7), send(8))
    await asyncio.wait_for(both_refused.wait(), 10)
    await asyncio.wait_for(send(9), 10)
    await asyncio.wait_for(first, 10)
    # Two chats refused within a second: the overall limit, so chat 9 waited it out too (a bound).
    assert sent[9] - refused[8] >= 0.3


async def test_a_429_is_waited_out_and_the_call_retried() -> None:
    limiter = limiter_with_one_slot()
    tries: list[float] = []
    loop = asyncio.get_running_loop()

    async def refused_once() -> bool:
        tries.append(loop.time())
        if len(tries) == 1:
            raise RetryAfter(timedelta(seconds=0.2))
        return True

    assert await limiter.process_request(refused_once, (), {}, "sendMessage", {"chat_id": 7}, None)
    assert len(tries) == 2
    # Telegram asked for 0.2 s: the retry did not come sooner (a bound, not a duration).
    assert tries[1] - tries[0] >= 0.2


async def test_a_subscribers_start_refused_with_a_429_is_answered_after_the_wait(
    sim: BotAPISimulator, bot: App
) -> None:
    subscriber: SimUser = sim.add_user("S", "fa")
    sim.inject_fault("sendMessage", count=1, error_code=429, retry_after=1)
    reply = await say(sim, subscriber, "/start", timeout=30)
    assert reply.text
    calls = [c for c in sim.calls if c.method == "sendMessage"]
    assert [c.error_code for c in calls] == [429, None]
    assert calls[1].at - calls[0].at >= 1.0  # retry_after was waited out
