"""Reminder campaigns, the pure parts and the SQL: pace, options, wording, config, delivery states."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kooch.campaigns.model import (
    Audience,
    RateLimiter,
    RemindRequest,
    Tally,
    backoff_s,
    parse_remind,
    text_for,
)
from kooch.campaigns.store import CampaignStore, Outcome, ReminderSpec
from kooch.campaigns.wording import format_final, format_progress
from kooch.config import ConfigInvalid, parse_config
from kooch.store import Store
from kooch.store.db import Database
from kooch.subscribers.store import SubscriberStore

# ------------------------------------------------------------------------------ pace


def test_slots_are_evenly_spaced_at_the_rate() -> None:
    limiter = RateLimiter(rate_per_s=10)
    now = 100.0
    waits = [limiter.reserve(user, now) for user in range(1, 21)]
    assert waits[0] == 0.0
    assert waits[1:] == pytest.approx([0.1 * i for i in range(1, 20)])


def test_a_late_sender_never_bursts() -> None:
    limiter = RateLimiter(rate_per_s=29)
    now, starts = 0.0, []
    for user in range(1, 400):
        # A sender that is sometimes slow (a 0.2 s stall every 50 sends) then catches up.
        now += 0.2 if user % 50 == 0 else 0.001
        now += limiter.reserve(user, now)
        starts.append(now)
    worst = max(sum(1 for t in starts if s <= t < s + 1.0) for s in starts)
    assert worst <= 29 + 1  # 29/s, plus one at the window's edge (float rounding)


def test_one_chat_waits_a_second_between_two_sends() -> None:
    limiter = RateLimiter(rate_per_s=1000)
    assert limiter.reserve(7, 10.0) == 0.0
    assert limiter.reserve(7, 10.0) == pytest.approx(1.0)
    assert limiter.reserve(8, 10.0) < 0.01


def test_a_429_pauses_everyone_and_slows_the_campaign_until_it_recovers() -> None:
    limiter = RateLimiter(rate_per_s=20)
    limiter.reserve(1, 0.0)
    limiter.throttled(3.0, now=0.5)
    assert limiter.reserve(2, 0.5) == pytest.approx(3.0)
    assert limiter.current_rate == pytest.approx(16.0)
    limiter.throttled(1.0, now=4.0)
    assert limiter.current_rate == pytest.approx(12.8)
    # Ten quiet seconds later the pace creeps back, never above the configured rate.
    for t in range(15, 200, 11):
        limiter.reserve(100 + t, float(t))
    assert limiter.current_rate == pytest.approx(20.0)
    assert limiter.throttles == 2


def test_backoff_doubles_and_is_at_least_a_second() -> None:
    assert [backoff_s(a) for a in (1, 2, 3, 10)] == [2.0, 4.0, 8.0, 60.0]
    assert backoff_s(0) == 1.0


# ------------------------------------------------------------------------------ what operators type and read


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hello", RemindRequest("unmoved", None, None, "hello")),
        ("to:all lang:EN hi\nthere", RemindRequest("all", None, "en", "hi\nthere")),
        ("channel:demo  two words", RemindRequest("unmoved", "demo", None, "two words")),
        ("", RemindRequest("unmoved", None, None, "")),
        ("note: to:all is text here", RemindRequest("unmoved", None, None, "note: to:all is text here")),
    ],
    ids=["plain", "options-and-newline", "channel", "empty", "options-only-first"],
)
def test_parse_remind(raw: str, expected: RemindRequest) -> None:
    assert parse_remind(raw) == expected


def test_parse_remind_rejects_an_unknown_audience() -> None:
    assert parse_remind("to:everybody hi") == (
        "Unknown audience 'to:everybody': use to:unmoved (the default) or to:all."
    )


def test_text_for_picks_the_language_then_any_then_default() -> None:
    texts = {"fa": "سلام", "en": "Hello"}
    assert text_for(texts, "en", "fa") == "Hello"
    assert text_for(texts, "de", "fa") == "سلام"
    assert text_for({"*": "one"}, "en", "fa") == "one"


def test_progress_and_final_wording() -> None:
    tally = Tally(pending=500, sending=1, sent=1200, failed=3, unreachable=7, skipped=2)
    assert format_progress(4, tally, 25.0) == (
        "📨 Reminder campaign #4: running\n"
        "✅ sent 1,200 · ❌ failed 3 · 🚫 unreachable 7 · ⏳ remaining 501 of 1,713\n"
        "↪️ skipped 2 (moved, blocked the bot or used /forget meanwhile)\n"
        "⚡ 25.0 msg/s · ETA 20 s"
    )
    final = format_final(
        4, tally, cancelled=True, elapsed_s=125, resent=1, errors=[("Bad Request: message is too long", 3)]
    )
    assert final.splitlines() == [
        "📨 Reminder campaign #4 🛑 cancelled after 2 min 05 s.",
        "✅ sent: 1,200 of 1,713",
        "❌ failed: 3",
        "   • 3 × Bad Request: message is too long",
        "🚫 unreachable (blocked the bot or deleted their account): 7",
        "↪️ skipped (moved, blocked or used /forget meanwhile): 2",
        "⏸ not sent because of the cancel: 501",
        "⚠️ 1 send was in flight when Kooch stopped abruptly and was sent again: "
        "that user may have the reminder twice.",
    ]


# ------------------------------------------------------------------------------ config

BASE = """
operators: [1]
timezone: Asia/Tehran
channels: [{chat: "@kooch_demo", key: demo}]
services: [{key: soroush, name: Soroush, url: "https://splus.ir/x"}]
"""


def test_campaigns_and_reminders_config() -> None:
    config = parse_config(
        BASE
        + """
campaigns: {rate_per_s: 20, in_flight: 2, grace_minutes: 30}
reminders:
  - at: "2030-01-01T09:00"
    text: {fa: یادآوری, en: Reminder}
  - at: "2030-01-07T09:00+00:00"
    text: one for all
    audience: all
    channel: demo
    language: en
"""
    )
    assert (config.campaigns.rate_per_s, config.campaigns.in_flight, config.campaigns.grace_s) == (
        20,
        2,
        1800,
    )
    first, second = config.reminders
    assert first.at == datetime(2030, 1, 1, 5, 30, tzinfo=UTC).timestamp()  # 09:00 in Tehran
    assert first.texts == {"fa": "یادآوری", "en": "Reminder"}
    assert (second.at, second.texts, second.audience, second.channel) == (
        datetime(2030, 1, 7, 9, 0, tzinfo=UTC).timestamp(),
        {"*": "one for all"},
        "all",
        "demo",
    )


def test_a_reminders_time_may_be_solar_hijri_like_what_operators_type() -> None:
    """1408-10-12 is 1 January 2030: quoted or not (YAML reads it as a date), in any digits."""
    config = parse_config(
        BASE
        + """
reminders:
  - at: "1408-10-12 09:00"
    text: quoted
  - at: 1408-10-12 10:00:00
    text: a YAML datetime
  - at: ۱۴۰۸-۱۰-۱۲ ۱۱:۰۰
    text: Persian digits
  - at: 1408-10-12
    text: a YAML date, its midnight
"""
    )
    assert [r.at for r in config.reminders] == [
        datetime(2030, 1, 1, hour, 0, tzinfo=ZoneInfo("Asia/Tehran")).timestamp() for hour in (9, 10, 11, 0)
    ]


def test_campaign_defaults_are_below_telegrams_limit() -> None:
    config = parse_config(BASE)
    assert config.campaigns.rate_per_s == 25.0
    assert config.campaigns.in_flight == 1
    assert config.reminders == ()


def test_bad_reminders_are_reported_with_their_paths() -> None:
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(
            BASE
            + """
campaigns: {rate_per_s: 0, in_flight: 1.5}
reminders:
  - at: next tuesday
    text: {de: Hallo}
    audience: some
    channel: nosuch
"""
        )
    messages = [f"{e.path}: {e.message}" for e in caught.value.errors]
    assert messages == [
        "campaigns.rate_per_s: must be a number from 0.1 to 1000, not 0",
        "campaigns.in_flight: must be a whole number, not 1.5",
        "reminders[0].at: 'next tuesday' is not an ISO time such as '2025-06-01T09:00'",
        "reminders[0].text.de: 'de' has no texts; known: en, fa",
        "reminders[0].audience: 'some' must be unmoved (the default) or all",
        "reminders[0].channel: 'nosuch' is not a channel key; known: demo",
    ]


# ------------------------------------------------------------------------- SQL: audience, delivery states


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "kooch.db")
    yield s
    await s.close()


async def _people(store: Store) -> None:
    # 1, 2: fa, nothing acked; 3: en, acked demo; 4: came from demo's link; 5: blocked; 6: acked other
    for user_id, language, source in [(1, "fa", None), (2, "fa", None), (3, "en", None), (4, "fa", "demo"),
                                      (5, "fa", None), (6, "en", None)]:  # fmt: skip
        await SubscriberStore(store).record_start(user_id, language, source)
    await SubscriberStore(store).add_ack("demo", 3, "C", "en", "post")
    await SubscriberStore(store).add_ack("other", 6, "F", "en", "post")

    async def block(db: Database) -> None:
        await db.execute("UPDATE subscribers SET blocked = 1 WHERE user_id = 5")

    await store.write(block)


@pytest.mark.parametrize(
    ("audience", "count"),
    [
        (Audience(), 3),  # 1, 2, 4
        (Audience(channel="demo"), 4),  # 1, 2, 4, 6
        (Audience("all"), 5),
        (Audience("all", channel="demo"), 2),  # 3 (acked), 4 (its link)
        (Audience("all", language="en"), 2),
        (Audience(language="en"), 0),
    ],
    ids=["unmoved", "unmoved-in-demo", "all", "demo-audience", "all-en", "unmoved-en"],
)
async def test_audience_counts(store: Store, audience: Audience, count: int) -> None:
    await _people(store)
    assert await CampaignStore(store).count_audience(audience) == count


async def test_claim_commits_the_previous_outcome_and_skips_who_left(store: Store) -> None:
    await _people(store)
    campaigns = CampaignStore(store)
    campaign_id = await campaigns.create({"*": "hi"}, Audience(), None)
    assert await campaigns.start(campaign_id) == 3
    assert await campaigns.start(campaign_id) is None  # only once
    assert await campaigns.claim(campaign_id, 1, Audience())
    await SubscriberStore(store).add_ack("demo", 2, "B", "fa", "post")  # user 2 moves meanwhile
    assert not await campaigns.claim(campaign_id, 2, Audience(), Outcome(1, "sent"))
    assert await campaigns.claim(campaign_id, 4, Audience())
    assert await campaigns.recipients(campaign_id) == {1: "sent", 2: "skipped", 4: "sending"}
    # An abrupt stop: the one 'sending' row goes back to pending and is counted as resent.
    assert await campaigns.recover_in_flight() == {campaign_id: 1}
    assert (await campaigns.tally(campaign_id)).pending == 1
    info = await campaigns.get(campaign_id)
    assert info is not None and info.resent == 1


async def test_unreachable_marks_the_subscriber_blocked(store: Store) -> None:
    await _people(store)
    campaigns = CampaignStore(store)
    campaign_id = await campaigns.create({"*": "hi"}, Audience(), None)
    await campaigns.start(campaign_id)
    assert await campaigns.claim(campaign_id, 1, Audience())
    await campaigns.finish(campaign_id, Outcome(1, "unreachable", "Forbidden: bot was blocked by the user"))
    assert await campaigns.count_audience(Audience()) == 2
    await SubscriberStore(store).record_start(1, "fa", None)  # they /start again: reachable again
    assert await campaigns.count_audience(Audience()) == 3


async def test_reminders_follow_the_config_but_keep_their_fate(store: Store) -> None:
    campaigns = CampaignStore(store)
    a = ReminderSpec("a", 100.0, {"*": "one"}, Audience())
    b = ReminderSpec("b", 200.0, {"*": "two"}, Audience("all"))
    await campaigns.sync_reminders([a, b])
    assert await campaigns.start_reminder("a", ("scheduled",)) == 1
    assert await campaigns.start_reminder("a", ("scheduled",)) is None
    assert await campaigns.set_reminder_state("b", "cancelled", ("scheduled",))
    await campaigns.sync_reminders([a, ReminderSpec("b", 200.0, {"*": "two, edited"}, Audience("all"))])
    assert {r.key: r.state for r in await campaigns.reminders()} == {"a": "started", "b": "cancelled"}
    await campaigns.sync_reminders([ReminderSpec("c", 300.0, {"*": "three"}, Audience())])
    assert {r.key: r.state for r in await campaigns.reminders()} == {
        "a": "started",
        "b": "cancelled",
        "c": "scheduled",
    }
