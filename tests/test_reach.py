"""Reach (issue 26), the real bot against the Bot API simulator: the post's button into the bot and
the start that follows it, the "I've moved" tap that opens the bot, reminders turned off there,
and /stats counting who became reachable from where."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kooch.app.runner import App
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import SOROUSH_URL, announce, base_config, press, query, running_bot, say, write_config

BOT_LINK = "https://t.me/kooch_test_bot?start="
START_LABEL_FA = "🔔 پیوندها و یادآوری در گفت‌وگوی خصوصی"


def reach_config(tmp_path: Path, **reach: Any) -> Path:
    config = base_config(tmp_path)
    config["services"][0]["handle"] = "@kooch_demo"
    if reach:
        config["reach"] = reach
    return write_config(tmp_path / "config.yaml", config)


@pytest.fixture
def reach() -> dict[str, Any]:
    """The config's ``reach:`` (a test parametrizes it to change it)."""
    return {}


@pytest.fixture
async def reach_bot(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path, reach: dict[str, Any]
) -> AsyncIterator[App]:
    async with running_bot(reach_config(tmp_path, **reach), sim.token, sim.url, poll_timeout=1) as app:
        yield app


def the_post(sim: BotAPISimulator, channel: SimChat) -> SimMessage:
    return next(m for m in sim.messages(channel.id) if m.from_bot)


def sources(tmp_path: Path) -> list[tuple[int, str | None, int]]:
    return [
        (int(r[0]), r[1], int(r[2]))
        for r in query(tmp_path / "kooch.db", "SELECT user_id, source, reminders_off FROM subscribers")
    ]


async def test_the_post_has_a_button_into_the_bot_whose_start_gives_the_channels_links(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, reach_bot: App, tmp_path: Path
) -> None:
    await announce(sim, operator)
    post = the_post(sim, channel)
    start = [(text, url) for text, url in post.url_buttons() if url.startswith(BOT_LINK)]
    assert start == [(START_LABEL_FA, f"{BOT_LINK}demo")]
    # Under the services' buttons, above "I've moved".
    assert post.buttons[-2] == [{"text": START_LABEL_FA, "url": f"{BOT_LINK}demo"}]

    reader = sim.add_user("Sara", "fa")
    sent = await sim.open_start_link(reader, start[0][1])
    reply = await sim.wait_for_message(reader.id, after=sent.message_id, timeout=10)
    assert reply.text is not None and SOROUSH_URL in plain(reply.text)
    assert ("✅ کوچ کردم", "ack:demo") in plain(reply.callback_buttons())
    assert_reads_right([reply.text])
    assert sources(tmp_path) == [(reader.id, "demo", 0)]

    stats = await say(sim, operator, "/stats")
    assert stats.text is not None
    assert "🔔 reachable in private: 1 from the post's button, 0 from the tap" in plain(stats.text)


@pytest.mark.parametrize("reach", [{"start_button": False}])
async def test_without_start_button_the_post_has_no_link_into_the_bot(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, reach_bot: App
) -> None:
    await announce(sim, operator)
    assert not [url for _, url in the_post(sim, channel).url_buttons() if url.startswith(BOT_LINK)]


@pytest.mark.parametrize("reach", [{"open_bot_after_tap": True}])
async def test_a_tap_opens_the_bot_whose_start_thanks_and_offers_reminders_off(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, reach_bot: App, tmp_path: Path
) -> None:
    await announce(sim, operator)
    post = the_post(sim, channel)
    reader = sim.add_user("Reza", "fa")
    answer = await press(sim, reader, channel.id, post, "ack:demo")
    # No toast: Telegram opens the bot with the tap's own parameter.
    assert answer.text is None
    assert answer.url == f"{BOT_LINK}moved_demo"
    assert query(tmp_path / "kooch.db", "SELECT channel, user_id FROM acks") == [("demo", reader.id)]

    sent = await sim.open_start_link(reader, answer.url)
    thanks = await sim.wait_for_message(reader.id, after=sent.message_id, timeout=10)
    assert thanks.text is not None
    assert plain(thanks.text).startswith("سپاس که همراه")
    assert SOROUSH_URL in plain(thanks.text)
    assert_reads_right([thanks.text])
    off = next(data for _, data in thanks.callback_buttons() if data == "reminders:off")
    done = await press(sim, reader, reader.id, thanks, off)
    assert done.text is not None and "/links" in plain(done.text)
    assert_reads_right([done.text])
    assert sources(tmp_path) == [(reader.id, "moved_demo", 1)]

    stats = await say(sim, operator, "/stats")
    assert stats.text is not None
    assert "🔔 reachable in private: 0 from the post's button, 1 from the tap" in plain(stats.text)


@pytest.mark.parametrize("reach", [{"open_bot_after_tap": True}])
async def test_a_tap_in_english_opens_the_bot_and_the_start_reads_in_english(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, reach_bot: App
) -> None:
    await announce(sim, operator)
    reader = sim.add_user("Sam", "en")
    answer = await press(sim, reader, channel.id, the_post(sim, channel), "ack:demo")
    assert answer.url is not None
    sent = await sim.open_start_link(reader, answer.url)
    thanks = await sim.wait_for_message(reader.id, after=sent.message_id, timeout=10)
    assert thanks.text is not None
    assert "Thank you for moving with" in plain(thanks.text)
    assert ("🔕 No reminders, thanks", "reminders:off") in thanks.callback_buttons()


COPY = {"text": "📋 @kooch_demo", "copy_text": {"text": "@kooch_demo"}}


async def test_copy_buttons_sit_beside_the_link_in_the_post_links_and_start(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, reach_bot: App
) -> None:
    await announce(sim, operator)
    assert the_post(sim, channel).buttons[0][:2] == [{"text": "سروش", "url": SOROUSH_URL}, COPY]
    reader = sim.add_user("Sara", "fa")
    for command in ("/links", "/start", "/start demo"):
        reply = await say(sim, reader, command)
        assert reply.buttons[0][:2] == [{"text": "سروش", "url": SOROUSH_URL}, COPY], command


@pytest.mark.parametrize("reach", [{"moved_style": "success"}])
@pytest.mark.parametrize("styles", [True, False], ids=["coloured", "refused-then-plain"])
async def test_the_moved_button_is_coloured_or_plain_where_telegram_refuses_colours(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, reach_bot: App, styles: bool
) -> None:
    sim.button_styles = styles
    await announce(sim, operator)
    (ack,) = the_post(sim, channel).buttons[-1]
    assert ack.get("style") == ("success" if styles else None)
    assert ack["callback_data"] == "ack:demo"
    reply = await say(sim, sim.add_user("Sara", "fa"), "/start demo")
    moved = next(b for row in reply.buttons for b in row if b.get("callback_data") == "ack:demo")
    assert moved.get("style") == ("success" if styles else None)


async def test_by_webhook_the_tap_opens_the_bot_from_the_webhook_reply(tmp_path: Path) -> None:
    from kooch.simulator.webhook import WebhookOptions
    from kooch.testing.ports import free_port

    port = free_port()
    config = base_config(tmp_path)
    config["reach"] = {"open_bot_after_tap": True}
    config["web"] = {"listen": f"127.0.0.1:{port}", "public_url": f"http://127.0.0.1:{port}", "webhook": True}
    path = write_config(tmp_path / "config.yaml", config)
    fast = WebhookOptions(retry_base=0.05, retry_max=0.5, request_timeout=30)
    async with BotAPISimulator(deliver_webhooks=True, webhook_options=fast) as sim:
        operator = sim.add_user("Operator", "en", user_id=4242)
        channel = sim.add_channel(username="kooch_demo")
        async with running_bot(path, sim.token, sim.url):
            await announce(sim, operator)
            reader = sim.add_user("Sara", "fa")
            answer = await press(sim, reader, channel.id, the_post(sim, channel), "ack:demo")
            assert (answer.text, answer.url) == (None, f"{BOT_LINK}moved_demo")
            (call,) = [c for c in sim.calls_of("answerCallbackQuery") if c.params.get("url")]
            assert call.from_webhook_reply
            sent = await sim.open_start_link(reader, f"{BOT_LINK}moved_demo")
            thanks = await sim.wait_for_message(reader.id, after=sent.message_id, timeout=10)
    assert thanks.text is not None and plain(thanks.text).startswith("سپاس که همراه")
