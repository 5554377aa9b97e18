"""Operator insight end to end, the real bot against the Bot API simulator: the /stats chart,
/export as documents, /audit, /privacy from the config, the retention job at start-up, and
non-operators kept out."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure

from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.clock import ManualClock
from kooch.insight import charts
from kooch.insight.pseudonym import AUDIT_SCOPE, KEY_ENV, Pseudonymizer, load_key
from kooch.operators.audit import AuditLog
from kooch.operators.wording import REFUSAL
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from kooch.store import Store
from kooch.subscribers.store import SubscriberStore
from tests.bidi_kit import assert_reads_right, plain
from tests.chart_kit import Picture, drawn_figures, read_picture
from tests.kit import (
    announce,
    base_config,
    eventually,
    press,
    running_bot,
    say,
    say_and_collect,
    write_config,
)

DAY = 86400.0
PERSIAN_OPERATOR = 4343


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


async def tap(sim: BotAPISimulator, channel: SimChat, users: list[SimUser]) -> None:
    post = sim.messages(channel.id)[0]
    await asyncio.gather(*(press(sim, u, channel.id, post, "ack:demo") for u in users))


def longer_than(n: int) -> Callable[[list[Any]], bool]:
    return lambda rows: len(rows) > n


def csv_rows(message: SimMessage) -> list[dict[str, str]]:
    assert message.document is not None
    return list(csv.DictReader(io.StringIO(message.document.data.decode("utf-8-sig"))))


async def audit_rows(path: Path) -> list[tuple[int | str | None, str, str]]:
    """(operator id, or the pseudonym of a non-operator; action; result) of every audit row."""
    store = await Store.open(path)
    try:
        return [
            (e.operator_id if e.operator_id is not None else e.pseudonym, e.action, e.result)
            for e in await AuditLog(store).recent(100)
        ]
    finally:
        await store.close()


def audit_pseudonym(folder: Path, user: SimUser) -> str:
    return Pseudonymizer(load_key(folder), AUDIT_SCOPE)(user.id)


async def test_stats_sends_a_png_chart_after_the_text(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
) -> None:
    await announce(sim, operator)
    await tap(sim, channel, [sim.add_user(f"U{i}", "fa") for i in range(7)])
    text, chart = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
    assert text.text is not None and "moved: 7" in text.text
    assert chart.photo is not None
    png = chart.photo.data
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1000, 1000)
    assert chart.caption == "📈 7 moved"


async def test_other_updates_are_answered_while_the_chart_is_drawn(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The drawing is held until a subscriber has been answered: were it run on the event loop,
    the loop would be stuck in it and the subscriber would never get the reply."""
    release = threading.Event()
    draw = charts.render_png

    def held_render(data: charts.ChartData) -> bytes:
        assert release.wait(20), "the test never released the drawing"
        return draw(data)

    monkeypatch.setattr(charts, "render_png", held_render)
    await announce(sim, operator)
    await sim.send_text(operator, "/stats")
    # The chat action is sent just before the drawing starts in its worker thread (a call that
    # changes no message, so the simulator's wait_until would not notice it: poll).
    await eventually(lambda: sim.calls_of("sendChatAction"), "a chat action sent", on=sim)
    reply = await say(sim, sim.add_user("Sam", "en"), "/links")
    assert reply.text is not None
    assert not sim.calls_of("sendPhoto")
    release.set()
    await sim.wait_until(lambda: bool(sim.calls_of("sendPhoto")), timeout=30)


async def test_export_sends_pseudonymised_csv_documents(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    tmp_path: Path,
) -> None:
    await announce(sim, operator)
    users = [sim.add_user(f"U{i}", "fa" if i % 2 else "en") for i in range(5)]
    await tap(sim, channel, users)
    acks_doc, clicks_doc = await say_and_collect(sim, operator, "/export", 2, timeout=30)

    assert acks_doc.document is not None and clicks_doc.document is not None
    assert acks_doc.document.filename is not None and acks_doc.document.filename.endswith("-acks.csv")
    assert acks_doc.document.mime_type == "text/csv"
    assert acks_doc.caption is not None and "user_pseudonym" in acks_doc.caption
    rows = csv_rows(acks_doc)
    assert list(rows[0]) == [
        "time",
        "channel",
        "service",
        "language",
        "source",
        "arrived_on",
        "user_pseudonym",
    ]
    assert {r["channel"] for r in rows} == {"demo"}
    # The key was generated next to the database; the codes are those of that key.
    hasher = Pseudonymizer(load_key(tmp_path, environ={}))
    assert sorted(r["user_pseudonym"] for r in rows) == sorted(hasher(u.id) for u in users)
    assert clicks_doc.document.data.decode("utf-8-sig").splitlines()[0] == (
        "day,channel,service,clicks,bot_requests"
    )
    assert len(sim.calls_of("sendDocument")) == 2

    # A second export gives every user the same code again.
    again, _ = await say_and_collect(sim, operator, "/export demo 7d", 2, timeout=30)
    assert sorted(r["user_pseudonym"] for r in csv_rows(again)) == sorted(r["user_pseudonym"] for r in rows)


async def test_export_with_real_ids_when_the_config_says_so(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    raw = base_config(tmp_path)
    raw["privacy"] = {"export_user_ids": True}
    config_file = write_config(tmp_path / "config.yaml", raw)
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1):
        await announce(sim, operator)
        user = sim.add_user("Sara", "fa")
        await tap(sim, channel, [user])
        acks_doc, _ = await say_and_collect(sim, operator, "/export", 2, timeout=30)
    rows = csv_rows(acks_doc)
    assert [r["user_id"] for r in rows] == [str(user.id)]
    assert acks_doc.caption is not None and "Real Telegram user ids" in acks_doc.caption


async def test_export_explains_bad_arguments(
    sim: BotAPISimulator,
    operator: SimUser,
    bot: App,
) -> None:
    reply = await say(sim, operator, "/export nowhere")
    assert reply.text is not None
    assert reply.text.startswith("I do not understand 'nowhere'. Channels: demo.")
    assert "Usage: /export [channel] [since]" in reply.text
    assert not sim.calls_of("sendDocument")


async def test_audit_lists_actions_in_order(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    tmp_path: Path,
) -> None:
    stranger = sim.add_user("Stranger", "en")
    audit = services_of(bot).audit
    # One at a time, each audited (committed) before the next: the audit's order is then known.
    for user, command in ((operator, "/preview"), (stranger, "/announce"), (operator, "/export nowhere")):
        before = len(await audit.recent(100))
        await say(sim, user, command)
        await eventually(
            lambda: audit.recent(100),
            f"{command} audited",
            until=longer_than(before),
            on=services_of(bot).store,
        )
    reply = await say(sim, operator, "/audit 3")
    assert reply.text is not None
    lines = plain(reply.text).splitlines()
    assert lines[0].startswith("🧾 Last 3 operator actions, oldest first (Tehran time):")
    assert [line.split(" · ")[1:3] for line in lines[1:]] == [
        [str(operator.id), "preview"],
        [f"user:{audit_pseudonym(tmp_path, stranger)}", "announce"],
        [str(operator.id), "export"],
    ]
    assert lines[2].endswith(" · announce · (text not kept) → refused: not an operator")
    assert lines[3].endswith("→ bad arguments")
    usage = await say(sim, operator, "/audit lots")
    assert usage.text == "Usage: /audit [N], N from 1 to 200 (default 20)."


@pytest.mark.parametrize("command", ["/export", "/export demo", "/audit", "/audit 5"])
async def test_non_operators_cannot_export_or_audit(
    sim: BotAPISimulator,
    channel: SimChat,
    bot: App,
    tmp_path: Path,
    command: str,
) -> None:
    stranger = sim.add_user("Stranger", "en")
    reply = await say(sim, stranger, command)
    assert reply.text == REFUSAL
    # Every update the bot took has been handled to its end: nothing more can follow the refusal.
    await asyncio.wait_for(bot.update_queue.join(), 10)
    assert [m.text for m in sim.messages(stranger.id) if m.from_bot] == [REFUSAL]
    assert not sim.calls_of("sendDocument")
    action = command.split()[0][1:]
    assert await audit_rows(tmp_path / "kooch.db") == [
        (audit_pseudonym(tmp_path, stranger), action, "refused: not an operator")
    ]


async def test_privacy_follows_the_config(sim: BotAPISimulator, tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    raw["privacy"] = {"retention_days": 45}
    config_file = write_config(tmp_path / "config.yaml", raw)
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1):
        fa = await say(sim, sim.add_user("Ali", "fa"), "/privacy")
        en = await say(sim, sim.add_user("Sam", "en"), "/privacy")
    assert en.text is not None and "How long: 45 days, then it is deleted automatically" in en.text
    assert "you appear as a code, not your id" in en.text
    assert fa.text is not None and "تا چه زمانی: ۴۵ روز" in plain(fa.text)
    assert_reads_right([fa.text])


async def seed_old_rows(path: Path, now: float) -> None:
    store = await Store.open(path)
    subscribers = SubscriberStore(store)
    try:
        for i in range(4):
            await subscribers.add_ack("demo", 500 + i, "Old", "fa", "post", at=now - 40 * DAY)
        await subscribers.add_ack("demo", 600, "New", "fa", "post", at=now - 3600)
        await subscribers.record_start(500, "fa", None, at=now - 40 * DAY)
        await subscribers.record_start(600, "fa", None, at=now - 60)
    finally:
        await store.close()


async def rows_left(path: Path) -> tuple[list[Any], list[Any]]:
    store = await Store.open(path)
    try:
        acks = [r[0] for r in await store.reader.fetch("SELECT user_id FROM acks ORDER BY user_id")]
        subs = [r[0] for r in await store.reader.fetch("SELECT user_id FROM subscribers ORDER BY user_id")]
        return acks, subs
    finally:
        await store.close()


async def test_retention_runs_at_start_up_and_stats_still_count_everyone(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    now = time.time()
    await seed_old_rows(tmp_path / "kooch.db", now)
    raw = base_config(tmp_path)
    raw["privacy"] = {"retention_days": 30}
    config_file = write_config(tmp_path / "config.yaml", raw)
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1) as app:
        jobs = app.job_queue.get_jobs_by_name("kooch-retention") if app.job_queue else ()
        assert len(jobs) == 1  # the daily one (the start-up run is a one-off)
        await eventually(
            lambda: rows_left(tmp_path / "kooch.db"),
            "the retention job run at start-up",
            until=lambda left: left[0] == [600],
            on=services_of(app).store,
        )
        text, _chart = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
    assert await rows_left(tmp_path / "kooch.db") == ([600], [600])
    assert text.text is not None
    assert "moved: 5 (last 24 h: 1)" in text.text
    assert "Users who started the bot: 2" in text.text
    audit = await audit_rows(tmp_path / "kooch.db")
    assert (0, "retention", "deleted 4 acknowledgements, 1 starts") in audit


async def test_stats_says_how_many_starts_retention_expired_in_the_readers_words(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    now = time.time()
    await seed_old_rows(tmp_path / "kooch.db", now)
    raw = base_config(tmp_path)
    raw["privacy"] = {"retention_days": 30}
    raw["operators"] = [operator.id, PERSIAN_OPERATOR]
    persian = sim.add_user("Reza", "fa", user_id=PERSIAN_OPERATOR)
    config_file = write_config(tmp_path / "config.yaml", raw)
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1) as app:
        await eventually(
            lambda: rows_left(tmp_path / "kooch.db"),
            "the retention job run at start-up",
            until=lambda left: left[1] == [600],
            on=services_of(app).store,
        )
        en, _chart = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
        fa, _chart = await say_and_collect(sim, persian, "/stats", 2, timeout=30)
    assert en.text is not None and fa.text is not None
    assert "Users who started the bot: 2\n  1 of them are no longer stored: the retention rule" in en.text
    assert "کاربرانی که ربات را شروع کرده‌اند: ۲\n  ۱ نفر از آنها دیگر نگه‌داری نمی‌شوند" in plain(fa.text)
    assert_reads_right([fa.text])


async def test_stats_says_nothing_of_expired_starts_when_there_are_none(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, config_file: Path
) -> None:
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1):
        en, _chart = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
    assert en.text is not None and "Users who started the bot: 0" in en.text
    assert "no longer stored" not in en.text


# --------------------------------------------------------------------------------------------
# The chart says what the text says


#: A slot boundary plus 7 minutes: the announcement is posted inside a 15-minute slot, not at its start.
SLOT_START = 1_800_000_000.0
POSTED = SLOT_START + 420


def stats_figures(text: str) -> dict[str, int]:
    """The figures of an English one-channel /stats text."""
    found = re.search(r"moved: ([\d,]+) \(last 24 h: ([\d,]+)\)", text)
    members = re.search(r"members: ([\d,]+)", text)
    assert found and members, text
    return {
        "total": int(found.group(1).replace(",", "")),
        "last_24h": int(found.group(2).replace(",", "")),
        "members": int(members.group(1).replace(",", "")),
    }


async def stats_and_picture(
    sim: BotAPISimulator, operator: SimUser, figures: list[Figure]
) -> tuple[dict[str, int], Picture]:
    """/stats as the operator gets it: the text's figures, and the picture that became the photo."""
    drawn = len(figures)
    text, chart = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
    assert text.text is not None and chart.photo is not None
    assert len(figures) == drawn + 1
    assert chart.caption == f"📈 {stats_figures(text.text)['total']:,} moved"
    return stats_figures(text.text), read_picture(figures[-1])


async def test_the_chart_shows_the_numbers_the_stats_text_says(
    sim: BotAPISimulator, operator: SimUser, config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The day of issue 21, replayed on a manual clock: 12,500 members, 50 move in the post's
    first minutes, 2 later; clicks not counted. Then a day later, with the start of the last 24
    hours falling inside a 15-minute slot that has taps on both sides of it."""
    channel = sim.add_channel(username="kooch_demo", title="Kooch demo", member_count=12_500)
    clock = ManualClock(now=POSTED)
    users = iter([sim.add_user(f"U{i}", "fa") for i in range(70)])

    async def taps(n: int) -> None:
        await tap(sim, channel, [next(users) for _ in range(n)])

    with drawn_figures(monkeypatch) as figures:
        async with running_bot(config_file, sim.token, sim.url, poll_timeout=1, clock=clock):
            await announce(sim, operator)
            clock.advance(60)
            await taps(50)  # in the announcement's own slot
            clock.set(SLOT_START + 2 * 3600 + 60)
            await taps(2)
            said, drawn = await stats_and_picture(sim, operator, figures)

            assert said == {"total": 52, "last_24h": 52, "members": 12_500}
            # Younger than a day: one time panel, not two alike.
            assert drawn.panels == ["cumulative", "funnel"]
            (line,) = drawn.lines["cumulative"].values()
            assert line.final == 52
            # No step before the post: the first 50 are drawn when their slot ended.
            assert min(line.rises()) >= POSTED
            assert line.rises() == [SLOT_START + 900, SLOT_START + 2 * 3600 + 60]
            assert "@kooch_demo: 52" in drawn.texts["cumulative"]
            # The funnel: the members and those who moved, written on the bars; no clicks bar.
            assert drawn.bars == {"members:@kooch_demo": 12_500, "acks:@kooch_demo": 52}
            assert " 12,500" in drawn.texts["funnel"] and " 52 (0.4%)" in drawn.texts["funnel"]
            assert " clicks: not counted" in drawn.texts["funnel"]
            # Whole numbers on the count axis, each once.
            ticks = drawn.count_ticks["cumulative"]
            assert len(ticks) == len(set(ticks)) >= 3 and all(re.fullmatch(r"[\d,]+", t) for t in ticks)

            # 3 more at 02:01 and 4 at 02:10, in one slot; a day later, 5 more just before now: the
            # last 24 hours start at 02:05 the day before, inside that slot.
            clock.set(SLOT_START + 2 * 3600 + 60)
            await taps(3)
            clock.set(SLOT_START + 2 * 3600 + 600)
            await taps(4)
            clock.set(SLOT_START + 2 * 3600 + 300 + DAY - 100)
            await taps(5)
            clock.advance(100)
            said, drawn = await stats_and_picture(sim, operator, figures)

    assert said == {"total": 64, "last_24h": 9, "members": 12_500}
    assert drawn.panels == ["cumulative", "last24", "funnel"]
    (line,) = drawn.lines["cumulative"].values()
    (day,) = drawn.lines["last24"].values()
    assert line.final == 64
    assert day.final == 9 and day.values[0] == 0
    assert "@kooch_demo: 9" in drawn.texts["last24"]
    assert drawn.bars == {"members:@kooch_demo": 12_500, "acks:@kooch_demo": 64}
