"""/preview and /announce end to end: what the channel receives, confirm, cancel, duplicates,
and a bot without the rights it needs."""

from __future__ import annotations

from pathlib import Path

from kooch.announce.store import AnnouncementStore
from kooch.app.runner import App
from kooch.operators.audit import AuditLog
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from kooch.store import Store
from tests.bidi_kit import plain
from tests.kit import (
    GAP_URL,
    SOROUSH_URL,
    announce,
    ask_announce,
    base_config,
    callback_of,
    press,
    running_bot,
    say_and_collect,
    write_config,
)


async def audit_actions(path: Path) -> list[tuple[str, str]]:
    store = await Store.open(path)
    try:
        return [(e.action, e.result) for e in await AuditLog(store).recent(100)]
    finally:
        await store.close()


async def test_confirmed_announcement_is_posted_pinned_and_recorded(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    tmp_path: Path,
) -> None:
    report = await announce(sim, operator)

    posts = sim.messages(channel.id)
    assert len(posts) == 1
    post = posts[0]
    assert plain(report.text) == f"✅ @kooch_demo: posted (message {post.message_id}), pinned"
    assert post.text is not None
    assert plain(post.text).startswith("📢 این کانال در تلگرام ادامه نمی‌دهد.")
    assert f"• سروش: {SOROUSH_URL}" in plain(post.text)
    assert plain(post.buttons) == plain(
        [
            [{"text": "سروش", "url": SOROUSH_URL}, {"text": "گپ", "url": GAP_URL}],
            [{"text": "✅ کوچ کردم", "callback_data": "ack:demo"}],
        ]
    )
    assert post.pinned
    store = await Store.open(tmp_path / "kooch.db")
    try:
        current = await AnnouncementStore(store).current_announcement("demo")
    finally:
        await store.close()
    assert current is not None
    assert (current.chat_id, current.message_id, current.pinned) == (channel.id, post.message_id, True)


async def test_cancel_posts_nothing(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
) -> None:
    question = await ask_announce(sim, operator)
    confirm = callback_of(question, "announce:confirm:")
    answer = await press(sim, operator, operator.id, question, callback_of(question, "announce:cancel:"))
    assert answer.text == "Cancelled."
    edited = await sim.wait_for_message(
        operator.id, lambda m: m.message_id == question.message_id and not m.callback_buttons()
    )
    assert edited.text == "Cancelled: nothing was posted."
    assert sim.messages(channel.id) == []
    # A confirm arriving after the cancel (a stale client) posts nothing either.
    late = await sim.wait_for_answer(sim.forge_callback_query(operator, question, confirm))
    assert late.text == "This confirmation was already used or cancelled."
    assert sim.messages(channel.id) == []


async def test_second_announce_warns_and_a_double_press_posts_once(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
) -> None:
    await announce(sim, operator)
    question = await ask_announce(sim, operator)
    assert question.text is not None
    assert "⚠️ @kooch_demo already has an announcement (message 1" in plain(question.text)
    # The explicit choice: a button of its own, not the plain confirm.
    assert [t for t, _ in question.callback_buttons()] == ["📢 Post a second one", "Cancel"]

    confirm = callback_of(question, "announce:second:")
    first = sim.forge_callback_query(operator, question, confirm)
    second = sim.forge_callback_query(operator, question, confirm)
    answers = {(await sim.wait_for_answer(q)).text for q in (first, second)}
    assert answers == {"Posting…", "This confirmation was already used or cancelled."}
    await sim.wait_for_message(
        operator.id, lambda m: m.message_id == question.message_id and not m.callback_buttons()
    )
    assert [m.message_id for m in sim.messages(channel.id)] == [1, 2]


async def test_preview_shows_the_exact_post_and_its_moved_button_records_nothing(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    tmp_path: Path,
) -> None:
    header, preview = await say_and_collect(sim, operator, "/preview demo", 2)
    assert plain(header.text) == "Preview for @kooch_demo (Persian):"
    assert preview.buttons[0] == [{"text": "سروش", "url": SOROUSH_URL}, {"text": "گپ", "url": GAP_URL}]
    assert plain(preview.callback_buttons()) == plain([("✅ کوچ کردم", "preview:ack")])
    answer = await press(sim, operator, operator.id, preview, "preview:ack")
    assert answer.text == "Preview: taps here are not recorded."
    assert sim.messages(channel.id) == []


async def test_unknown_channel_is_named_with_the_known_ones(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
) -> None:
    (reply,) = await say_and_collect(sim, operator, "/announce nosuch", 1)
    assert plain(reply.text) == "Unknown channel 'nosuch'. Known channels: demo (@kooch_demo)"


async def test_bot_not_in_channel_is_told_in_plain_words(
    sim: BotAPISimulator, operator: SimUser, config_file: Path, tmp_path: Path
) -> None:
    sim.add_channel(username="kooch_demo", bot_rights=None)
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1):
        report = await announce(sim, operator)
    assert plain(report.text) == (
        plain(
            "❌ @kooch_demo: not posted: the bot is not a member of this channel. Add it as an "
            "administrator with the right “Post messages” (and “Edit messages of others” to pin)."
        )
    )
    assert ("announce:confirm", "announce done #1 demo:not-posted") in await audit_actions(
        tmp_path / "kooch.db"
    )


async def test_missing_pin_right_posts_but_says_why_it_is_not_pinned(
    sim: BotAPISimulator, operator: SimUser, config_file: Path
) -> None:
    rights = {"can_post_messages": True, "can_edit_messages": False, "can_manage_chat": True}
    channel = sim.add_channel(username="kooch_demo", bot_rights=rights)
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1):
        report = await announce(sim, operator)
    assert plain(report.text) == (
        plain(
            "✅ @kooch_demo: posted (message 1), but not pinned: the bot may not pin here: "
            "give it the right “Edit messages of others”."
        )
    )
    assert len(sim.messages(channel.id)) == 1


async def test_unknown_chat_is_explained(sim: BotAPISimulator, operator: SimUser, tmp_path: Path) -> None:
    config = base_config(tmp_path)
    config["channels"][0]["chat"] = "@no_such_channel"
    path = write_config(tmp_path / "config.yaml", config)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        report = await announce(sim, operator)
    assert report.text is not None
    assert plain(report.text).startswith("❌ @no_such_channel: not posted: Telegram does not know this chat.")


async def test_two_channels_in_their_own_languages(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    fa = sim.add_channel(username="kooch_demo")
    en = sim.add_channel(username="kooch_english")
    config = base_config(tmp_path)
    config["channels"].append({"chat": "@kooch_english", "language": "en", "pin": False})
    path = write_config(tmp_path / "config.yaml", config)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        report = await announce(sim, operator)
    assert plain(report.text) == (
        "✅ @kooch_demo: posted (message 1), pinned\n✅ @kooch_english: posted (message 1)"
    )
    (en_post,) = sim.messages(en.id)
    assert en_post.text is not None
    assert plain(en_post.text).startswith("📢 This channel stops here on Telegram.")
    assert en_post.callback_buttons() == [("✅ I've moved", "ack:kooch_english")]
    assert not en_post.pinned
    assert plain(sim.messages(fa.id)[0].callback_buttons()) == plain([("✅ کوچ کردم", "ack:demo")])
