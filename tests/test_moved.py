"""/moved and /moved undo: confirmation first, originals saved, each step reported, and a round
trip that gives the channel back its title and description."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from kooch.announce.moved.model import (
    DONE,
    SKIPPED,
    MovedUndone,
    StepOutcome,
    StepStatus,
    UndoPlan,
    anything_to_undo,
    moved_description,
    moved_title,
    refused_step,
    remembers_pin,
)
from kooch.clock import ManualClock
from kooch.config import parse_config
from kooch.simulator import BotAPISimulator, SimMessage, SimUser
from tests.bidi_kit import plain
from tests.kit import (
    GAP_URL,
    SOROUSH_URL,
    announce,
    base_config,
    callback_of,
    press,
    running_bot,
    say,
    write_config,
)

MISSING_RIGHT = "missing right: give the bot “Change channel info” (and “Edit messages”)"


async def ask(sim: BotAPISimulator, operator: SimUser, text: str) -> SimMessage:
    sent = await sim.send_text(operator, text)
    return await sim.wait_for_message(
        operator.id,
        lambda m: any(d.startswith("moved:") for _, d in m.callback_buttons()),
        after=sent.message_id,
    )


async def confirm(sim: BotAPISimulator, operator: SimUser, question: SimMessage) -> SimMessage:
    await press(sim, operator, operator.id, question, callback_of(question, "moved:confirm:"))
    return await sim.wait_for_message(
        operator.id, lambda m: m.message_id == question.message_id and not m.callback_buttons()
    )


def test_moved_title_and_description_respect_telegrams_limits(tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    raw["services"] += [
        {"key": f"s{i}", "name": f"Service {i}", "url": f"https://example.org/a-long-channel-name-{i}"}
        for i in range(8)
    ]
    config = parse_config(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "c.yaml", tmp_path)
    channel = config.channels[0]
    assert moved_title("Kooch demo", channel).title == "Kooch demo | کوچ کرد"
    assert moved_title("Kooch demo | کوچ کرد", channel).title == "Kooch demo | کوچ کرد"  # not twice
    assert moved_title("x" * 120, channel).too_long
    description = moved_description(config, channel)
    assert len(description.text) <= 255
    assert description.text.splitlines()[:3] == [
        "این کانال کوچ کرد. ما را اینجا دنبال کنید:",
        f"سروش: {SOROUSH_URL}",
        f"گپ: {GAP_URL}",
    ]
    assert (description.links, description.services) == (4, 10)
    assert not description.complete


@pytest.mark.parametrize(
    ("description", "blocked", "expected"),
    [
        ("chat description is not modified", False, StepOutcome(StepStatus.ALREADY)),
        ("not enough rights to change chat title", False, StepOutcome(StepStatus.MISSING_RIGHT)),
        (
            "chat description is too long",
            False,
            StepOutcome(StepStatus.TOO_LONG, "chat description is too long"),
        ),
        ("CHAT_TITLE_INVALID", False, StepOutcome(StepStatus.TOO_LONG, "CHAT_TITLE_INVALID")),
        ("chat not found", False, StepOutcome(StepStatus.REFUSED, "chat not found")),
        # A 403 is about the bot's membership, whatever its words.
        (
            "bot is not a member of the channel chat",
            True,
            StepOutcome(StepStatus.REFUSED, "bot is not a member of the channel chat"),
        ),
        (
            "not enough rights, not modified",
            True,
            StepOutcome(StepStatus.REFUSED, "not enough rights, not modified"),
        ),
    ],
    ids=["not-modified", "rights", "too-long", "invalid", "other", "blocked", "blocked-words-ignored"],
)
def test_refused_step_sorts_telegrams_answers(description: str, blocked: bool, expected: StepOutcome) -> None:
    assert refused_step(description, blocked=blocked) == expected


@pytest.mark.parametrize(
    ("pin", "pinned_before", "saved", "remembered"),
    [
        (DONE, False, True, True),
        (StepOutcome(StepStatus.ALREADY), False, True, True),
        (DONE, True, True, False),  # pinned by someone else before: the undo leaves it pinned
        (DONE, False, False, False),  # a second /moved: the first one's pin (if any) stands
        (StepOutcome(StepStatus.MISSING_RIGHT), False, True, False),
        (SKIPPED, False, True, False),
    ],
    ids=["pinned-now", "already-pinned-by-telegram", "pinned-before", "second-moved", "refused", "skipped"],
)
def test_only_a_pin_of_the_first_moved_is_undone(
    pin: StepOutcome, pinned_before: bool, saved: bool, remembered: bool
) -> None:
    assert remembers_pin(pin, pinned_before=pinned_before, saved=saved) is remembered


def test_an_undo_is_complete_only_when_every_step_it_needed_worked(tmp_path: Path) -> None:
    config = parse_config(yaml.safe_dump(base_config(tmp_path)), "c.yaml", tmp_path)
    channel = config.channels[0]
    assert [s.ok for s in (DONE, StepOutcome(StepStatus.ALREADY), SKIPPED)] == [True, True, False]
    assert MovedUndone(channel, None, DONE, None, None).complete
    assert MovedUndone(channel, DONE, StepOutcome(StepStatus.ALREADY), 7, DONE).complete
    refused = StepOutcome(StepStatus.REFUSED, "message to unpin not found")
    assert not MovedUndone(channel, DONE, DONE, 7, refused).complete
    assert not anything_to_undo([UndoPlan(channel)])
    assert anything_to_undo([UndoPlan(channel), UndoPlan(channel, "Kooch demo", active=True)])


async def test_moved_and_undo_round_trip_title_and_description(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    channel = sim.add_channel(username="kooch_demo", title="Kooch demo", description="News, every day.")
    config = base_config(tmp_path)
    config["channels"][0].update(pin=False, moved_title_suffix=" → moved")
    path = write_config(tmp_path / "config.yaml", config)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        await announce(sim, operator)
        question = await ask(sim, operator, "/moved")
        assert question.text is not None
        assert plain(question.text).startswith("Put all channels (@kooch_demo) into the moved state?")
        assert "title → Kooch demo → moved" in plain(question.text)
        assert "pin: the announcement (message 1)" in plain(question.text)
        assert channel.title == "Kooch demo"  # nothing changes before the confirmation

        report = await confirm(sim, operator, question)
        assert plain(report.text) == (
            plain(
                "@kooch_demo:\n"
                "  ✅ original title and description saved\n"
                "  ✅ title: done\n"
                "  ✅ description: done\n"
                "  ✅ pin the announcement (message 1): done"
            )
        )
        assert channel.title == "Kooch demo → moved"
        assert channel.description == (
            f"این کانال کوچ کرد. ما را اینجا دنبال کنید:\nسروش: {SOROUSH_URL}\nگپ: {GAP_URL}"
        )
        assert sim.messages(channel.id)[0].pinned

        # A second /moved keeps the true originals.
        report = await confirm(sim, operator, await ask(sim, operator, "/moved demo"))
        assert "already in the moved state: the originals saved before are kept" in plain(report.text or "")
        assert channel.title == "Kooch demo → moved"

        report = await confirm(sim, operator, await ask(sim, operator, "/moved undo demo"))
        assert plain(report.text) == (
            plain(
                "@kooch_demo:\n"
                "  ✅ title restored: done\n"
                "  ✅ description restored: done\n"
                "  ✅ unpin message 1: done"
            )
        )
        assert (channel.title, channel.description) == ("Kooch demo", "News, every day.")
        assert not sim.messages(channel.id)[0].pinned

        sent = await sim.send_text(operator, "/moved undo")
        nothing = await sim.wait_for_message(operator.id, after=sent.message_id)
        assert plain(nothing.text) == "• @kooch_demo: not in the moved state; nothing to restore"


async def test_each_step_says_what_is_missing(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    rights = {"can_post_messages": True, "can_edit_messages": True, "can_change_info": False}
    channel = sim.add_channel(username="kooch_demo", title="Kooch demo", bot_rights=rights)
    path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        question = await ask(sim, operator, "/moved")
        assert "pin: nothing to pin, no announcement posted yet" in plain(question.text or "")
        report = await confirm(sim, operator, question)
        # Nothing took: /status does not call the channel moved (issue 23).
        status = await say(sim, operator, "/status")
        assert "moved state since" not in plain(status.text or "")
    assert plain(report.text) == (
        plain(
            "@kooch_demo:\n"
            "  ✅ original title and description saved\n"
            "  ❌ title: missing right: give the bot “Change channel info” (and “Edit messages”)\n"
            "  ❌ description: missing right: give the bot “Change channel info” (and “Edit messages”)\n"
            "  ❌ pin: no announcement posted yet (/announce)"
        )
    )
    assert channel.title == "Kooch demo"


async def test_cancel_changes_nothing(sim: BotAPISimulator, operator: SimUser, tmp_path: Path) -> None:
    channel = sim.add_channel(username="kooch_demo", title="Kooch demo")
    path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        question = await ask(sim, operator, "/moved")
        answer = await press(sim, operator, operator.id, question, callback_of(question, "moved:cancel:"))
        assert answer.text == "Cancelled."
    assert channel.title == "Kooch demo"
    assert sim.calls_of("setChatTitle") == []


async def test_an_undo_that_fails_keeps_the_originals_for_another_try(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    channel = sim.add_channel(username="kooch_demo", title="Kooch demo", description="News, every day.")
    config = base_config(tmp_path)
    config["channels"][0].update(moved_title_suffix=" → moved")
    path = write_config(tmp_path / "config.yaml", config)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        await announce(sim, operator)
        await confirm(sim, operator, await ask(sim, operator, "/moved"))
        rights = {"can_post_messages": True, "can_edit_messages": True, "can_change_info": False}
        sim.set_bot_rights(channel.id, rights)
        question = await ask(sim, operator, "/moved undo")
        assert plain(question.text) == (
            plain(
                "Undo the moved state of all channels (@kooch_demo)?\n"
                "• @kooch_demo: title back to “Kooch demo”, description back to “News, every day.”"
            )
        )
        report = await confirm(sim, operator, question)
        assert plain(report.text) == (
            plain(
                "@kooch_demo:\n"
                f"  ❌ title restored: {MISSING_RIGHT}\n"
                f"  ❌ description restored: {MISSING_RIGHT}\n"
                "  ⚠️ not everything was restored; the originals stay saved: try /moved undo again"
            )
        )
        assert channel.title == "Kooch demo → moved"
        status = await say(sim, operator, "/status")
        assert "🏷 moved state since " in plain(status.text or "")

        sim.set_bot_rights(channel.id, {**rights, "can_change_info": True})
        report = await confirm(sim, operator, await ask(sim, operator, "/moved undo"))
        assert plain(report.text) == plain(
            "@kooch_demo:\n  ✅ title restored: done\n  ✅ description restored: done"
        )
        assert (channel.title, channel.description) == ("Kooch demo", "News, every day.")


async def test_an_expired_confirmation_changes_nothing(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    channel = sim.add_channel(username="kooch_demo", title="Kooch demo")
    path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    clock = ManualClock(now=time.time())
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock):
        question = await ask(sim, operator, "/moved")
        # Two hours on: past the hour a confirmation button lasts.
        clock.advance(7200)
        data = callback_of(question, "moved:confirm:")
        answer = await press(sim, operator, operator.id, question, data)
        assert answer.text == "This confirmation expired: run /moved again."
        again = await press(sim, operator, operator.id, question, data)
        assert again.text == "This confirmation was already used or cancelled."
    assert channel.title == "Kooch demo"
    assert sim.calls_of("setChatTitle") == []
