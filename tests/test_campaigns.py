"""Reminder campaigns end to end: the real bot against the simulator with its send limits on."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import sqlite3
import time
from collections import Counter
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.clock import ManualClock
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from kooch.store import Store
from kooch.store.db import Database
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import (
    OPERATOR_ID,
    announce,
    base_config,
    callback_of,
    press,
    running_bot,
    say,
    start_bot_process,
    write_config,
)

FA_TEXT = "یادآوری: ما کوچ کرده‌ایم."


def campaign_config(tmp_path: Path, **campaigns: Any) -> dict[str, Any]:
    config = base_config(tmp_path)
    config["campaigns"] = {"rate_per_s": 400, "progress_every_s": 1, **campaigns}
    return config


async def seed(db: Path, users: list[SimUser], language: str = "fa") -> None:
    """Record that ``users`` started the bot (as /start would), in one transaction."""
    store = await Store.open(db)
    try:

        async def op(conn: Database) -> None:
            await conn.executemany(
                "INSERT INTO subscribers (user_id, language, source, started_at, last_seen_at)"
                " VALUES (?, ?, NULL, 0, 0)",
                [(u.id, u.language_code or language) for u in users],
            )

        await store.write(op)
    finally:
        await store.close()


def crowd(sim: BotAPISimulator, n: int, language: str = "fa") -> list[SimUser]:
    return [sim.add_user(f"U{i}", language, started=True) for i in range(n)]


def delivered(sim: BotAPISimulator) -> int:
    """Reminders delivered so far (cheap enough to re-check on every simulator change)."""
    return sum(
        1 for c in sim.calls if c.ok and c.method == "sendMessage" and c.params.get("chat_id") != OPERATOR_ID
    )


def received(sim: BotAPISimulator, users: list[SimUser], text: str = FA_TEXT) -> Counter[int]:
    """How many times each user got the reminder (its words: the direction controls aside)."""
    counts: Counter[int] = Counter()
    for u in users:
        counts[u.id] = sum(1 for m in sim.messages(u.id) if m.from_bot and plain(m.text or "") == text)
    return counts


async def start_campaign(sim: BotAPISimulator, operator: SimUser, command: str) -> SimMessage:
    """/remind …, confirm; returns the progress message (the question, edited)."""
    sent = await sim.send_text(operator, command)
    question = await sim.wait_for_message(
        operator.id,
        lambda m: any(d.startswith("remind:confirm:") for _, d in m.callback_buttons()),
        after=sent.message_id,
        timeout=10,
    )
    answer = await press(sim, operator, operator.id, question, callback_of(question, "remind:confirm:"))
    assert answer.text in ("Sending…", "Queued.")
    return question


async def final_tally(sim: BotAPISimulator, operator: SimUser, after: int, timeout: float = 60) -> str:
    message = await sim.wait_for_message(
        operator.id,
        lambda m: (
            not m.edits  # the new message, not the progress message edited alike
            and m.text is not None
            and ("🏁 finished" in m.text or "🛑 cancelled" in m.text)
        ),
        after=after,
        timeout=timeout,
    )
    assert message.text is not None
    return message.text


def states(db: Path, campaign_id: int = 1) -> Counter[str]:
    with closing(sqlite3.connect(db)) as conn, conn:
        rows = conn.execute(
            "SELECT state FROM campaign_recipients WHERE campaign_id = ?", (campaign_id,)
        ).fetchall()
    return Counter(r[0] for r in rows)


@pytest.fixture
def kooch(sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path) -> Path:
    """A config whose campaigns go at 400/s; yields its path (start the bot in the test)."""
    return write_config(tmp_path / "config.yaml", campaign_config(tmp_path))


@pytest.mark.slow
async def test_2000_users_each_get_exactly_one_message_with_zero_429s(
    sim: BotAPISimulator, operator: SimUser, kooch: Path, tmp_path: Path
) -> None:
    sim.set_rate_limits(global_per_s=500, per_chat_per_s=1)
    users = crowd(sim, 2000)
    await seed(tmp_path / "kooch.db", users)
    async with running_bot(kooch, sim.token, sim.url, poll_timeout=1):
        sent = await sim.send_text(operator, f"/remind {FA_TEXT}")
        label = await sim.wait_for_message(operator.id, after=sent.message_id)
        assert plain(label.text) == "👁 What 2,000 Persian readers get:"
        preview = await sim.wait_for_message(operator.id, after=label.message_id)
        assert plain(preview.text) == FA_TEXT
        assert_reads_right([preview.text or ""])
        assert plain(preview.buttons) == [
            [
                {"text": "سروش", "url": "https://splus.ir/kooch_demo"},
                {"text": "گپ", "url": "https://gap.im/kooch_demo"},
            ],
            [{"text": "✅ کوچ کردم", "callback_data": "preview:ack"}],
        ]
        question = await sim.wait_for_message(operator.id, after=preview.message_id)
        assert question.text is not None
        assert question.text.startswith(
            "Send the reminder above to 2,000 recipients: "
            "users who started the bot and have not tapped “I've moved”?"
        )
        await press(sim, operator, operator.id, question, callback_of(question, "remind:confirm:"))
        tally = await final_tally(sim, operator, question.message_id)
    reminders = [c for c in sim.calls_of("sendMessage") if c.params.get("chat_id") != OPERATOR_ID]
    assert [c for c in reminders if c.error_code == 429] == []
    assert len(reminders) == 2000
    assert set(received(sim, users).values()) == {1}
    assert "✅ sent: 2,000 of 2,000" in tally
    span = reminders[-1].at - reminders[0].at
    print(f"2,000 reminders in {span:.1f} s: {2000 / span:.0f}/s")
    assert "❌ failed: 0" in tally
    progress = sim.message(operator.id, question.message_id)
    assert progress.text == tally  # the progress message ends as the final tally, without buttons
    assert progress.callback_buttons() == []
    assert len(progress.edits) >= 2  # it was edited while the campaign ran
    assert states(tmp_path / "kooch.db") == {"sent": 2000}


async def test_injected_429s_slow_the_campaign_down_and_it_still_completes(
    sim: BotAPISimulator, operator: SimUser, kooch: Path, tmp_path: Path
) -> None:
    users = crowd(sim, 200)
    await seed(tmp_path / "kooch.db", users)
    async with running_bot(kooch, sim.token, sim.url, poll_timeout=1):
        question = await start_campaign(sim, operator, f"/remind {FA_TEXT}")
        await sim.wait_until(lambda: delivered(sim) >= 20, timeout=10)
        sim.inject_fault("sendMessage", count=2, error_code=429, retry_after=1)
        tally = await final_tally(sim, operator, question.message_id)
    assert set(received(sim, users).values()) == {1}
    assert "✅ sent: 200 of 200" in tally
    calls = [c for c in sim.calls_of("sendMessage") if c.params.get("chat_id") != OPERATOR_ID]
    throttled = [i for i, c in enumerate(calls) if c.error_code == 429]
    assert len(throttled) == 2
    # After a 429 the campaign waited retry_after (1 s) before its next send: no hammering.
    for i in throttled:
        assert calls[i + 1].at - calls[i].at >= 0.95


async def test_blocked_users_are_unreachable_and_skipped_next_time(
    sim: BotAPISimulator, operator: SimUser, kooch: Path, tmp_path: Path
) -> None:
    users = crowd(sim, 50)
    await seed(tmp_path / "kooch.db", users)
    blocked = users[:5]
    for user in blocked:
        sim.block_bot(user)
    async with running_bot(kooch, sim.token, sim.url, poll_timeout=1):
        first = await start_campaign(sim, operator, f"/remind {FA_TEXT}")
        tally = await final_tally(sim, operator, first.message_id)
        assert "✅ sent: 45 of 50" in tally
        assert "🚫 unreachable (blocked the bot or deleted their account): 5" in tally
        calls_before = len(sim.calls_of("sendMessage"))
        second = await start_campaign(sim, operator, f"/remind {FA_TEXT}")
        assert second.text is not None
        assert "to 45 recipients" in second.text
        tally = await final_tally(sim, operator, second.message_id)
    assert "✅ sent: 45 of 45" in tally
    later = sim.calls_of("sendMessage")[calls_before:]
    assert not {c.params.get("chat_id") for c in later} & {u.id for u in blocked}
    assert set(received(sim, users[5:]).values()) == {2}
    with closing(sqlite3.connect(tmp_path / "kooch.db")) as conn, conn:
        flagged = {r[0] for r in conn.execute("SELECT user_id FROM subscribers WHERE blocked = 1")}
    assert flagged == {u.id for u in blocked}


async def test_cancel_stops_sending_within_a_second(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path, channel: SimChat
) -> None:
    path = write_config(tmp_path / "config.yaml", campaign_config(tmp_path, rate_per_s=50))
    users = crowd(sim, 500)
    await seed(tmp_path / "kooch.db", users)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1) as app:
        progress = await start_campaign(sim, operator, f"/remind {FA_TEXT}")
        await sim.wait_until(lambda: delivered(sim) >= 25, timeout=10)
        answer = await press(sim, operator, operator.id, progress, "campaign:cancel:1")
        assert answer.text == "Campaign #1 cancelled: the final tally follows."
        assert answer.answered_at is not None
        tally = await final_tally(sim, operator, progress.message_id)
        # The runner has nothing left to do: every send of the campaign has ended.
        await services_of(app).campaigns.wait_idle()
        sent_by_then = sum(received(sim, users).values())
    late = [
        c
        for c in sim.calls_of("sendMessage")
        if c.params.get("chat_id") != OPERATOR_ID and c.at > answer.answered_at + 1.0
    ]
    assert late == []
    assert sent_by_then < 500
    assert "🛑 cancelled" in tally
    assert f"⏸ not sent because of the cancel: {500 - sent_by_then:,}" in tally
    assert set(received(sim, users).values()) <= {0, 1}
    with closing(sqlite3.connect(tmp_path / "kooch.db")) as conn, conn:
        assert conn.execute("SELECT state FROM campaigns WHERE id = 1").fetchone() == ("cancelled",)


async def test_acks_and_commands_are_answered_while_a_campaign_runs(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    path = write_config(tmp_path / "config.yaml", campaign_config(tmp_path, rate_per_s=100))
    users = crowd(sim, 600)
    await seed(tmp_path / "kooch.db", users)
    tappers = [sim.add_user(f"T{i}", "fa") for i in range(100)]
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        await announce(sim, operator)
        post = sim.messages(channel.id)[0]
        progress = await start_campaign(sim, operator, f"/remind {FA_TEXT}")
        await sim.wait_until(lambda: delivered(sim) >= 50, timeout=10)
        answers = await asyncio.gather(*(press(sim, u, channel.id, post, "ack:demo") for u in tappers))
        reply = await say(sim, tappers[0], "/start")
        during = sum(received(sim, users).values())
        await final_tally(sim, operator, progress.message_id)
    assert {plain(a.text) for a in answers} == {"ممنون! کوچ شما ثبت شد."}
    assert reply.text is not None
    assert during < 600  # the taps were answered while the campaign was still sending
    assert set(received(sim, users).values()) == {1}


async def test_transient_errors_are_retried_and_moved_users_are_skipped(
    sim: BotAPISimulator, operator: SimUser, kooch: Path, tmp_path: Path
) -> None:
    users = crowd(sim, 30)
    await seed(tmp_path / "kooch.db", users)
    async with running_bot(kooch, sim.token, sim.url, poll_timeout=1):
        question = await start_campaign(sim, operator, f"/remind {FA_TEXT}")
        sim.inject_fault("sendMessage", count=2, error_code=500)
        tally = await final_tally(sim, operator, question.message_id)
    assert set(received(sim, users).values()) == {1}
    assert "✅ sent: 30 of 30" in tally
    errors = [c for c in sim.calls_of("sendMessage") if c.error_code == 500]
    assert len(errors) == 2


async def test_audience_options_and_forget(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, kooch: Path, tmp_path: Path
) -> None:
    users = crowd(sim, 6)
    en = crowd(sim, 2, "en")
    await seed(tmp_path / "kooch.db", users + en)
    async with running_bot(kooch, sim.token, sim.url, poll_timeout=1):
        await announce(sim, operator)
        post = sim.messages(channel.id)[0]
        await press(sim, users[0], channel.id, post, "ack:demo")
        await say(sim, users[1], "/forget")
        question = await start_campaign(sim, operator, f"/remind {FA_TEXT}")
        assert question.text is not None
        assert "to 6 recipients: users who started the bot and have not tapped" in question.text
        await final_tally(sim, operator, question.message_id)
        question = await start_campaign(sim, operator, "/remind to:all lang:en Hello again")
        assert question.text is not None
        assert "to 2 recipients: everyone who started the bot, language English" in question.text
        await final_tally(sim, operator, question.message_id)
        reply = await say(sim, operator, "/remind to:nobody hi")
        assert reply.text == "Unknown audience 'to:nobody': use to:unmoved (the default) or to:all."
        reply = await say(sim, operator, "/remind")
        assert reply.text is not None and reply.text.startswith("Write the reminder after the command")
    counts = received(sim, users)
    assert counts[users[0].id] == 0  # moved
    assert counts[users[1].id] == 0  # used /forget
    assert all(counts[u.id] == 1 for u in users[2:])
    assert all(received(sim, en)[u.id] == 1 for u in en)
    assert all(received(sim, en, "Hello again")[u.id] == 1 for u in en)
    with closing(sqlite3.connect(tmp_path / "kooch.db")) as conn, conn:
        assert conn.execute(
            "SELECT COUNT(*) FROM campaign_recipients WHERE user_id = ?", (users[1].id,)
        ).fetchone() == (0,)


async def test_reply_with_remind_uses_the_replied_message(
    sim: BotAPISimulator, operator: SimUser, kooch: Path, tmp_path: Path
) -> None:
    users = crowd(sim, 3)
    await seed(tmp_path / "kooch.db", users)
    async with running_bot(kooch, sim.token, sim.url, poll_timeout=1):
        draft = await sim.send_text(operator, FA_TEXT)
        await sim.wait_for_message(operator.id, after=draft.message_id)  # the links reply
        sent = await sim.send_text(operator, "/remind", reply_to=draft.message_id)
        label = await sim.wait_for_message(operator.id, after=sent.message_id)
        preview = await sim.wait_for_message(operator.id, after=label.message_id)
        assert plain(preview.text) == FA_TEXT
        assert_reads_right([preview.text or ""])


def _iso_in(seconds: float, tz: str = "Asia/Tehran") -> str:
    return (
        (datetime.now(ZoneInfo(tz)) + timedelta(seconds=seconds))
        .replace(tzinfo=None)
        .isoformat(timespec="seconds")
    )


async def test_scheduled_reminders_fire_once_and_a_missed_one_asks(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    # Starts at the real time (the config's times are written from it), then moves only when told.
    clock = ManualClock(now=time.time())
    config = campaign_config(tmp_path, grace_minutes=30)
    config["reminders"] = [
        {"at": _iso_in(2), "text": {"fa": FA_TEXT, "en": "Reminder: we moved."}},
        {"at": _iso_in(-7200), "text": "missed one", "audience": "all"},
        {"at": _iso_in(3600), "text": "next hour"},
    ]
    path = write_config(tmp_path / "config.yaml", config)
    users = crowd(sim, 4) + crowd(sim, 2, "en")
    await seed(tmp_path / "kooch.db", users)
    operator.started = True  # scheduled reminders report to operators unprompted
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        runner = services_of(app).campaigns
        missed = await sim.wait_for_message(
            operator.id, lambda m: m.text is not None and m.text.startswith("⏰ A scheduled reminder")
        )
        assert "missed one" in (missed.text or "")
        await runner.wait_idle()
        assert delivered(sim) == 0  # the first one is not due yet by the bot's clock
        clock.advance(3.0)
        await runner.wait_idle()
        await final_tally(sim, operator, 0, timeout=20)
        listing = await say(sim, operator, "/campaigns")
        assert listing.text is not None
        assert "#1 done — scheduled reminder" in listing.text
        assert "sent as campaign #1" in listing.text
        assert "MISSED" in listing.text
        assert "— scheduled" in listing.text
        # Cancel the one due next hour from /campaigns, and the missed one from its message.
        missed_cancel = callback_of(missed, "reminder:cancel:")
        (next_hour,) = [
            d
            for _, d in listing.callback_buttons()
            if d.startswith("reminder:cancel:") and d != missed_cancel
        ]
        answer = await press(sim, operator, operator.id, listing, next_hour)
        assert answer.text == "Reminder cancelled."
        answer = await press(sim, operator, operator.id, missed, missed_cancel)
        assert answer.text == "Reminder cancelled."
        answer = await sim.wait_for_answer(
            sim.forge_callback_query(operator, missed, missed_cancel.replace("cancel", "send"))
        )
        assert answer.text == "This reminder was already sent or cancelled."
    assert all(received(sim, users[:4])[u.id] == 1 for u in users[:4])
    assert all(received(sim, users[4:], "Reminder: we moved.")[u.id] == 1 for u in users[4:])
    assert all(received(sim, users, "missed one")[u.id] == 0 for u in users)
    # A restart does not send the fired reminder again, nor revive the cancelled one.
    clock.advance(7200.0)  # the one of the next hour would be due by now
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        await services_of(app).campaigns.wait_idle()
        listing = await say(sim, operator, "/campaigns")
        assert listing.text is not None
        assert listing.text.count("— cancelled") == 2
    assert all(received(sim, users[:4])[u.id] == 1 for u in users[:4])


async def test_missed_reminder_sent_on_request(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    config = campaign_config(tmp_path)
    config["reminders"] = [{"at": _iso_in(-7200), "text": "late but wanted"}]
    path = write_config(tmp_path / "config.yaml", config)
    users = crowd(sim, 3)
    await seed(tmp_path / "kooch.db", users)
    operator.started = True
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        missed = await sim.wait_for_message(
            operator.id, lambda m: m.text is not None and m.text.startswith("⏰ A scheduled reminder")
        )
        answer = await press(sim, operator, operator.id, missed, callback_of(missed, "reminder:send:"))
        assert answer.text == "Queued as campaign #1."
        await final_tally(sim, operator, missed.message_id, timeout=20)
    assert set(received(sim, users, "late but wanted").values()) == {1}


async def test_non_operators_cannot_remind(
    sim: BotAPISimulator,
    operator: SimUser,
    bot: App,
    tmp_path: Path,
) -> None:
    stranger = sim.add_user("Eve", "en")
    reply = await say(sim, stranger, "/remind hello")
    assert reply.text == "This command is for the channel's operators only."
    reply = await say(sim, stranger, "/campaigns")
    assert reply.text == "This command is for the channel's operators only."


@pytest.mark.slow
async def test_sigkill_halfway_then_restart_sends_everyone_exactly_once(tmp_path: Path) -> None:
    n = 300
    async with BotAPISimulator() as sim:
        sim.set_rate_limits(global_per_s=500, per_chat_per_s=1)
        operator = sim.add_user("Operator", "en", user_id=OPERATOR_ID)
        sim.add_channel(username="kooch_demo")
        users = crowd(sim, n)
        await seed(tmp_path / "kooch.db", users)
        path = write_config(tmp_path / "config.yaml", campaign_config(tmp_path, rate_per_s=60))
        env = dict(os.environ, TELEGRAM_BOT_TOKEN=sim.token, TELEGRAM_API_URL=sim.url)

        launch = functools.partial(start_bot_process, path, env, stderr=asyncio.subprocess.PIPE)

        first = await launch()
        try:
            progress = await start_campaign(sim, operator, f"/remind {FA_TEXT}")
            await sim.wait_until(lambda: delivered(sim) >= n // 2, timeout=30)
            first.send_signal(signal.SIGKILL)
            await first.wait()
            at_kill = sum(received(sim, users).values())
            second = await launch()
            try:
                tally = await final_tally(sim, operator, progress.message_id, timeout=60)
                second.send_signal(signal.SIGTERM)
                _, stderr = await asyncio.wait_for(second.communicate(), timeout=30)
            finally:
                if second.returncode is None:
                    second.kill()
                    await second.wait()
        finally:
            if first.returncode is None:
                first.kill()
                await first.wait()
        counts = received(sim, users)
    assert at_kill < n, "the kill came too late to test a resume"
    assert min(counts.values()) == 1, "nobody is skipped"
    duplicates = [uid for uid, c in counts.items() if c > 1]
    assert len(duplicates) <= 1, f"{len(duplicates)} users got the reminder twice"
    assert max(counts.values()) <= 2
    assert f"✅ sent: {n} of {n}" in tally
    if duplicates:
        assert "1 send was in flight when Kooch stopped abruptly and was sent again" in tally
    assert second.returncode == 0, stderr.decode()
    assert states(tmp_path / "kooch.db") == {"sent": n}
    print(f"killed after {at_kill} of {n}; in-flight duplicates: {len(duplicates)}")


async def test_graceful_restart_resumes_without_any_duplicate(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    path = write_config(tmp_path / "config.yaml", campaign_config(tmp_path, rate_per_s=100))
    users = crowd(sim, 150)
    await seed(tmp_path / "kooch.db", users)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        progress = await start_campaign(sim, operator, f"/remind {FA_TEXT}")
        await sim.wait_until(lambda: delivered(sim) >= 30, timeout=10)
    stopped_at = sum(received(sim, users).values())
    started = time.monotonic()
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        tally = await final_tally(sim, operator, progress.message_id, timeout=30)
    assert stopped_at < 150
    assert time.monotonic() - started < 30
    assert set(received(sim, users).values()) == {1}
    assert "✅ sent: 150 of 150" in tally
    assert "sent again" not in tally
