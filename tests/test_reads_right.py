"""What a Persian reader sees, laid out as a Telegram client draws it (tests/bidi_kit.py).

A Persian operator previews and announces to a Persian channel whose services have handles; a
Persian subscriber taps "I've moved", sends /start and /links and gets a reminder. Every line of
every message, button and toast is laid out by the Unicode Bidirectional Algorithm and read back:
the handles, URLs, commands, numbers and dates must be drawn whole and in reading order.

Beside this journey, every test that runs the simulator is checked the same way (the autouse
fixture ``laid_out_right`` in tests/conftest.py reads :meth:`World.shown`); the last tests here
prove that check sees every kind of text and catches a torn handle.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kooch.announce.render import render_announcement, render_links
from kooch.config import load_config
from kooch.config.texts import builtin_texts
from kooch.i18n import isolate, isolate_runs, ltr, paragraph, strip_controls
from kooch.simulator import BotAPISimulator, SimChat, SimMessage
from kooch.simulator.world import World
from tests.bidi_kit import assert_reads_right, misread, screen, visual
from tests.kit import (
    GAP_URL,
    OPERATOR_ID,
    SOROUSH_URL,
    base_config,
    callback_of,
    press,
    running_bot,
    say,
    write_config,
)

#: The line as main drew it: the @ at the end of the handle, its brackets turned round.
TORN = "(kooch_demo@)"
#: The same line drawn whole: read from the right, the name, the handle, then the link.
WHOLE_SOROUSH = f"{SOROUSH_URL} :(@kooch_demo) شورس •"
WHOLE_GAP = f"{GAP_URL} :(@kooch_gap) پگ •"


def handles_config(tmp_path: Path) -> Path:
    config = base_config(tmp_path)
    config["services"][0]["handle"] = "@kooch_demo"
    config["services"][1]["handle"] = "@kooch_gap"
    config["channels"][0]["links_in_text"] = True
    config["campaigns"] = {"rate_per_s": 50, "progress_every_s": 1}
    return write_config(tmp_path / "config.yaml", config)


@dataclass
class Seen:
    """What the journey showed, step by step (each text as sent, controls and all)."""

    preview: list[str] = field(default_factory=list)
    question: str = ""
    report: str = ""
    post: SimMessage | None = None
    toasts: list[str] = field(default_factory=list)
    start: str = ""
    links: str = ""
    reminder: str = ""
    stats: str = ""
    everything: list[str] = field(default_factory=list)


def every_text(sim: BotAPISimulator) -> list[str]:
    return [text for _, text in sim.shown()]


@pytest.fixture
async def journey(sim: BotAPISimulator, channel: SimChat, tmp_path: Path) -> AsyncIterator[Seen]:
    operator = sim.add_user("گرداننده", "fa", user_id=OPERATOR_ID)
    subscriber = sim.add_user("سارا", "fa")
    seen = Seen()
    async with running_bot(handles_config(tmp_path), sim.token, sim.url, poll_timeout=1):
        sent = await sim.send_text(operator, "/preview")
        await sim.wait_until(
            lambda: (
                len([m for m in sim.messages(operator.id) if m.from_bot and m.message_id > sent.message_id])
                >= 2
            )
        )
        seen.preview = [
            m.text or "" for m in sim.messages(operator.id) if m.from_bot and m.message_id > sent.message_id
        ]

        sent = await sim.send_text(operator, "/announce")
        question = await sim.wait_for_message(
            operator.id,
            lambda m: any(d.startswith("announce:confirm:") for _, d in m.callback_buttons()),
            after=sent.message_id,
        )
        seen.question = question.text or ""
        seen.toasts.append(
            (
                await press(sim, operator, operator.id, question, callback_of(question, "announce:confirm:"))
            ).text
            or ""
        )
        report = await sim.wait_for_message(
            operator.id, lambda m: m.message_id == question.message_id and not m.callback_buttons()
        )
        seen.report = report.text or ""
        post = sim.last_message(channel.id, from_bot=True)
        assert post is not None
        seen.post = post

        ack = await press(sim, subscriber, channel.id, post, callback_of(post, "ack:"))
        seen.toasts.append(ack.text or "")
        again = await press(sim, subscriber, channel.id, post, callback_of(post, "ack:"))
        seen.toasts.append(again.text or "")
        seen.start = (await say(sim, subscriber, "/start")).text or ""
        seen.links = (await say(sim, subscriber, "/links")).text or ""

        sent = await sim.send_text(
            operator, "/remind to:all یادآوری: ما کوچ کرده‌ایم، پیوندها را ببینید (@kooch_demo)."
        )
        remind = await sim.wait_for_message(
            operator.id,
            lambda m: any(d.startswith("remind:confirm:") for _, d in m.callback_buttons()),
            after=sent.message_id,
        )
        await press(sim, operator, operator.id, remind, callback_of(remind, "remind:confirm:"))
        reminder = await sim.wait_for_message(subscriber.id, lambda m: "یادآوری" in (m.text or ""))
        seen.reminder = reminder.text or ""

        sent = await sim.send_text(operator, "/stats")
        stats = await sim.wait_for_message(
            operator.id, lambda m: "📊" in (m.text or ""), after=sent.message_id
        )
        seen.stats = stats.text or ""
        await sim.wait_for_message(
            operator.id, lambda m: m.photo is not None, after=stats.message_id, timeout=60
        )
        seen.everything = every_text(sim)
        yield seen


async def test_the_persian_final_post_draws_each_handle_and_link_whole(journey: Seen) -> None:
    assert journey.post is not None
    drawn = screen(journey.post.text or "")
    assert WHOLE_SOROUSH in drawn and WHOLE_GAP in drawn
    assert not any(TORN in line for line in drawn)
    assert_reads_right([journey.post.text or "", *(b for row in journey.post.button_texts() for b in row)])
    # The links are the services' own, character for character (Telegram's entity parser stops at
    # the isolates around them, see kooch.i18n.bidi).
    assert f"• سروش (@kooch_demo): {SOROUSH_URL}" in strip_controls(journey.post.text or "")


async def test_the_persian_subscriber_reads_start_links_toasts_and_the_reminder_right(journey: Seen) -> None:
    for text in (journey.start, journey.links):
        assert WHOLE_SOROUSH in screen(text) and WHOLE_GAP in screen(text)
    assert "(@kooch_demo)" in visual(journey.reminder.split("\n")[0])
    words = builtin_texts("fa")
    assert [strip_controls(t) for t in journey.toasts[1:]] == [words["thanks"], words["already_moved"]]
    assert_reads_right([journey.start, journey.links, journey.reminder, *journey.toasts])


async def test_the_persian_operator_reads_preview_report_and_stats_right(journey: Seen) -> None:
    assert WHOLE_SOROUSH in screen(journey.preview[-1])
    # The dates in /stats: one left-to-right run each, year first, wherever they stand in a line.
    dates = re.findall(r"[۰-۹]{4}-[۰-۹]{2}-[۰-۹]{2} [۰-۹]{2}:[۰-۹]{2}", strip_controls(journey.stats))
    assert len(dates) == 2
    assert all(any(d in line for line in screen(journey.stats)) for d in dates)
    assert_reads_right([*journey.preview, journey.question, journey.report, journey.stats])


async def test_every_text_of_the_journey_reads_right(journey: Seen) -> None:
    assert len(journey.everything) > 20
    assert_reads_right(journey.everything)


def test_renderers_set_handles_and_links_as_islands(tmp_path: Path) -> None:
    config = load_config(handles_config(tmp_path))
    post = render_announcement(config, config.channels[0])
    assert misread(post.text) == []
    assert WHOLE_SOROUSH in screen(post.text)
    assert WHOLE_SOROUSH in screen(render_links(config, "fa").text)
    assert "• Soroush (@kooch_demo): https://splus.ir/kooch_demo" in screen(render_links(config, "en").text)


def test_the_suite_wide_check_sees_each_version_of_a_message_and_its_buttons() -> None:
    world = World()
    chat = SimChat(id=-100123, type="channel", title="کوچ", username="kooch_demo")
    world._chats[chat.id] = chat
    message = world._store_message(
        chat,
        sender=world.bot,
        from_bot=True,
        text="• سروش (@kooch_demo): https://splus.ir/kooch_demo",  # as main wrote it
        reply_markup={"inline_keyboard": [[{"text": "لغو ⏰ تا ۱۴۰۵-۰۹-۱۵", "callback_data": "x"}]]},
    )
    world._record_edit(message, "editMessageText")
    message.text = "درست"
    problems = [f"{where}: {p}" for where, text in world.shown() for p in misread(text)]
    assert [p.split(": ", 1)[1] for p in problems] == [
        "'https://splus.ir/kooch_demo :(kooch_demo@) شورس •': '(@kooch_demo)'",
        "'۱۵-۰۹-۱۴۰۵ ات ⏰ وغل': '۱۴۰۵-۰۹-۱۵'",
        "'۱۵-۰۹-۱۴۰۵ ات ⏰ وغل': '۱۴۰۵-۰۹-۱۵'",
    ]
    assert sum("button" in p for p in problems) == 2
    chat.messages.clear()  # torn on purpose: not for the suite-wide check to report


@pytest.mark.parametrize(
    ("line", "language", "seen"),
    [
        pytest.param("با /forget زودتر پاک کنید.", "fa", "/forget", id="fa-command-in-a-translation"),
        pytest.param(
            "به ما در @kooch_demo بپیوندید.", "fa", "@kooch_demo", id="fa-handle-in-an-announcement"
        ),
        pytest.param(
            "نشانی: https://splus.ir/kooch_demo.", "fa", "https://splus.ir/kooch_demo", id="fa-url-dot"
        ),
        pytest.param("بزنید /announce demo in 2m تا", "fa", "/announce demo in 2m", id="fa-command-args"),
        pytest.param("در ۱۴۰۵-۰۹-۱۵ ۰۴:۳۷ فرستاده شد", "fa", "۱۴۰۵-۰۹-۱۵ ۰۴:۳۷", id="fa-bare-date"),
        pytest.param("نُشرت في ٢٠٢٦-١٢-٠٢ ٠٠:١٤", "ar", "٢٠٢٦-١٢-٠٢ ٠٠:١٤", id="ar-digits-date"),
        pytest.param("@kooch_demo: ۱۲ نفر", "fa", "@kooch_demo", id="fa-line-starting-latin"),
    ],
)
def test_paragraph_keeps_what_a_translation_or_an_operator_wrote_bare_whole(
    line: str, language: str, seen: str
) -> None:
    shown = paragraph(line, language)
    assert misread(shown) == []
    assert seen in visual(shown)
    assert paragraph(shown, language) == shown  # idempotent: a text may pass twice
    assert strip_controls(shown) == line


def test_paragraph_leaves_isolated_values_and_english_alone() -> None:
    inserted = f"کانال {isolate('@kooch_demo')} و {ltr('/stats')}"
    assert isolate_runs(inserted) == inserted
    assert (
        paragraph("Send /forget to @kooch_demo on 2026-12-02.", "en")
        == "Send /forget to @kooch_demo on 2026-12-02."
    )
    # Typed syntax stays as typed: a timestamp is not cut into a date and a rest.
    assert "2025-06-01T18:00" in paragraph("بگویید at 2025-06-01T18:00", "fa")
