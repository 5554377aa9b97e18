"""The "I've moved" tap end to end: recorded once per user, answered only once stored."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from kooch.store import Store
from kooch.subscribers.store import SubscriberStore
from tests.bidi_kit import plain
from tests.kit import announce, press


async def acks(path: Path) -> list[tuple[int, str | None, str]]:
    store = await Store.open(path)
    try:
        return await SubscriberStore(store).acks_of_channel("demo")
    finally:
        await store.close()


async def test_200_users_acknowledge_once_each_and_repeats_change_nothing(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    tmp_path: Path,
) -> None:
    await announce(sim, operator)
    post = sim.messages(channel.id)[0]
    users = [sim.add_user(f"U{i}", "fa" if i % 3 else "en-US") for i in range(200)]

    first = await asyncio.gather(*(press(sim, u, channel.id, post, "ack:demo") for u in users))
    assert plain({a.text for a in first}) == plain({"ممنون! کوچ شما ثبت شد."})
    again = await asyncio.gather(*(press(sim, u, channel.id, post, "ack:demo") for u in users[:50]))
    assert plain({a.text for a in again}) == plain({"کوچ شما پیش‌تر ثبت شده است."})

    await bot.stop()  # make sure nothing is still in flight before reading the file
    rows = await acks(tmp_path / "kooch.db")
    assert len(rows) == 200
    assert {user_id for user_id, _, _ in rows} == {u.id for u in users}
    assert {(lang, source) for _, lang, source in rows} == {("fa", "post"), ("en", "post")}
    # Each tap was answered exactly once.
    answered = [a for a in sim.answers if a.data == "ack:demo"]
    assert len(answered) == 250
    assert len({a.callback_query_id for a in answered}) == 250


async def test_every_answered_tap_is_in_the_database_when_answered(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
) -> None:
    """Read the row through a separate connection the moment the answer arrives."""
    await announce(sim, operator)
    post = sim.messages(channel.id)[0]
    kooch = services_of(bot)
    for i in range(20):
        user = sim.add_user(f"V{i}", "fa")
        await press(sim, user, channel.id, post, "ack:demo")
        assert await kooch.subscribers.has_acked("demo", user.id)


async def test_a_failed_commit_says_try_again_and_the_bot_recovers(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    tmp_path: Path,
) -> None:
    await announce(sim, operator)
    post = sim.messages(channel.id)[0]
    kooch = services_of(bot)
    user = sim.add_user("W", "fa")

    await kooch.store._writer.execute("PRAGMA query_only = 1")  # every write now fails
    answer = await press(sim, user, channel.id, post, "ack:demo")
    assert plain(answer.text) == "ثبت نشد، لطفاً چند لحظهٔ دیگر دوباره بزنید."
    assert not await kooch.subscribers.has_acked("demo", user.id)

    await kooch.store._writer.execute("PRAGMA query_only = 0")
    answer = await press(sim, user, channel.id, post, "ack:demo")
    assert plain(answer.text) == "ممنون! کوچ شما ثبت شد."
    assert await kooch.subscribers.has_acked("demo", user.id)


async def test_a_forged_or_stale_channel_key_is_answered_and_stores_nothing(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    tmp_path: Path,
) -> None:
    await announce(sim, operator)
    post = sim.messages(channel.id)[0]
    user = sim.add_user("Forger", "fa")
    answer = await sim.wait_for_answer(sim.forge_callback_query(user, post, "ack:no_such_channel"))
    assert answer.text is None  # the button stops spinning; nothing claims a move was recorded
    real = await press(sim, user, channel.id, post, "ack:demo")  # the bot goes on as usual
    assert plain(real.text) == "ممنون! کوچ شما ثبت شد."
    await bot.stop()
    with closing(sqlite3.connect(tmp_path / "kooch.db")) as conn, conn:
        assert conn.execute("SELECT channel, user_id FROM acks").fetchall() == [("demo", user.id)]
