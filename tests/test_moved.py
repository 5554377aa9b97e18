"""/moved and /moved undo: confirmation first, originals saved, each step reported, and a round
trip that gives the channel back its title and description."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot import running_bot
from kooch.announce.moved import moved_description, moved_title
from kooch.config import parse_config
from kooch.simulator import BotAPISimulator, SimMessage, SimUser
from tests.kit import GAP_URL, SOROUSH_URL, announce, base_config, callback_of, press, write_config


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
        assert question.text.startswith("Put all channels (@kooch_demo) into the moved state?")
        assert "title → Kooch demo → moved" in question.text
        assert "pin: the announcement (message 1)" in question.text
        assert channel.title == "Kooch demo"  # nothing changes before the confirmation

        report = await confirm(sim, operator, question)
        assert report.text == (
            "@kooch_demo:\n"
            "  ✅ original title and description saved\n"
            "  ✅ title: done\n"
            "  ✅ description: done\n"
            "  ✅ pin the announcement (message 1): done"
        )
        assert channel.title == "Kooch demo → moved"
        assert channel.description == (
            f"این کانال کوچ کرد. ما را اینجا دنبال کنید:\nسروش: {SOROUSH_URL}\nگپ: {GAP_URL}"
        )
        assert sim.messages(channel.id)[0].pinned

        # A second /moved keeps the true originals.
        report = await confirm(sim, operator, await ask(sim, operator, "/moved demo"))
        assert "already in the moved state: the originals saved before are kept" in (report.text or "")
        assert channel.title == "Kooch demo → moved"

        report = await confirm(sim, operator, await ask(sim, operator, "/moved undo demo"))
        assert report.text == (
            "@kooch_demo:\n"
            "  ✅ title restored: done\n"
            "  ✅ description restored: done\n"
            "  ✅ unpin message 1: done"
        )
        assert (channel.title, channel.description) == ("Kooch demo", "News, every day.")
        assert not sim.messages(channel.id)[0].pinned

        sent = await sim.send_text(operator, "/moved undo")
        nothing = await sim.wait_for_message(operator.id, after=sent.message_id)
        assert nothing.text == "• @kooch_demo: not in the moved state; nothing to restore"


async def test_each_step_says_what_is_missing(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    rights = {"can_post_messages": True, "can_edit_messages": True, "can_change_info": False}
    channel = sim.add_channel(username="kooch_demo", title="Kooch demo", bot_rights=rights)
    path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        question = await ask(sim, operator, "/moved")
        assert "pin: nothing to pin, no announcement posted yet" in (question.text or "")
        report = await confirm(sim, operator, question)
    assert report.text == (
        "@kooch_demo:\n"
        "  ✅ original title and description saved\n"
        "  ❌ title: missing right: give the bot “Change channel info” (and “Edit messages”)\n"
        "  ❌ description: missing right: give the bot “Change channel info” (and “Edit messages”)\n"
        "  ❌ pin: no announcement posted yet (/announce)"
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
