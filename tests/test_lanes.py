"""Taps in their own lane: a burst of messages whose replies wait on Telegram's sending limits
does not hold up the taps behind it; each lane bounds what it holds."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram import Update

from kooch.app.runner import App
from kooch.config.texts import DEFAULT_TEXTS
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from kooch.simulator.inprocess import tap_update
from kooch.telegram.lanes import Budget, Lane, LanedUpdateQueue, lane_of
from tests.bidi_kit import plain
from tests.kit import announce

THANKS = DEFAULT_TEXTS["fa"]["thanks"]


def tap(update_id: int) -> Update:
    update = Update.de_json(tap_update(update_id, 10_000 + update_id, "ack:demo"), None)
    assert update is not None
    return update


def text(update_id: int) -> Update:
    message: dict[str, Any] = {
        "message_id": update_id,
        "date": 0,
        "chat": {"id": 20_000 + update_id, "type": "private"},
        "from": {"id": 20_000 + update_id, "is_bot": False, "first_name": "U"},
        "text": "/start",
    }
    update = Update.de_json({"update_id": update_id, "message": message}, None)
    assert update is not None
    return update


def queue(taps: int = 2, others: int = 1, backlog: int = 3) -> LanedUpdateQueue:
    return LanedUpdateQueue({Lane.TAPS: Budget(taps, backlog), Lane.OTHERS: Budget(others, backlog)})


def test_callback_queries_take_the_taps_lane_and_everything_else_the_other() -> None:
    assert lane_of(tap(1)) is Lane.TAPS
    assert lane_of(text(2)) is Lane.OTHERS
    assert lane_of(object()) is None


async def test_a_tap_queued_behind_messages_is_handed_out_first() -> None:
    q = queue()
    for update in (text(1), text(2), tap(3)):
        await q.put(update)
    assert (await q.get()).update_id == 3
    assert (await q.get()).update_id == 1


async def test_a_full_lane_holds_back_only_its_own_updates() -> None:
    q = queue(taps=1, others=1)
    first = text(1)
    for update in (first, text(2)):
        await q.put(update)
    assert await q.get() is first
    # The other lane's one slot is taken: the next message waits, a tap does not.
    waiting = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    await q.put(tap(3))
    assert (await waiting).update_id == 3
    second = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    assert not second.done()
    q.finished(first)  # the first reply went out: its slot is free again
    assert (await second).update_id == 2
    assert (q.running(Lane.OTHERS), q.running(Lane.TAPS)) == (1, 1)


async def test_a_full_backlog_makes_put_wait_for_that_lane_only() -> None:
    q = queue(backlog=2)
    for update_id in (1, 2):
        await q.put(text(update_id))
    blocked = asyncio.create_task(q.put(text(3)))
    await asyncio.sleep(0)
    assert not blocked.done()
    await asyncio.wait_for(q.put(tap(4)), 10)  # the taps' backlog has room
    assert (await q.get()).update_id == 4
    assert (await q.get()).update_id == 1  # the backlog has room again
    await asyncio.wait_for(blocked, 10)
    assert q.waiting(Lane.OTHERS) == 2


async def test_anything_not_an_update_comes_out_after_the_lanes_emptied() -> None:
    q = queue(taps=5, others=5)
    stop = object()
    await q.put(text(1))
    await q.put(stop)
    await q.put(tap(2))
    got = [await q.get() for _ in range(3)]
    assert [getattr(g, "update_id", g) for g in got] == [2, 1, stop]


async def test_an_update_processed_without_the_queue_gives_no_slot_back() -> None:
    q = queue(taps=1, others=1)
    await q.put(text(1))
    taken = await q.get()
    q.finished(text(9))  # e.g. processed straight from a webhook request, never queued
    await q.put(text(2))
    waiting = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    assert not waiting.done()
    q.finished(taken)
    assert (await waiting).update_id == 2


def test_a_lane_without_room_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Budget(0, 10)
    with pytest.raises(ValueError, match="no budget"):
        LanedUpdateQueue({Lane.TAPS: Budget(1, 1)})


@pytest.mark.slow
async def test_taps_after_1500_start_messages_are_answered_before_the_replies_go_out(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, bot: App
) -> None:
    await announce(sim, operator)
    post = sim.messages(channel.id)[0].message_id
    starters = [sim.add_user(f"S{i}", "fa") for i in range(1500)]
    tappers = [sim.add_user(f"T{i}", "fa") for i in range(300)]
    for user in starters:  # what a final post provokes: everyone says /start at once
        await sim.send_text(user, "/start")
    queries = [await sim.press_button(user, channel.id, post, "ack:demo") for user in tappers]
    # Telegram's own deadline (the simulator's default): a tap answered later is refused.
    answers = [await sim.wait_for_answer(q, timeout=60) for q in queries]
    assert [plain(a.text) for a in answers] == [THANKS] * len(tappers)
    refused = [c for c in sim.calls_of("answerCallbackQuery") if not c.ok]
    assert not refused, refused[:3]
    # The replies go out at Telegram's 30 a second; the taps did not wait for them. (Sharing one
    # in-flight budget, the taps came only after about 500 replies.)
    calls = [c.method for c in sim.calls]
    last_answer = max(i for i, m in enumerate(calls) if m == "answerCallbackQuery")
    replies_before = calls[:last_answer].count("sendMessage")
    assert replies_before < 300, f"{replies_before} replies went out before the last tap was answered"
    # And every /start is answered in the end (stopping with updates still queued would leave
    # python-telegram-bot processing them after it stopped running).
    await sim.wait_until(
        lambda: all(sim.last_message(u.id, from_bot=True) is not None for u in starters),
        timeout=300,
        what="a reply to every /start",
    )
