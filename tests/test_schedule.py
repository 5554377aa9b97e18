"""Scheduled announcements: `/announce [channel] at <time>` / `in 2h`, /schedule lists and cancels,
and the database keeps them across a restart (late within the grace period: posted and reported;
later: the operators are asked)."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kooch.announce.schedule.model import (
    RestorePlan,
    overdue_action,
    parse_when,
    plan_restore,
    split_schedule,
)
from kooch.announce.store import ScheduledPost
from kooch.clock import ManualClock
from kooch.simulator import BotAPISimulator, SimMessage, SimUser
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import base_config, callback_of, press, running_bot, say, write_config

TEHRAN = ZoneInfo("Asia/Tehran")
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=TEHRAN)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("in 2h", datetime(2025, 6, 1, 14, 0, tzinfo=TEHRAN)),
        ("in 90m", datetime(2025, 6, 1, 13, 30, tzinfo=TEHRAN)),
        ("in 1h30m", datetime(2025, 6, 1, 13, 30, tzinfo=TEHRAN)),
        ("in 2 days", datetime(2025, 6, 3, 12, 0, tzinfo=TEHRAN)),
        ("at 2025-06-01T18:00", datetime(2025, 6, 1, 18, 0, tzinfo=TEHRAN)),
        ("at 2025-06-01 18:00", datetime(2025, 6, 1, 18, 0, tzinfo=TEHRAN)),
        ("at 2025-06-01T18:00+00:00", datetime(2025, 6, 1, 21, 30, tzinfo=TEHRAN)),
        ("at 18:30", datetime(2025, 6, 1, 18, 30, tzinfo=TEHRAN)),
        # Solar Hijri, as Kooch shows dates to a Persian reader: 11 Khordad 1404 is 1 June 2025.
        ("at 1404-03-11 18:00", datetime(2025, 6, 1, 18, 0, tzinfo=TEHRAN)),
        ("at ۱۴۰۴-۰۳-۱۱ ۱۸:۰۰", datetime(2025, 6, 1, 18, 0, tzinfo=TEHRAN)),
        ("at 1404/03/11 18:00", datetime(2025, 6, 1, 18, 0, tzinfo=TEHRAN)),
        ("at 1404-03-11T18:00", datetime(2025, 6, 1, 18, 0, tzinfo=TEHRAN)),
        ("at ۱۱ خرداد ۱۴۰۴، ساعت ۱۸:۰۰", datetime(2025, 6, 1, 18, 0, tzinfo=TEHRAN)),
        ("at 1404-03-12", datetime(2025, 6, 2, 0, 0, tzinfo=TEHRAN)),
        ("at 09:00", datetime(2025, 6, 2, 9, 0, tzinfo=TEHRAN)),  # already past today: tomorrow
    ],
    ids=lambda v: str(v),
)
def test_parse_when_reads_the_time_in_the_configs_zone(words: str, expected: datetime) -> None:
    assert parse_when(words.split(), NOW) == expected


@pytest.mark.parametrize(
    ("words", "error"),
    [
        (
            "at 2025-05-01T10:00",
            "That moment has passed: 1 May 2025 10:00 Tehran time — 31 days and 2 hours ago.",
        ),
        ("at tomorrow", "I cannot read “tomorrow” as a date. For example: 2025-06-02 18:00"),
        (
            "at 1404-12-30",
            "I read “1404-12-30” as day 30, month 12, year 1404 of the Solar Hijri calendar "
            "(years below 1900 are Solar Hijri). That month has 29 days. For example: 2025-06-02 18:00",
        ),
        ("in 2 fortnights", "Unknown unit “fortnights” in “in 2 fortnights”."),
        ("in soon", "I cannot read “in soon”."),
        ("at 25:00", "“25:00” is not a time of day."),
        ("in 400 days", "That is more than a year ahead; schedule something nearer."),
    ],
    ids=lambda v: str(v),
)
def test_parse_when_explains_what_it_cannot_read(words: str, error: str) -> None:
    result = parse_when(words.split(), NOW)
    assert isinstance(result, str) and plain(result).startswith(error)


def test_parse_when_explains_in_the_operators_language() -> None:
    """The words to type stay (at, in, 2h); the explanation and the date are the reader's."""
    past = parse_when(["at", "2025-05-01T10:00"], NOW, "fa")
    assert isinstance(past, str)
    assert plain(past).startswith(
        "آن زمان گذشته است: ۱۱ اردیبهشت ۱۴۰۴، ساعت ۱۰:۰۰ به وقت تهران — ۳۱ روز و ۲ ساعت پیش. بگویید کی: "
    )
    assert_reads_right([past])
    # The example is tomorrow at 18:00, in the Persian reader's calendar.
    assert "at ۱۴۰۴-۰۳-۱۲ ۱۸:۰۰" in plain(past)
    unreadable = parse_when(["in", "soon"], NOW, "ar")
    assert isinstance(unreadable, str)
    assert plain(unreadable) == (
        "تعذّرت قراءة «in soon». قل متى: /announce [القناة] at ٢٠٢٥-٠٦-٠٢ ١٨:٠٠ (أو at 18:30 "
        "لأقرب ١٨:٣٠ قادمة)، أو /announce [القناة] in 2h (وأيضًا 90m و1h30m و2 days)."
    )
    assert_reads_right([unreadable])


def test_split_schedule_and_overdue_action() -> None:
    assert split_schedule(["demo", "at", "18:00"]) == (["demo"], ["at", "18:00"])
    assert split_schedule(["in", "2h"]) == ([], ["in", "2h"])
    assert split_schedule(["demo"]) is None
    assert overdue_action(due_at=100, now=50, grace_s=900) == "schedule"
    assert overdue_action(due_at=100, now=900, grace_s=900) == "post"
    assert overdue_action(due_at=100, now=1001, grace_s=900) == "ask"


def row(post_id: int, due_at: float, state: str = "open") -> ScheduledPost:
    return ScheduledPost(post_id, "demo", due_at, 0.0, 4242, state, None, None)


def test_plan_restore_sorts_what_start_up_finds() -> None:
    rows = [
        row(1, 100.0, "posting"),  # cut off while posting, due or not
        row(2, 5000.5),
        row(3, 4500.0),  # due 500 s ago: within the 900 s grace period
        row(4, 3000.0),  # due 2000 s ago: the operators decide
    ]
    assert plan_restore(rows, now=5000.0, grace_s=900) == RestorePlan(
        now=5000.0,
        queue=(rows[1],),
        post=(rows[2],),
        ask=(rows[3],),
        interrupted=(rows[0],),
    )
    exactly_grace_late = row(5, 4100.0)
    assert plan_restore([exactly_grace_late], now=5000.0, grace_s=900).post == (exactly_grace_late,)
    assert plan_restore([], now=5000.0, grace_s=900) == RestorePlan(5000.0)


async def schedule(sim: BotAPISimulator, operator: SimUser, args: str) -> SimMessage:
    sent = await sim.send_text(operator, f"/announce {args}")
    question = await sim.wait_for_message(
        operator.id,
        lambda m: any(d.startswith("schedule:") for _, d in m.callback_buttons()),
        after=sent.message_id,
    )
    await press(sim, operator, operator.id, question, callback_of(question, "schedule:confirm:"))
    return await sim.wait_for_message(
        operator.id, lambda m: m.message_id == question.message_id and not m.callback_buttons()
    )


async def test_a_scheduled_announcement_is_posted_when_due_and_reported(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    channel = sim.add_channel(username="kooch_demo")
    path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        sent = await sim.send_text(operator, "/announce demo in 1s")
        question = await sim.wait_for_message(
            operator.id,
            lambda m: bool(m.callback_buttons()) and "Schedule" in plain(m.text or ""),
            after=sent.message_id,
        )
        assert plain(question.text or "").startswith("Schedule the announcement above for @kooch_demo?\n⏰ ")
        assert sim.messages(channel.id) == []
        await press(sim, operator, operator.id, question, callback_of(question, "schedule:confirm:"))
        report = await sim.wait_for_message(
            operator.id, lambda m: "⏰ Scheduled announcement #1" in plain(m.text or "")
        )
        assert report.text is not None and "✅ @kooch_demo: posted (message 1), pinned" in plain(report.text)
        assert len(sim.messages(channel.id)) == 1
        listing = await say(sim, operator, "/schedule")
        assert plain(listing.text or "").startswith("Nothing is scheduled.")


async def test_schedule_lists_and_cancels(sim: BotAPISimulator, operator: SimUser, tmp_path: Path) -> None:
    channel = sim.add_channel(username="kooch_demo")
    path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    async with running_bot(path, sim.token, sim.url, poll_timeout=1) as app:
        done = await schedule(sim, operator, "in 2h")
        assert plain(done.text or "").startswith("⏰ #1: demo, ")
        listing = await say(sim, operator, "/schedule")
        assert listing.text is not None and plain(listing.text).startswith(
            "Scheduled announcements:\n⏰ #1: announcement"
        )
        shown = plain(listing.text)
        assert "in 1 h 59 min — @kooch_demo" in shown or "in 2 h — @kooch_demo" in shown
        answer = await press(sim, operator, operator.id, listing, "schedule:drop:1")
        assert answer.text == "#1 cancelled."
        again = await press(sim, operator, operator.id, listing, "schedule:drop:1")
        assert again.text == "#1 is no longer scheduled (posted or cancelled)."
        assert app.job_queue is not None
        assert app.job_queue.get_jobs_by_name("kooch:schedule:1") == ()
    assert sim.messages(channel.id) == []


async def test_a_scheduled_announcement_survives_a_restart(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    channel = sim.add_channel(username="kooch_demo")
    path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    clock = ManualClock(now=time.time())
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock):
        await schedule(sim, operator, "in 2s")
    clock.advance(2.5)  # due while the bot is down (within the 15 min grace period)
    assert sim.messages(channel.id) == []
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock):
        report = await sim.wait_for_message(
            operator.id, lambda m: "⏰ Scheduled announcement #1" in plain(m.text or "")
        )
    assert report.text is not None
    assert "✅ @kooch_demo: posted (message 1), pinned" in plain(report.text)
    assert len(sim.messages(channel.id)) == 1


async def test_a_post_later_than_the_grace_period_is_put_to_the_operators(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    channel = sim.add_channel(username="kooch_demo")
    config = base_config(tmp_path)
    config["schedule_grace_s"] = 0
    path = write_config(tmp_path / "config.yaml", config)
    # The bot is down while the post falls due: its clock moves on, nobody waits for it.
    clock = ManualClock(now=time.time())
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock):
        await schedule(sim, operator, "in 1s")
    clock.advance(90)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock):
        asked = await sim.wait_for_message(operator.id, lambda m: "Post it now?" in plain(m.text or ""))
        assert plain(asked.text or "").startswith("⏰ Scheduled announcement #1 for demo was due ")
        assert sim.messages(channel.id) == []
        status = await say(sim, operator, "/status")
        assert "waiting for an operator's decision" in plain(status.text or "")
        await press(sim, operator, operator.id, asked, "schedule:late:1")
        report = await sim.wait_for_message(
            operator.id, lambda m: "⏰ Scheduled announcement #1 (" in plain(m.text or "")
        )
        assert "✅ @kooch_demo: posted (message 1), pinned" in (plain(report.text or ""))
    assert len(sim.messages(channel.id)) == 1
