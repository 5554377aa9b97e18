"""The simulator's part of issue 26, through python-telegram-bot over loopback HTTP: what it
accepts and refuses as Telegram does (a tap's answer that opens the bot, copy buttons, coloured
buttons)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from telegram import Bot, CopyTextButton, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from kooch.simulator import BotAPISimulator
from kooch.simulator.control import ControlAPI

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


@pytest_asyncio.fixture
async def control() -> AsyncIterator[tuple[BotAPISimulator, httpx.AsyncClient]]:
    sim = BotAPISimulator(token=TOKEN, bot_username="kooch_test_bot")
    sim.route_hooks.append(ControlAPI(sim).register)
    async with sim, httpx.AsyncClient(base_url=sim.url, timeout=10) as client:
        yield sim, client


async def test_departures_reactions_and_stars_through_the_control_api(
    control: tuple[BotAPISimulator, httpx.AsyncClient],
) -> None:
    sim, client = control
    api = f"/bot{TOKEN}"
    chat = (await client.post("/sim/channels", json={"username": "kooch_demo", "member_count": 10})).json()
    user = (await client.post("/sim/users", json={"count": 1})).json()["user_ids"][0]
    post = (await client.post("/sim/posts", json={"chat_id": chat["chat_id"], "text": "moved"})).json()

    # Without allowed_updates naming them, Telegram sends neither (and the simulator neither).
    left = await client.post("/sim/members", json={"chat_id": chat["chat_id"], "left": [user]})
    assert left.json() == {"update_ids": [None]}
    wanted = ["chat_member", "message_reaction_count"]
    assert (await client.post(f"{api}/getUpdates", json={"allowed_updates": wanted})).json()["result"] == []
    joined = await client.post("/sim/members", json={"chat_id": chat["chat_id"], "joined": [user]})
    (update_id,) = joined.json()["update_ids"]
    counts = {"chat_id": chat["chat_id"], "message_id": post["message_id"], "counts": {"👍": 3}}
    reacted = await client.post("/sim/reactions", json=counts)
    assert reacted.json()["update_id"] == update_id + 1
    updates = (await client.post(f"{api}/getUpdates", json={})).json()["result"]
    member, reactions = updates[0]["chat_member"], updates[1]["message_reaction_count"]
    assert (member["old_chat_member"]["status"], member["new_chat_member"]["status"]) == ("left", "member")
    assert reactions["reactions"] == [{"type": {"type": "emoji", "emoji": "👍"}, "total_count": 3}]

    assert (await client.post("/sim/stars", json={"balance": 12.5})).json() == {"balance": 12.5}
    balance = (await client.post(f"{api}/getMyStarBalance", json={})).json()["result"]
    assert balance == {"amount": 12, "nanostar_amount": 500_000_000}
    sent = await client.post(
        f"{api}/sendMessage", json={"chat_id": chat["chat_id"], "text": "paid", "allow_paid_broadcast": True}
    )
    assert sent.json()["ok"] and sim.star_balance == pytest.approx(12.4) and sim.paid_messages == 1
