"""One announcement per channel unless an operator says otherwise (issue 21): the schedule path,
its approval request and a scheduled post's due time apply /announce's rule
(kooch/announce/duplicates.py) and its link check.

End to end with the real bot against the simulator, an English and a Persian operator; time is
the bot's ManualClock (a scheduled post's job is run when the clock says it is due), and every
Persian message is laid out by the bidi algorithm as a client draws it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import yaml

from kooch.announce.duplicates import Ask, changed, posted_since, to_ask
from kooch.announce.post.wording import announced_meanwhile, choose_again, second_label, second_lines
from kooch.announce.schedule.model import ScheduledHeld
from kooch.announce.schedule.wording import held_notice, scheduled_line
from kooch.announce.store import Announcement, ScheduledPost
from kooch.app.runner import App
from kooch.clock import ManualClock
from kooch.config import parse_config
from kooch.i18n.bidi import strip_controls
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from kooch.store.migrations import discover, migrate
from tests.bidi_kit import assert_reads_right, plain, screen
from tests.kit import (
    OPERATOR_ID,
    announce,
    base_config,
    callback_of,
    press,
    query,
    running_bot,
    say,
    write_config,
)
from tests.links_kit import Seen, serving
from tests.test_schedule import schedule

FA_ID = 4343


def ann(announcement_id: int) -> Announcement:
    return Announcement(announcement_id, "demo", -100, announcement_id, 0.0, OPERATOR_ID, "h", True)


@pytest.mark.parametrize(
    ("known", "now", "second", "broken", "anyway", "expected"),
    [
        ({}, {}, False, 0, False, None),
        ({}, {"demo": ann(1)}, False, 0, False, Ask.AFRESH),  # posted since the question
        ({"demo": 1}, {"demo": ann(1)}, False, 0, False, Ask.SECOND),  # shown, not chosen
        ({"demo": 1}, {"demo": ann(1)}, True, 0, False, None),
        ({"demo": 1}, {"demo": ann(2)}, True, 0, False, Ask.AFRESH),  # chose beside 1, 2 is new
        ({"demo": 1}, {"demo": ann(1)}, True, 1, False, Ask.LINKS),
        ({"demo": 1}, {"demo": ann(1)}, True, 1, True, None),
        ({}, {}, False, 2, True, None),
    ],
    ids=["clear", "afresh", "second", "chosen", "third", "links", "links-accepted", "no-duplicate"],
)
def test_the_rule(
    known: dict[str, int],
    now: dict[str, Announcement],
    second: bool,
    broken: int,
    anyway: bool,
    expected: Ask | None,
) -> None:
    assert to_ask(known, ["demo"], now, second=second, broken=broken, anyway=anyway) is expected


def test_posted_since_is_the_held_rule() -> None:
    assert not posted_since(None, None)
    assert posted_since(None, ann(1))
    assert not posted_since(1, ann(1))
    assert posted_since(1, ann(2))
    assert changed({"demo": 1}, ["demo", "other"], {"demo": ann(1), "other": ann(3)}) == ["other"]


@pytest.mark.parametrize("language", ["fa", "ar", "en"])
def test_every_new_text_reads_right(tmp_path: Path, language: str) -> None:
    """This feature's words, as the unit renders them, laid out as a client draws them."""
    raw = base_config(tmp_path)
    config = parse_config(yaml.safe_dump(raw, allow_unicode=True), "config.yaml", tmp_path)
    (channel,) = config.channels
    tz = config.timezone
    existing = Announcement(7, "demo", -100, 1234, 1_800_000_000.0, OPERATOR_ID, "h", True)
    scheduled = ScheduledPost(
        12, "demo", 1_800_003_600.0, 1_799_990_000.0, OPERATOR_ID, "held", None, None, 3
    )
    held = ScheduledHeld(scheduled, existing, 1_800_003_600.0)
    notice = held_notice(held, config, language)
    texts = [
        *second_lines([channel], {"demo": existing}, tz, language),
        second_label("announce", language),
        second_label("schedule", language),
        choose_again(language),
        announced_meanwhile(channel, existing, tz, language),
        notice.text,
        *(b.text for row in notice.buttons for b in row),
        scheduled_line(scheduled, tz, 1_800_007_200.0, language),
    ]
    assert_reads_right(texts)
    print("\n".join(line for text in texts for line in ["---", *screen(text)]))


# ------------------------------------------------------------------------------------ the bot


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def persian(sim: BotAPISimulator) -> SimUser:
    return sim.add_user("Shirin", "fa", user_id=FA_ID)


def two_operators(tmp_path: Path, approval: int = 1, **extra: Any) -> Path:
    config = base_config(tmp_path)
    config["operators"] = [OPERATOR_ID, {"id": FA_ID, "language": "fa"}]
    config["approval"] = approval
    config.update(extra)
    return write_config(tmp_path / "config.yaml", config)


@pytest.fixture
async def bot(
    sim: BotAPISimulator,
    operator: SimUser,
    persian: SimUser,
    channel: SimChat,
    tmp_path: Path,
    clock: ManualClock,
) -> AsyncIterator[App]:
    async with running_bot(two_operators(tmp_path), sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        await say(sim, persian, "/help")  # a bot writes only to who started it
        yield app


def has_button(prefix: str) -> Callable[[SimMessage], bool]:
    return lambda m: any(d.startswith(prefix) for _, d in m.callback_buttons())


def read(message: SimMessage, *, only: Callable[[str], bool] | None = None) -> str:
    """The message's text without its direction controls, printed as a client draws it
    (``pytest -s`` shows every one), after checking that every handle, date, number and command
    in it (in its lines that ``only`` picks: this feature's, in a message that has older ones)
    and in its buttons reads whole and in order."""
    text = message.text or ""
    print("\n".join(["---", *screen(text), *(f"[{t}]" for t, _ in message.callback_buttons())]))
    lines = [line for line in text.split("\n") if only is None or only(line)]
    assert_reads_right([*lines, *(t for t, _ in message.callback_buttons())])
    return strip_controls(text)


def warning(line: str) -> bool:
    """This feature's lines in the schedule's question: the "second one" warnings."""
    return "⚠️" in line


def anything(line: str) -> bool:
    """Nothing checked but the buttons: a message of another part (its dates are laid out by
    the bidi part of issue 21)."""
    return False


async def ask_schedule(sim: BotAPISimulator, user: SimUser, args: str) -> SimMessage:
    """``/announce <args>``; the schedule's question (the message with the buttons)."""
    sent = await sim.send_text(user, f"/announce {args}")
    return await sim.wait_for_message(user.id, has_button("schedule:"), after=sent.message_id)


def scheduled_rows(db: Path) -> list[tuple[Any, ...]]:
    return query(db, "SELECT id, state, known_announcement FROM scheduled_posts ORDER BY id")


async def due(app: App, clock: ManualClock, post_id: int, seconds: float) -> None:
    """Move the clock past the post's time and run its job, as the JobQueue does then."""
    clock.advance(seconds)
    assert app.job_queue is not None
    (job,) = app.job_queue.get_jobs_by_name(f"kooch:schedule:{post_id}")
    await job.run(app)


async def test_scheduling_over_an_announcement_warns_and_a_plain_confirm_schedules_nothing(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, bot: App, tmp_path: Path
) -> None:
    await announce(sim, operator)
    question = await ask_schedule(sim, operator, "in 2m")
    text = read(question)
    assert text.startswith("Schedule the announcement above for all channels (@kooch_demo)?\n⏰ ")
    assert "\n⚠️ @kooch_demo already has an announcement (message 1, posted " in text
    assert text.endswith("): this would be a second one beside it.")
    # The explicit choice is a button of its own; there is no plain "Schedule" beside it.
    assert [t for t, _ in question.callback_buttons()] == ["⏰ Schedule a second one", "Cancel"]
    second = callback_of(question, "schedule:second:")

    # A plain confirm (an old client, a forged press) schedules nothing: the question is asked again.
    plain = second.replace(":second:", ":confirm:")
    answer = await sim.wait_for_answer(sim.forge_callback_query(operator, question, plain))
    assert answer.text == "The channel has an announcement now: choose again."
    again = await sim.wait_for_message(
        operator.id, lambda m: m.message_id == question.message_id and callback_of(m, "schedule:") != second
    )
    assert [t for t, _ in again.callback_buttons()] == ["⏰ Schedule a second one", "Cancel"]
    assert "this would be a second one beside it." in read(again)
    assert scheduled_rows(tmp_path / "kooch.db") == []
    # The first question's buttons are spent.
    stale = await sim.wait_for_answer(sim.forge_callback_query(operator, question, second))
    assert stale.text == "This confirmation was already used or cancelled."
    await press(sim, operator, operator.id, again, callback_of(again, "schedule:cancel:"))
    assert scheduled_rows(tmp_path / "kooch.db") == []
    assert len(sim.messages(channel.id)) == 1


async def test_an_announcement_posted_before_the_scheduled_time_holds_the_post(
    sim: BotAPISimulator,
    operator: SimUser,
    persian: SimUser,
    channel: SimChat,
    bot: App,
    tmp_path: Path,
    clock: ManualClock,
) -> None:
    db = tmp_path / "kooch.db"
    await schedule(sim, operator, "in 2m")  # nothing posted yet: a plain confirm
    # Meanwhile, someone posts the announcement right away.
    await announce(sim, operator)
    assert len(sim.messages(channel.id)) == 1

    await due(bot, clock, 1, 121)
    held_en = await sim.wait_for_message(operator.id, has_button("schedule:late:1"))
    held_fa = await sim.wait_for_message(persian.id, has_button("schedule:late:1"))
    en, fa = read(held_en), read(held_fa)
    assert en.startswith("⏸ Scheduled announcement #1 for @kooch_demo (due ")
    assert (
        ") was held, not posted.\nThe channel got an announcement after it was scheduled (message 1, " in en
    )
    assert en.endswith("Post it anyway, or cancel it; /schedule lists it until then.")
    assert held_en.callback_buttons() == [
        ("📢 Post it anyway", "schedule:late:1"),
        ("✖️ Cancel it", "schedule:drop:1"),
    ]
    assert "نگه داشته شد و فرستاده نشد" in fa
    assert [t for t, _ in held_fa.callback_buttons()] == ["📢 با این حال بفرست", "✖️ لغوش کن"]
    assert len(sim.messages(channel.id)) == 1  # exactly one post
    assert scheduled_rows(db) == [(1, "held", None)]
    listing = await say(sim, operator, "/schedule")
    assert "⏸ #1: was due " in read(listing)
    assert callback_of(listing, "schedule:drop:") == "schedule:drop:1"
    # Its job again (a second replica's, a late timer) does nothing.
    await bot.job_queue.get_jobs_by_name("kooch:schedule:1")[0].run(bot)  # type: ignore[union-attr]
    assert len(sim.messages(channel.id)) == 1


async def test_a_held_post_survives_a_restart_unposted_until_an_operator_decides(
    sim: BotAPISimulator,
    operator: SimUser,
    persian: SimUser,
    channel: SimChat,
    tmp_path: Path,
    clock: ManualClock,
) -> None:
    path = two_operators(tmp_path)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        await say(sim, persian, "/help")
        await schedule(sim, operator, "in 2m")  # nothing posted yet: a plain confirm
        await announce(sim, operator)
        await due(app, clock, 1, 121)
        held = await sim.wait_for_message(operator.id, has_button("schedule:late:1"))
    clock.advance(3600)  # down for an hour: a held post is neither fired nor asked about
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        await say(sim, operator, "/schedule")
        assert app.job_queue is not None and app.job_queue.get_jobs_by_name("kooch:schedule:1") == ()
        assert not [m for m in sim.messages(operator.id) if "Post it now?" in (m.text or "")]
        assert len(sim.messages(channel.id)) == 1
        assert scheduled_rows(tmp_path / "kooch.db") == [(1, "held", None)]
        # "Post it anyway": the operator's decision posts it, once.
        answer = await press(sim, operator, operator.id, held, "schedule:late:1")
        assert answer.text == "Posting…"
        report = await sim.wait_for_message(
            operator.id, lambda m: "⏰ Scheduled announcement #1 (" in (m.text or "")
        )
        assert "✅ @kooch_demo: posted (message 2), pinned" in read(report)
        again = await press(sim, operator, operator.id, held, "schedule:late:1")
        assert again.text == "Posting…"
        await sim.wait_for_message(operator.id, lambda m: "#1 is no longer waiting" in (m.text or ""))
    assert len(sim.messages(channel.id)) == 2
    assert scheduled_rows(tmp_path / "kooch.db") == [(1, "done", None)]


async def test_post_a_second_one_is_the_explicit_choice_and_is_posted_when_due(
    sim: BotAPISimulator,
    operator: SimUser,
    persian: SimUser,
    channel: SimChat,
    bot: App,
    tmp_path: Path,
    clock: ManualClock,
) -> None:
    await announce(sim, operator)
    question = await ask_schedule(sim, persian, "in 2m")
    text = read(question, only=warning)
    assert "از پیش اعلان دارد" in text and "اعلان دومی کنار آن خواهد بود" in text
    assert [t for t, _ in question.callback_buttons()] == ["⏰ زمان‌بندیِ اعلانی دوم", "لغو"]
    answer = await press(sim, persian, persian.id, question, callback_of(question, "schedule:second:"))
    assert answer.text == "زمان‌بندی شد."
    done = await sim.wait_for_message(
        persian.id, lambda m: m.message_id == question.message_id and not m.buttons
    )
    read(done, only=anything)
    # Confirmed against announcement 1: that one does not hold it.
    assert scheduled_rows(tmp_path / "kooch.db") == [(1, "open", 1)]
    await due(bot, clock, 1, 121)
    report = await sim.wait_for_message(
        operator.id, lambda m: "⏰ Scheduled announcement #1 (" in (m.text or "")
    )
    assert "✅ @kooch_demo: posted (message 2), pinned" in read(report)
    notice = await sim.wait_for_message(persian.id, lambda m: "⏰ اعلان زمان‌بندی‌شدهٔ" in (m.text or ""))
    read(notice, only=anything)
    assert len(sim.messages(channel.id)) == 2
    assert scheduled_rows(tmp_path / "kooch.db") == [(1, "done", 1)]


async def test_the_approver_is_shown_that_it_would_be_a_second_announcement(
    sim: BotAPISimulator,
    operator: SimUser,
    persian: SimUser,
    channel: SimChat,
    tmp_path: Path,
    clock: ManualClock,
) -> None:
    path = two_operators(tmp_path, approval=2)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock):
        await say(sim, persian, "/help")
        await say(sim, operator, "/help")
        # The first announcement, approved by the Persian operator.
        sent = await sim.send_text(operator, "/announce")
        first = await sim.wait_for_message(operator.id, has_button("announce:"), after=sent.message_id)
        await press(sim, operator, operator.id, first, callback_of(first, "announce:confirm:"))
        request = await sim.wait_for_message(persian.id, has_button("approval:approve:"))
        await press(sim, persian, persian.id, request, callback_of(request, "approval:approve:"))
        await sim.wait_for_message(persian.id, lambda m: m.message_id == request.message_id and not m.buttons)
        assert len(sim.messages(channel.id)) == 1  # posted and recorded

        # The Persian operator schedules a second one; the English one is asked to approve.
        question = await ask_schedule(sim, persian, "in 2h")
        answer = await press(sim, persian, persian.id, question, callback_of(question, "schedule:second:"))
        assert answer.text == "برای تأیید فرستاده شد."
        request = await sim.wait_for_message(operator.id, has_button("approval:approve:"))
        text = read(request)
        assert "asks to schedule the announcement (demo)." in text
        assert "⚠️ @kooch_demo already has an announcement (message 1, posted " in text
        assert "this would be a second one beside it." in text
        assert query(tmp_path / "kooch.db", "SELECT COUNT(*) FROM scheduled_posts") == [(0,)]
        await press(sim, operator, operator.id, request, callback_of(request, "approval:approve:"))
        done = await sim.wait_for_message(
            operator.id, lambda m: m.message_id == request.message_id and not m.callback_buttons()
        )
        assert read(done).startswith("✅ You approved request #")
        assert scheduled_rows(tmp_path / "kooch.db") == [(1, "open", 1)]

        # An announcement request approved after another announcement went out posts nothing.
        sent = await sim.send_text(persian, "/announce")
        late = await sim.wait_for_message(persian.id, has_button("announce:"), after=sent.message_id)
        await press(sim, persian, persian.id, late, callback_of(late, "announce:second:"))
        # (The requests decided before have lost their buttons: this is the only one with them.)
        request = await sim.wait_for_message(operator.id, has_button("approval:approve:"))
        read(request)
        meanwhile = await sim.send_text(operator, "/announce")
        other = await sim.wait_for_message(operator.id, has_button("announce:"), after=meanwhile.message_id)
        await press(sim, operator, operator.id, other, callback_of(other, "announce:second:"))
        approval = await sim.wait_for_message(persian.id, has_button("approval:approve:"))
        await press(sim, persian, persian.id, approval, callback_of(approval, "approval:approve:"))
        await sim.wait_for_message(
            persian.id, lambda m: m.message_id == approval.message_id and not m.buttons
        )
        assert len(sim.messages(channel.id)) == 2
        await press(sim, operator, operator.id, request, callback_of(request, "approval:approve:"))
        refused = await sim.wait_for_message(
            operator.id, lambda m: m.message_id == request.message_id and not m.callback_buttons()
        )
        assert "got an announcement after the question (message 2, posted " in read(refused)
    assert len(sim.messages(channel.id)) == 2


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async with serving(Seen()) as root:
        yield root


async def test_the_schedule_shows_the_link_check_and_asks_again_for_a_broken_link(
    sim: BotAPISimulator,
    operator: SimUser,
    persian: SimUser,
    channel: SimChat,
    tmp_path: Path,
    clock: ManualClock,
    site: str,
) -> None:
    config = base_config(tmp_path)
    config["link_checks"] = True
    config["services"][1]["url"] = f"{site}/status/404"
    config["services"][0]["url"] = f"{site}/ok"
    config["operators"] = [OPERATOR_ID, {"id": FA_ID, "language": "fa"}]
    path = write_config(tmp_path / "config.yaml", config)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        await announce_despite(sim, operator)
        question = await ask_schedule(sim, operator, "in 2m")
        verdicts = [m for m in sim.messages(operator.id) if (m.text or "").startswith("🔗 Links, checked")]
        assert len(verdicts) == 2  # under /announce and under the schedule alike
        assert f"• Gap (link) {site}/status/404: ❌ HTTP 404" in plain(verdicts[-1].text or "")
        assert [t for t, _ in question.callback_buttons()] == [
            "⚠️ ⏰ Schedule a second one despite 1 broken link",
            "Cancel",
        ]
        answer = await press(sim, operator, operator.id, question, callback_of(question, "schedule:second:"))
        assert answer.text == "Some links are broken: confirm again."
        again = await sim.wait_for_message(
            operator.id,
            lambda m: m.message_id == question.message_id and has_button("schedule:second-anyway:")(m),
        )
        assert read(again).startswith("⚠️ The announcement has 1 broken link")
        assert scheduled_rows(tmp_path / "kooch.db") == []
        await press(sim, operator, operator.id, again, callback_of(again, "schedule:second-anyway:"))
        await sim.wait_for_message(
            operator.id, lambda m: m.message_id == question.message_id and not m.buttons
        )
        assert scheduled_rows(tmp_path / "kooch.db") == [(1, "open", 1)]
        # The Persian operator's question reads right too.
        fa_question = await ask_schedule(sim, persian, "in 1h")
        read(fa_question, only=warning)
        read([m for m in sim.messages(persian.id) if m.text and "🔗" in m.text][-1], only=anything)
        assert next(t for t, _ in fa_question.callback_buttons()).startswith("⚠️ ⏰ زمان‌بندیِ اعلانی دوم")
        await due(app, clock, 1, 121)
    assert len(sim.messages(channel.id)) == 2


async def announce_despite(sim: BotAPISimulator, operator: SimUser) -> None:
    """/announce with a broken link: confirm, then "post anyway"."""
    sent = await sim.send_text(operator, "/announce")
    question = await sim.wait_for_message(operator.id, has_button("announce:"), after=sent.message_id)
    await press(sim, operator, operator.id, question, callback_of(question, "announce:confirm:"))
    again = await sim.wait_for_message(
        operator.id, lambda m: m.message_id == question.message_id and has_button("announce:anyway:")(m)
    )
    await press(sim, operator, operator.id, again, callback_of(again, "announce:anyway:"))
    await sim.wait_for_message(operator.id, lambda m: m.message_id == question.message_id and not m.buttons)


def test_rows_scheduled_before_the_migration_know_the_announcement_of_their_time(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    before = [m for m in discover() if m.name < "0012"]
    migrate(db, before)
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.executemany(
            "INSERT INTO announcements (channel, chat_id, message_id, posted_at, posted_by, content_hash)"
            " VALUES (?, -100, ?, ?, 1, 'h')",
            [("demo", 1, 100.0), ("demo", 2, 300.0), ("other", 3, 50.0)],
        )
        conn.executemany(
            "INSERT INTO scheduled_posts (channel, due_at, created_at, created_by) VALUES (?, 900, ?, 1)",
            [("demo", 200.0), ("demo", 50.0), ("other", 60.0)],
        )
    # 0012 and whatever later migrations exist (0014, 0015 came with /forget and campaign clicks).
    assert migrate(db) == [m.name for m in discover() if m.name >= "0012"]
    assert scheduled_rows(db) == [(1, "open", 1), (2, "open", None), (3, "open", 3)]
    with closing(sqlite3.connect(db)) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE scheduled_posts SET state = 'nonsense' WHERE id = 1")
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE scheduled_posts SET state = 'held' WHERE id = 1")


async def test_post_now_on_an_overdue_post_holds_it_when_the_channel_got_one_meanwhile(
    sim: BotAPISimulator,
    operator: SimUser,
    persian: SimUser,
    channel: SimChat,
    tmp_path: Path,
    clock: ManualClock,
) -> None:
    path = two_operators(tmp_path, schedule_grace_s=0)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock):
        await say(sim, persian, "/help")
        await schedule(sim, operator, "in 1m")  # nothing posted yet: a plain confirm
        await announce(sim, operator)
    clock.advance(3600)  # due while the bot was down, later than the grace period: the operators decide
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock):
        asked = await sim.wait_for_message(operator.id, lambda m: "Post it now?" in (m.text or ""))
        # "Post now" was asked without the newer announcement in view: the rule holds it, and says so.
        await press(sim, operator, operator.id, asked, "schedule:late:1")
        held = await sim.wait_for_message(operator.id, has_button("schedule:late:1"), after=asked.message_id)
        assert "was held, not posted." in read(held)
        read(await sim.wait_for_message(persian.id, has_button("schedule:late:1")))
        assert len(sim.messages(channel.id)) == 1
        assert scheduled_rows(tmp_path / "kooch.db") == [(1, "held", None)]
        await press(sim, operator, operator.id, held, "schedule:late:1")  # now knowingly
        await sim.wait_for_message(operator.id, lambda m: "⏰ Scheduled announcement #1 (" in (m.text or ""))
    assert len(sim.messages(channel.id)) == 2


async def test_a_post_cut_off_in_flight_is_reported_and_never_posted_again(
    sim: BotAPISimulator,
    operator: SimUser,
    persian: SimUser,
    channel: SimChat,
    tmp_path: Path,
    clock: ManualClock,
) -> None:
    path = two_operators(tmp_path)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock):
        await say(sim, persian, "/help")
        await schedule(sim, operator, "in 1m")  # nothing posted yet: a plain confirm
    # A crash right after the job took the post (its state is the lock), before it was posted.
    with closing(sqlite3.connect(tmp_path / "kooch.db")) as conn, conn:
        conn.execute("UPDATE scheduled_posts SET state = 'posting' WHERE id = 1")
    clock.advance(61)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        told = await sim.wait_for_message(
            persian.id, lambda m: "#۱" in (m.text or "") and "demo" in (m.text or "")
        )
        read(told, only=anything)
        await sim.wait_for_message(
            operator.id, lambda m: "was being posted when the bot stopped" in (m.text or "")
        )
        assert app.job_queue is not None and app.job_queue.get_jobs_by_name("kooch:schedule:1") == ()
    assert sim.messages(channel.id) == []  # at most the one in flight is missing; none is doubled
    assert scheduled_rows(tmp_path / "kooch.db") == [(1, "failed", None)]
