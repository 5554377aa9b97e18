"""Dates operators type, end to end: the real bot against the Bot API simulator, a Persian and an
English operator, the clock held at 15 Azar 1405 (6 December 2026) 15:00 in Tehran.

A Persian operator types dates as Kooch shows them (Solar Hijri, Persian or Latin digits) and an
English one may too; Gregorian dates stay accepted (a year from 1900 on). Each is said back in the
reader's calendar with how far it is; a moment already past is refused with how long ago; a date
that does not exist is explained with an example in the reader's calendar; /help's example is
tomorrow.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kooch.clock import ManualClock
from kooch.i18n.date_input import TypedMoment, read_moment
from kooch.insight.pseudonym import KEY_ENV
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import (
    OPERATOR_ID,
    announce,
    base_config,
    callback_of,
    press,
    query,
    running_bot,
    say,
    say_and_collect,
    write_config,
)

TZ = "Asia/Tehran"
TEHRAN = ZoneInfo(TZ)
#: 15 Azar 1405, 15:00 in Tehran.
NOW = datetime(2026, 12, 6, 15, 0, tzinfo=TEHRAN).timestamp()
#: 16 Azar 1405 (7 December 2026), 18:00 in Tehran: 1 day and 3 hours after NOW.
DUE = datetime(2026, 12, 7, 18, 0, tzinfo=TEHRAN).timestamp()
EN_OPERATOR_ID = 4343


@dataclass
class Operators:
    sim: BotAPISimulator
    clock: ManualClock
    fa: SimUser
    en: SimUser
    channel: SimChat
    database: Path


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


@pytest.fixture
async def operators(sim: BotAPISimulator, tmp_path: Path) -> AsyncIterator[Operators]:
    channel = sim.add_channel(username="kooch_demo", title="Kooch demo", member_count=1000)
    fa = sim.add_user("گرداننده", "fa", user_id=OPERATOR_ID)
    en = sim.add_user("Operator", "en", user_id=EN_OPERATOR_ID)
    config = base_config(tmp_path)
    config["operators"] = [OPERATOR_ID, EN_OPERATOR_ID]
    clock = ManualClock(now=NOW)
    path = write_config(tmp_path / "config.yaml", config)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock):
        yield Operators(sim, clock, fa, en, channel, tmp_path / "kooch.db")


async def schedule_question(sim: BotAPISimulator, operator: SimUser, args: str) -> SimMessage:
    sent = await sim.send_text(operator, f"/announce {args}")
    return await sim.wait_for_message(
        operator.id,
        lambda m: any(d.startswith("schedule:") for _, d in m.callback_buttons()),
        after=sent.message_id,
    )


def due_times(database: Path) -> list[float]:
    return [float(r[0]) for r in query(database, "SELECT due_at FROM scheduled_posts ORDER BY id")]


@pytest.mark.parametrize("typed", ["۱۴۰۵-۰۹-۱۶ ۱۸:۰۰", "1405/09/16 18:00", "2026-12-07T18:00"])
async def test_a_persian_operator_schedules_in_solar_hijri_and_reads_it_back(
    operators: Operators, typed: str
) -> None:
    sim, fa = operators.sim, operators.fa
    question = await schedule_question(sim, fa, f"demo at {typed}")
    lines = plain(question.text or "").splitlines()
    assert lines[0] == "اعلان بالا برای @kooch_demo زمان‌بندی شود؟"
    assert lines[1] == "⏰ ۱۶ آذر ۱۴۰۵، ساعت ۱۸:۰۰ به وقت تهران — ۱ روز و ۳ ساعت دیگر"
    assert_reads_right([question.text or ""])
    await press(sim, fa, fa.id, question, callback_of(question, "schedule:confirm:"))
    done = await sim.wait_for_message(
        fa.id, lambda m: m.message_id == question.message_id and not m.callback_buttons()
    )
    assert plain(done.text or "").startswith(
        "⏰ #۱: demo، ۱۶ آذر ۱۴۰۵، ساعت ۱۸:۰۰ به وقت تهران — ۱ روز و ۳ ساعت دیگر"
    )
    assert_reads_right([done.text or ""])
    assert due_times(operators.database) == [DUE]
    listing = await say(sim, fa, "/schedule")
    assert "۱۴۰۵-۰۹-۱۶ ۱۸:۰۰" in plain(listing.text or "")


@pytest.mark.parametrize(
    "typed", ["1405-09-16T18:00", "۱۴۰۵-۰۹-۱۶ ۱۸:۰۰", "2026-12-07 18:00", "7 Dec 2026 18:00"]
)
async def test_an_english_operator_types_either_calendar_and_reads_gregorian(
    operators: Operators, typed: str
) -> None:
    sim, en = operators.sim, operators.en
    question = await schedule_question(sim, en, f"demo at {typed}")
    lines = plain(question.text or "").splitlines()
    assert lines[:2] == [
        "Schedule the announcement above for @kooch_demo?",
        "⏰ 7 Dec 2026 18:00 Tehran time — in 1 day and 3 hours",
    ]
    await press(sim, en, en.id, question, callback_of(question, "schedule:confirm:"))
    await sim.wait_for_message(
        en.id, lambda m: m.message_id == question.message_id and not m.callback_buttons()
    )
    assert due_times(operators.database) == [DUE]


async def test_a_moment_in_the_past_is_refused_saying_how_long_ago(operators: Operators) -> None:
    sim = operators.sim
    # What used to happen: 1405-09-16 read as Gregorian, «۰۷۸۴-۰۶-۲۵ … گذشته است».
    fa = await say(sim, operators.fa, "/announce demo at ۱۴۰۵-۰۹-۱۵ ۰۹:۰۰")
    assert plain(fa.text or "").startswith(
        "آن زمان گذشته است: ۱۵ آذر ۱۴۰۵، ساعت ۰۹:۰۰ به وقت تهران — ۶ ساعت پیش. بگویید کی: "
        "/announce [کانال] at ۱۴۰۵-۰۹-۱۶ ۱۸:۰۰"
    )
    en = await say(sim, operators.en, "/announce demo at 2025-12-06 15:00")
    assert plain(en.text or "").startswith(
        "That moment has passed: 6 Dec 2025 15:00 Tehran time — 1 year ago. Say when: "
        "/announce [channel] at 2026-12-07 18:00"
    )
    assert_reads_right([fa.text or "", en.text or ""])
    assert due_times(operators.database) == []


async def test_a_date_that_does_not_exist_is_explained_in_the_readers_calendar(operators: Operators) -> None:
    sim = operators.sim
    fa = await say(sim, operators.fa, "/announce demo at ۱۴۰۴-۱۲-۳۰ ۱۰:۰۰")
    assert plain(fa.text or "") == (
        "«۱۴۰۴-۱۲-۳۰ ۱۰:۰۰» را روز ۳۰ از ماه ۱۲ سال ۱۴۰۴ خورشیدی خواندم (سال‌های پیش از ۱۹۰۰ "
        "خورشیدی‌اند). آن ماه ۲۹ روز دارد. برای نمونه: ۱۴۰۵-۰۹-۱۶ ۱۸:۰۰"
    )
    en = await say(sim, operators.en, "/announce demo at 1405-13-01")
    assert plain(en.text or "") == (
        "I read “1405-13-01” as day 1, month 13, year 1405 of the Solar Hijri calendar (years below "
        "1900 are Solar Hijri). There is no month 13: months go from 1 to 12. For example: 2026-12-07 18:00"
    )
    assert_reads_right([fa.text or "", en.text or ""])


async def tap(sim: BotAPISimulator, channel: SimChat, users: list[SimUser]) -> None:
    post = sim.messages(channel.id)[0]
    await asyncio.gather(*(press(sim, u, channel.id, post, "ack:demo") for u in users))


async def test_export_since_a_solar_hijri_date_exports_from_that_day(operators: Operators) -> None:
    sim, clock = operators.sim, operators.clock
    # Two taps on 29 Aban 1405 (20 November 2026), three on 15 Azar (6 December).
    clock.set(datetime(2026, 11, 20, 12, 0, tzinfo=TEHRAN).timestamp())
    await announce(sim, operators.en)
    await tap(sim, operators.channel, [sim.add_user(f"Early{i}", "fa") for i in range(2)])
    clock.set(NOW)
    await tap(sim, operators.channel, [sim.add_user(f"Late{i}", "fa") for i in range(3)])
    # 1 Azar 1405 is 22 November 2026: the last three only.
    for operator, command, since in (
        (
            operators.fa,
            "/export demo ۱۴۰۵-۰۹-۰۱",
            "از ۱ آذر ۱۴۰۵، ساعت ۰۰:۰۰ به وقت تهران — ۱۴ روز و ۱۵ ساعت پیش",
        ),
        (
            operators.fa,
            "/export demo 1405/09/01",
            "از ۱ آذر ۱۴۰۵، ساعت ۰۰:۰۰ به وقت تهران — ۱۴ روز و ۱۵ ساعت پیش",
        ),
        (
            operators.en,
            "/export demo 1405-09-01",
            "since 22 Nov 2026 00:00 Tehran time — 14 days and 15 hours ago",
        ),
        (
            operators.en,
            "/export demo 2026-11-22 06:00",
            "since 22 Nov 2026 06:00 Tehran time — 14 days and 9 hours ago",
        ),
    ):
        acks, _ = await say_and_collect(sim, operator, command, 2, timeout=30)
        assert acks.document is not None and acks.caption is not None
        assert len(acks.document.data.decode("utf-8-sig").strip().splitlines()) == 1 + 3, command
        assert since in plain(acks.caption), (command, plain(acks.caption))
        assert_reads_right([acks.caption])
    everything, _ = await say_and_collect(sim, operators.en, "/export demo", 2, timeout=30)
    assert everything.document is not None
    assert len(everything.document.data.decode("utf-8-sig").strip().splitlines()) == 1 + 5


async def test_export_explains_a_date_that_does_not_exist(operators: Operators) -> None:
    sim = operators.sim
    reply = await say(sim, operators.fa, "/export demo ۱۴۰۵-۱۳-۰۱")
    assert plain(reply.text or "") == (
        "«۱۴۰۵-۱۳-۰۱» را روز ۱ از ماه ۱۳ سال ۱۴۰۵ خورشیدی خواندم (سال‌های پیش از ۱۹۰۰ خورشیدی‌اند). "
        "ماه ۱۳ نداریم: سال ۱۲ ماه دارد. برای نمونه: ۱۴۰۵-۰۹-۰۸"
    )
    usage = await say(sim, operators.en, "/export demo soon")
    assert "since: a date (2026-11-29, Tehran time) or a span back from now (7d, 12h)." in plain(
        usage.text or ""
    )
    assert_reads_right([reply.text or "", usage.text or ""])
    assert not sim.calls_of("sendDocument")


async def test_help_examples_are_tomorrow_in_the_readers_calendar(operators: Operators) -> None:
    sim = operators.sim
    fa = plain((await say(sim, operators.fa, "/help")).text or "")
    en = plain((await say(sim, operators.en, "/help")).text or "")
    assert "/announce [کانال] at ۱۴۰۵-۰۹-۱۶ ۱۸:۰۰ (یا in 2h)" in fa
    assert "/announce [channel] at 2026-12-07 18:00 (or in 2h)" in en
    # Typed back as shown, each is in the future of the bot's clock.
    for text, marker in ((fa, "at ۱۴۰۵"), (en, "at 2026")):
        start = text.index(marker) + 3
        typed = read_moment(text[start : start + 16], TZ)
        assert isinstance(typed, TypedMoment)
        assert typed.moment.timestamp() > operators.clock.now()
