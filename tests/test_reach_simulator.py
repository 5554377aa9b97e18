"""The simulator's part of issue 26, through python-telegram-bot over loopback HTTP: what it
accepts and refuses as Telegram does (a tap's answer that opens the bot, copy buttons, coloured
buttons)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from telegram import Bot, CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from kooch.simulator import BotAPISimulator

TOKEN = "123456:REACH"


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[BotAPISimulator]:
    async with BotAPISimulator(token=TOKEN, bot_username="kooch_test_bot") as simulator:
        yield simulator


@pytest_asyncio.fixture
async def bot(sim: BotAPISimulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=sim.url + "/bot", base_file_url=sim.url + "/file/bot") as client:
        yield client


async def test_a_taps_answer_may_open_only_this_bots_start_link(bot: Bot, sim: BotAPISimulator) -> None:
    user = sim.add_user("Sara", "fa")
    await sim.send_text(user, "/start")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="ok")]])
    sent = await bot.send_message(user.id, "tap", reply_markup=markup)
    for url in ("https://example.org/", "https://t.me/other_bot?start=x", "https://t.me/kooch_test_bot"):
        query = await sim.press_button(user, user.id, sent.message_id, "ok")
        with pytest.raises(BadRequest, match=r"(?i)url_invalid"):
            await bot.answer_callback_query(query, url=url)
    query = await sim.press_button(user, user.id, sent.message_id, "ok")
    assert await bot.answer_callback_query(query, url="https://t.me/kooch_test_bot?start=moved_demo")
    answer = await sim.wait_for_answer(query)
    assert answer.url == "https://t.me/kooch_test_bot?start=moved_demo"
    opened = await sim.open_start_link(user, answer.url)
    assert opened.text == "/start moved_demo"


@pytest.mark.parametrize(
    ("copied", "accepted"),
    [("@kooch_demo", True), ("x" * 256, True), ("x" * 257, False), ("", False)],
    ids=["a-handle", "256", "257", "empty"],
)
async def test_copy_buttons_carry_1_to_256_characters(
    bot: Bot, sim: BotAPISimulator, copied: str, accepted: bool
) -> None:
    channel = sim.add_channel(username="kooch_demo", title="Kooch demo")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("📋", copy_text=CopyTextButton(copied))]])
    if accepted:
        sent = await bot.send_message(channel.id, "post", reply_markup=markup)
        assert sent.reply_markup is not None
        button = sent.reply_markup.inline_keyboard[0][0]
        assert button.copy_text is not None and button.copy_text.text == copied
    else:
        with pytest.raises(BadRequest, match="copy_text"):
            await bot.send_message(channel.id, "post", reply_markup=markup)


@pytest.mark.parametrize(("style", "accepted"), [("success", True), ("primary", True), ("green", False)])
async def test_button_styles_are_telegrams_three(
    bot: Bot, sim: BotAPISimulator, style: str, accepted: bool
) -> None:
    channel = sim.add_channel(username="kooch_demo", title="Kooch demo")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("✅", callback_data="ack:demo", style=style)]])
    if accepted:
        await bot.send_message(channel.id, "post", reply_markup=markup)
    else:
        with pytest.raises(BadRequest, match=r"(?i)button_style_invalid"):
            await bot.send_message(channel.id, "post", reply_markup=markup)
