"""Posted announcements follow the config: edits on disk reach the channel's post, paced and
coalesced; a deleted post is reported once; the live counter coalesces taps; two channels in two
languages each keep their own text."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from kooch.announce.render import render_announcement
from kooch.announce.store import PostedAnnouncement
from kooch.announce.sync.model import (
    EditPacer,
    content_hash,
    counter_due,
    edit_needed,
    markup_hash,
    text_hash,
)
from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.clock import ManualClock
from kooch.config import parse_config
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from tests.bidi_kit import plain
from tests.kit import GAP_URL, SOROUSH_URL, announce, base_config, say, write_config

BALE_URL = "https://ble.ir/kooch_demo"


def url_buttons(post: SimMessage) -> list[tuple[str, str]]:
    return [(b["text"], b["url"]) for row in post.buttons for b in row if "url" in b]


async def wait_for_buttons(
    sim: BotAPISimulator, channel: SimChat, expected: list[tuple[str, str]], timeout: float = 10
) -> SimMessage:
    await sim.wait_until(
        lambda: url_buttons(sim.messages(channel.id)[-1]) == expected, timeout=timeout, what=f"{expected}"
    )
    return sim.messages(channel.id)[-1]


# --------------------------------------------------------------------------------------------
# Pure parts


def _row(posted_hash: str, text_h: str | None = None, markup_h: str | None = None) -> PostedAnnouncement:
    return PostedAnnouncement(
        id=1,
        channel="demo",
        chat_id=-100,
        message_id=5,
        posted_at=0.0,
        current=True,
        posted_hash=posted_hash,
        text_hash=text_h,
        markup_hash=markup_h,
        synced_at=0.0,
        gone_at=None,
        error=None,
        error_hash=None,
    )


def test_edit_needed_picks_the_smallest_edit(tmp_path: Path) -> None:
    config = parse_config(
        __import__("yaml").safe_dump(base_config(tmp_path), allow_unicode=True), "c.yaml", tmp_path
    )
    channel = config.channels[0]
    post = render_announcement(config, channel)
    counted = render_announcement(config, channel, count=3)  # counter off: the same post
    assert counted == post
    assert edit_needed(_row(content_hash(post)), post) is None
    assert edit_needed(_row("something else"), post) == "text"  # as posted: only a full edit is safe
    synced = _row("x", text_hash(post), markup_hash(post))
    assert edit_needed(synced, post) is None
    assert edit_needed(_row("x", text_hash(post), "old buttons"), post) == "markup"
    assert edit_needed(_row("x", "old text", markup_hash(post)), post) == "text"
    gone = PostedAnnouncement(**{**synced.__dict__, "text_hash": "old", "gone_at": 1.0})
    assert edit_needed(gone, post) is None
    refused = PostedAnnouncement(**{**synced.__dict__, "text_hash": "old", "error_hash": content_hash(post)})
    assert edit_needed(refused, post) is None  # refused for this very content: not again


def test_pacer_allows_twenty_per_minute_per_chat_and_honours_retry_after() -> None:
    pacer = EditPacer(limit=20, window=60.0)
    for i in range(20):
        assert pacer.wait_time(1, i * 0.1) == 0
        pacer.record(1, i * 0.1)
    assert pacer.wait_time(1, 2.0) == 58.0  # the 21st waits for the first to leave the window
    assert pacer.wait_time(2, 2.0) == 0  # another chat is not held back
    pacer.block(2, 30.0)
    assert pacer.wait_time(2, 10.0) == 20.0


def test_counter_is_due_one_interval_after_the_first_tap_and_after_the_last_change() -> None:
    assert counter_due(dirty_since=100.0, last_change=None, interval=60) == 160.0
    assert counter_due(dirty_since=100.0, last_change=90.0, interval=60) == 160.0
    assert counter_due(dirty_since=100.0, last_change=130.0, interval=60) == 190.0


# --------------------------------------------------------------------------------------------
# End to end


async def test_config_edits_on_disk_reach_the_posted_buttons(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    config_file: Path,
    tmp_path: Path,
) -> None:
    await announce(sim, operator)
    (post,) = sim.messages(channel.id)
    assert url_buttons(post) == [("سروش", SOROUSH_URL), ("گپ", GAP_URL)]
    config = base_config(tmp_path)

    # A URL changes (the Soroush channel was renamed).
    config["services"][0]["url"] = "https://splus.ir/kooch_new"
    write_config(config_file, config)
    post = await wait_for_buttons(sim, channel, [("سروش", "https://splus.ir/kooch_new"), ("گپ", GAP_URL)])
    assert post.text is not None and "• سروش: https://splus.ir/kooch_new" in plain(post.text)
    summary = await sim.wait_for_message(operator.id, lambda m: "reloaded" in plain(m.text or ""))
    assert summary.text is not None
    assert "🔗 service Soroush: URL https://splus.ir/kooch_demo → https://splus.ir/kooch_new" in plain(
        summary.text
    )

    # A service is added.
    config["services"].append({"key": "bale", "name": {"fa": "بله", "en": "Bale"}, "url": BALE_URL})
    write_config(config_file, config)
    await wait_for_buttons(
        sim, channel, [("سروش", "https://splus.ir/kooch_new"), ("گپ", GAP_URL), ("بله", BALE_URL)]
    )

    # A service is disabled.
    config["services"][1]["enabled"] = False
    write_config(config_file, config)
    post = await wait_for_buttons(sim, channel, [("سروش", "https://splus.ir/kooch_new"), ("بله", BALE_URL)])
    assert post.text is not None and GAP_URL not in plain(post.text)
    assert plain(post.callback_buttons()) == plain([("✅ کوچ کردم", "ack:demo")])  # taps still work
    assert len(sim.messages(channel.id)) == 1  # edited in place, never re-posted
    assert [e.method for e in post.edits] == ["editMessageText"] * 3

    # Each change was summarised to the operator in one message.
    summaries = [m for m in sim.messages(operator.id) if m.from_bot and "reloaded" in plain(m.text or "")]
    assert len(summaries) == 3
    assert "⏸ service Gap disabled" in plain(summaries[-1].text or "")


async def test_a_button_only_change_uses_edit_message_reply_markup(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    config_file: Path,
    tmp_path: Path,
) -> None:
    config = base_config(tmp_path)
    config["channels"][0]["links_in_text"] = False
    write_config(config_file, config)
    await say(sim, operator, "/reload")
    await announce(sim, operator)
    config["channels"][0]["buttons_per_row"] = 1
    write_config(config_file, config)
    await sim.wait_until(lambda: bool(sim.messages(channel.id)[0].edits), timeout=10, what="an edit")
    (post,) = sim.messages(channel.id)
    assert [e.method for e in post.edits] == ["editMessageReplyMarkup"]
    assert [len(row) for row in post.buttons] == [1, 1, 1]


async def test_a_deleted_post_is_reported_once_and_not_retried(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    config_file: Path,
    tmp_path: Path,
) -> None:
    sync = services_of(bot).sync
    await announce(sim, operator)
    (post,) = sim.messages(channel.id)
    sim.delete_message(channel.id, post.message_id)
    config = base_config(tmp_path)
    for n in range(3):  # three edits of the config, each would change the post
        config["services"][0]["url"] = f"https://splus.ir/renamed_{n}"
        write_config(config_file, config)

        def reloaded(m: SimMessage, n: int = n) -> bool:
            return f"renamed_{n}" in plain(m.text or "") and "reloaded" in plain(m.text or "")

        await sim.wait_for_message(operator.id, reloaded)
        await sync.wait_idle()  # the engine has dealt with this version of the config

    def gone_reports() -> list[SimMessage]:
        return [m for m in sim.messages(operator.id) if "was deleted from the channel" in plain(m.text or "")]

    assert len(gone_reports()) == 1
    assert plain(gone_reports()[0].text) == (
        plain(
            f"⚠️ The announcement in @kooch_demo (message {post.message_id}) was deleted from the channel. "
            "Kooch no longer keeps it in sync. /announce demo posts a new one."
        )
    )
    edits = [c for c in sim.calls_of("editMessageText") if c.params["chat_id"] == channel.id]
    assert len(edits) == 1  # tried once, marked gone, never again
    status = await say(sim, operator, "/status")
    assert status.text is not None and "🗑 deleted from the channel" in plain(status.text)


async def test_status_says_whether_the_post_matches_the_config(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
) -> None:
    reply = await say(sim, operator, "/status")
    assert reply.text is not None
    assert plain(reply.text).startswith("📡 Kooch status — all channels (@kooch_demo)")
    assert "no announcement posted yet" in plain(reply.text)
    await announce(sim, operator)
    reply = await say(sim, operator, "/status demo")
    assert reply.text is not None
    assert "📡 Kooch status — @kooch_demo —" in plain(reply.text)
    assert "📢 message 1, posted" in plain(reply.text) and "✅ matches the config" in plain(reply.text)
    assert "watched for changes" in plain(reply.text)


async def test_live_counter_coalesces_two_hundred_taps_into_one_edit(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    from tests.kit import running_bot

    channel = sim.add_channel(username="kooch_english")
    config = base_config(tmp_path)
    config["channels"] = [{"chat": "@kooch_english", "language": "en", "pin": False, "counter": True}]
    config["counter_interval_s"] = 60.0
    path = write_config(tmp_path / "config.yaml", config)
    # Wall time from the real clock, so that nothing still reading that one sees a jump: what is
    # tested here is the interval, on the clock's monotonic time.
    clock = ManualClock(now=time.time())
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        sync = services_of(app).sync
        await announce(sim, operator)
        (post,) = sim.messages(channel.id)
        assert post.callback_buttons() == [("✅ I've moved", "ack:kooch_english")]  # nobody yet: no 0
        users = [sim.add_user(f"U{i}", "en") for i in range(200)]
        queries = [await sim.press_button(u, channel.id, post.message_id, "ack:kooch_english") for u in users]
        await asyncio.gather(*(sim.wait_for_answer(q, timeout=20) for q in queries))
        # However long the taps took, the clock has not moved: the counter is not due yet.
        await sync.wait_idle()
        assert post.edits == []
        clock.advance(60.0)  # one interval after the first tap
        await sync.wait_idle()
        assert post.callback_buttons() == [("✅ I've moved · 200", "ack:kooch_english")]
        clock.advance(90.0)  # a whole further interval: no second edit
        await sync.wait_idle()
        assert [e.method for e in post.edits] == ["editMessageReplyMarkup"]


async def test_persian_counter_uses_persian_digits(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    from tests.kit import running_bot

    config = base_config(tmp_path)
    config["channels"][0]["counter"] = True
    path = write_config(tmp_path / "config.yaml", config)
    clock = ManualClock(now=time.time())
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        await announce(sim, operator)
        (post,) = sim.messages(channel.id)
        for i in range(3):
            user = sim.add_user(f"U{i}", "fa")
            await sim.wait_for_answer(await sim.press_button(user, channel.id, post.message_id, "ack:demo"))
        clock.advance(60.0)  # the default interval
        await services_of(app).sync.wait_idle()
        assert plain(post.callback_buttons()) == plain([("✅ کوچ کردم · ۳", "ack:demo")])


async def test_two_channels_fa_and_en_each_follow_with_their_own_text(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    from tests.kit import running_bot

    fa = sim.add_channel(username="kooch_demo")
    en = sim.add_channel(username="kooch_english")
    config = base_config(tmp_path)
    config["channels"].append({"chat": "@kooch_english", "language": "en", "pin": False})
    path = write_config(tmp_path / "config.yaml", config)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        await announce(sim, operator)
        config["services"][1]["url"] = "https://gap.im/renamed"
        write_config(path, config)
        for chat, name in ((fa, "گپ"), (en, "Gap")):

            def renamed(chat: SimChat = chat, name: str = name) -> bool:
                return (name, "https://gap.im/renamed") in url_buttons(sim.messages(chat.id)[0])

            await sim.wait_until(renamed, timeout=10, what=f"{name} renamed")
    fa_text, en_text = sim.messages(fa.id)[0].text, sim.messages(en.id)[0].text
    assert fa_text is not None and en_text is not None
    assert plain(fa_text).startswith("📢 این کانال در تلگرام ادامه نمی‌دهد.")
    assert "• گپ: https://gap.im/renamed" in plain(fa_text)
    assert plain(en_text).startswith("📢 This channel stops here on Telegram.")
    assert "• Gap: https://gap.im/renamed" in plain(en_text)


async def test_with_replicas_the_counter_follows_taps_another_process_stored(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    """Replicas: the leader's engine hears of no tap another replica took; it re-reads each
    interval. Here the taps are rows written beside the bot, as another process would."""
    from tests.kit import running_bot

    channel = sim.add_channel(username="kooch_english")
    config = base_config(tmp_path)
    config["channels"] = [{"chat": "@kooch_english", "language": "en", "pin": False, "counter": True}]
    config["counter_interval_s"] = 60.0
    path = write_config(tmp_path / "config.yaml", config)
    clock = ManualClock(now=time.time())
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        services = services_of(app)
        sync = services.sync
        sync.poll_counts = True  # what the composition root sets on PostgreSQL
        await announce(sim, operator)
        (post,) = sim.messages(channel.id)
        for user_id in range(1, 31):
            await services.subscribers.add_ack("kooch_english", user_id, "U", "en", "elsewhere")
        await sync.wait_idle()
        assert post.edits == []  # not due yet: one interval
        clock.advance(61.0)
        await sync.wait_idle()
        clock.advance(61.0)  # polling marks the channel due each interval, taps heard of or not
        await sync.wait_idle()
        assert post.callback_buttons() == [("✅ I've moved · 30", "ack:kooch_english")]
