"""The injected clock: the manual clock tests move, the barrier that tells them an engine has caught
up, and the running bot stamping what it stores with the clock it was started with."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from kooch.app.services import services_of
from kooch.clock import SYSTEM, ManualClock, Rounds
from kooch.operators.audit import AuditLog
from kooch.operators.pending import PendingActions
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from kooch.store import Store
from kooch.subscribers.store import SubscriberStore
from tests.bidi_kit import plain
from tests.kit import press, running_bot, say

#: Nowruz 2024, noon UTC (15:30 in Tehran): far from any time the real clock could give.
NOWRUZ = datetime(2024, 3, 20, 12, 0, tzinfo=UTC).timestamp()


# --------------------------------------------------------------------------------------------
# The clocks


def test_a_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(now=NOWRUZ, monotonic=5.0)
    assert (clock.now(), clock.monotonic()) == (NOWRUZ, 5.0)
    assert (clock.now(), clock.monotonic()) == (NOWRUZ, 5.0)  # reading it moves nothing
    clock.advance(90.5)
    assert (clock.now(), clock.monotonic()) == (NOWRUZ + 90.5, 95.5)


def test_setting_the_wall_time_leaves_the_monotonic_time_alone() -> None:
    clock = ManualClock(now=NOWRUZ, monotonic=5.0)
    clock.set(NOWRUZ - 3600)  # the wall clock may go back (a correction); intervals never do
    assert (clock.now(), clock.monotonic()) == (NOWRUZ - 3600, 5.0)
    clock.advance(1.0)
    assert (clock.now(), clock.monotonic()) == (NOWRUZ - 3599, 6.0)


def test_a_manual_clock_defaults_to_a_fixed_time() -> None:
    assert ManualClock().now() == ManualClock().now()
    assert ManualClock().monotonic() == ManualClock().monotonic()


def test_the_system_clock_is_the_real_one() -> None:
    before = time.time()
    now = SYSTEM.now()
    assert before <= now <= time.time()
    first = SYSTEM.monotonic()
    assert SYSTEM.monotonic() >= first


async def test_rounds_wait_for_a_round_that_started_after_the_ask() -> None:
    rounds = Rounds()
    under_way = rounds.asked  # a round starts before the ask …
    asked = rounds.ask()
    waiter = asyncio.create_task(rounds.wait(asked))
    await asyncio.sleep(0)
    rounds.caught_up(under_way)  # … and ends: it may have missed what the caller changed
    await asyncio.sleep(0)
    assert not waiter.done()
    rounds.caught_up(rounds.asked)  # a round that started after the ask
    await waiter
    await rounds.wait(asked)  # already caught up: returns at once


async def test_rounds_answer_every_ask_a_round_covers() -> None:
    rounds = Rounds()
    first, second = rounds.ask(), rounds.ask()
    waiters = [asyncio.create_task(rounds.wait(n)) for n in (first, second)]
    third = rounds.ask()
    late = asyncio.create_task(rounds.wait(third))
    await asyncio.sleep(0)
    rounds.caught_up(second)
    await asyncio.gather(*waiters)
    assert not late.done()
    rounds.caught_up(third)
    await late


# --------------------------------------------------------------------------------------------
# The store


async def test_the_store_stamps_its_rows_with_its_clock(tmp_path: Path) -> None:
    clock = ManualClock(now=NOWRUZ)
    store = await Store.open(tmp_path / "kooch.db", clock=clock)
    try:
        subscribers, pendings, audit = SubscriberStore(store), PendingActions(store), AuditLog(store)
        await subscribers.add_ack("demo", 1, "Sara", "fa", "post")
        clock.advance(60)
        await subscribers.record_start(1, "fa", None)
        clock.advance(60)
        pending = await pendings.create("announce", 7, {})
        await audit.add(7, "announce", "/announce", "asked")
        taken = await pendings.take(pending, "announce", "done")
        assert [r[0] for r in await store.reader.fetch("SELECT acked_at FROM acks")] == [NOWRUZ]
        assert [
            tuple(r) for r in await store.reader.fetch("SELECT started_at, last_seen_at FROM subscribers")
        ] == [(NOWRUZ + 60, NOWRUZ + 60)]
        assert taken is not None and taken.created_at == NOWRUZ + 120
        assert [e.at for e in await audit.recent()] == [NOWRUZ + 120]
        assert (await subscribers.ack_counts(["demo"]))["demo"].last_24h == 1  # "now" is the clock's too
        clock.advance(86400)
        assert (await subscribers.ack_counts(["demo"]))["demo"].last_24h == 0
    finally:
        await store.close()
    with closing(sqlite3.connect(tmp_path / "kooch.db")) as conn:
        applied = {r[0] for r in conn.execute("SELECT applied_at FROM schema_migrations")}
    assert applied == {NOWRUZ}  # migrated when opened, at the clock's time


# --------------------------------------------------------------------------------------------
# The running bot


async def test_the_running_bot_stamps_what_it_stores_with_the_injected_clock(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, config_file: Path, tmp_path: Path
) -> None:
    clock = ManualClock(now=NOWRUZ)
    sara = sim.add_user("Sara", "fa")
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        services = services_of(app)
        assert services.clock is clock
        await say(sim, sara, "/start")
        clock.advance(90)
        # A channel post with the moved button, sent through the bot as /announce would post it.
        post = await app.bot.send_message(
            channel.id,
            "📢",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("✅", callback_data="ack:demo")]]),
        )
        answer = await press(sim, sara, channel.id, post.message_id, "ack:demo")
        assert plain(answer.text) == "ممنون! کوچ شما ثبت شد."
        clock.advance(90)
        status = await say(sim, operator, "/status")
        assert services.metrics.last_update_at == NOWRUZ + 180
    assert status.text is not None
    # The reloader read the config when the bot started: at the clock's time, shown in Tehran's.
    assert "in force since 2024-03-20 15:30;" in status.text
    with closing(sqlite3.connect(tmp_path / "kooch.db")) as conn:
        assert conn.execute("SELECT started_at FROM subscribers").fetchall() == [(NOWRUZ,)]
        assert conn.execute("SELECT user_id, acked_at FROM acks").fetchall() == [(sara.id, NOWRUZ + 90)]
        assert conn.execute("SELECT operator_id, action, at FROM audit").fetchall() == [
            (operator.id, "status", NOWRUZ + 180)
        ]
        applied = {r[0] for r in conn.execute("SELECT applied_at FROM schema_migrations")}
    assert applied == {NOWRUZ}
