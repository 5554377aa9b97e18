"""Tests of the Bot API simulator, driven by the real python-telegram-bot client.

The simulator is only useful if PTB cannot tell it from Telegram, so these tests talk
to it through ``telegram.Bot`` (and a real ``Application`` for long polling) and check
that PTB parses every answer and raises the exception classes it raises in production.
Raw httpx calls cover what PTB hides: exact JSON error bodies and status codes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from telegram import (
    Bot,
    ChatFullInfo,
    ChatMemberAdministrator,
    ChatMemberLeft,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from kooch.clock import ManualClock
from kooch.simulator import ALL_CHANNEL_RIGHTS, BotAPISimulator, SimulatorError
from tests.kit import eventually

pytestmark = pytest.mark.asyncio

TOKEN = "123456:TEST"


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[BotAPISimulator]:
    async with BotAPISimulator(token=TOKEN, bot_username="kooch_test_bot") as simulator:
        yield simulator


@pytest_asyncio.fixture
async def bot(sim: BotAPISimulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=sim.url + "/bot", base_file_url=sim.url + "/file/bot") as client:
        yield client


@pytest_asyncio.fixture
async def http(sim: BotAPISimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sim.url}/bot{TOKEN}", timeout=10) as client:
        yield client


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


async def test_get_me(bot: Bot, sim: BotAPISimulator) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot
    assert me.username == "kooch_test_bot"
    assert me.can_join_groups is True
    assert sim.calls_of("getMe")[-1].ok


async def test_http_errors_use_telegram_format(http: httpx.AsyncClient, sim: BotAPISimulator) -> None:
    response = await http.post("/noSuchMethod")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}

    async with httpx.AsyncClient() as other:
        wrong = await other.get(f"{sim.url}/bot999:WRONG/getMe")
    assert wrong.status_code == 401
    assert wrong.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}

    missing = await http.get("/sendMessage", params={"chat_id": "42", "text": "x"})
    assert missing.status_code == 400
    assert missing.json()["description"] == "Bad Request: chat not found"

    # JSON bodies (curl users) work as well as form posts.
    me = await http.post("/getMe", json={})
    assert me.json()["result"]["username"] == "kooch_test_bot"


async def test_private_chat_rules(bot: Bot, sim: BotAPISimulator) -> None:
    started = sim.add_user(first_name="Ali", username="ali")
    silent = sim.add_user(first_name="Sara")
    blocker = sim.add_user(first_name="Reza")
    assert started.id == 1000001

    user_message = await sim.send_text(started, "/start abc")
    assert user_message.entities == [{"type": "bot_command", "offset": 0, "length": 6}]
    sent = await bot.send_message(started.id, "salam", reply_markup=keyboard([("A", "a")]))
    assert sent.chat.type == "private"
    assert sent.from_user is not None and sent.from_user.is_bot
    assert sent.text == "salam"
    last = sim.last_message(started.id)
    assert last is not None and last.callback_buttons() == [("A", "a")]

    with pytest.raises(Forbidden, match=r"(?i)bot can't initiate conversation with a user"):
        await bot.send_message(silent.id, "hello?")

    await sim.send_text(blocker, "/start")
    sim.block_bot(blocker)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(blocker.id, "are you there?")
    sim.unblock_bot(blocker)
    await bot.send_message(blocker.id, "welcome back")

    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(424242, "nobody")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(started.id, "   ")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(started.id, "x" * 4097)


async def test_keyboard_validation(bot: Bot, sim: BotAPISimulator) -> None:
    user = sim.add_user(started=True)
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(user.id, "x", reply_markup=keyboard([("long", "d" * 65)]))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_URL_INVALID"):
        await bot.send_message(
            user.id,
            "x",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("u", url="ftp://example.org")]]),
        )
    with pytest.raises(BadRequest, match=r"(?i)reply markup is too long"):
        await bot.send_message(user.id, "x", reply_markup=keyboard([(str(i), str(i)) for i in range(9)]))
    many = [[(f"{r}-{c}", f"{r}-{c}") for c in range(8)] for r in range(13)]
    with pytest.raises(BadRequest, match=r"(?i)reply markup is too long"):
        await bot.send_message(user.id, "x", reply_markup=keyboard(*many))
    # 64 bytes of UTF-8 is the limit, not 64 characters.
    await bot.send_message(user.id, "x", reply_markup=keyboard([("ok", "ک" * 32)]))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(user.id, "x", reply_markup=keyboard([("no", "ک" * 33)]))


async def test_channel_posting_and_rights(bot: Bot, sim: BotAPISimulator) -> None:
    channel = sim.add_channel(username="kooch_demo", title="Demo")
    readonly = sim.add_channel(username="readonly", title="Read only", bot_rights={"can_manage_chat": True})
    outside = sim.add_channel(username="outside", title="Outside", bot_rights=None)
    assert channel.id == -1001000000001
    assert readonly.id == -1001000000002

    post = await bot.send_message("@kooch_demo", "first post")
    assert post.chat.type == "channel"
    assert post.chat.id == channel.id
    assert post.sender_chat is not None and post.sender_chat.id == channel.id
    assert post.from_user is None
    assert post.message_id == 1

    with pytest.raises(BadRequest, match=r"(?i)need administrator rights in the channel chat"):
        await bot.send_message(readonly.id, "nope")
    with pytest.raises(Forbidden, match=r"(?i)bot is not a member of the channel chat"):
        await bot.send_message(outside.id, "nope")

    await bot.pin_chat_message(channel.id, post.message_id)
    assert sim.message(channel, 1).pinned
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to manage pinned messages"):
        await bot.pin_chat_message(readonly.id, 1)

    sim.set_bot_rights(channel, {**ALL_CHANNEL_RIGHTS, "can_edit_messages": False})
    with pytest.raises(BadRequest, match=r"(?i)need administrator rights in the channel chat"):
        await bot.edit_message_text("edited", chat_id=channel.id, message_id=post.message_id)
    sim.set_bot_rights(channel, ALL_CHANNEL_RIGHTS)

    await bot.set_chat_title(channel.id, "Demo 2")
    assert channel.title == "Demo 2"
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to change chat title"):
        await bot.set_chat_title(readonly.id, "x")
    with pytest.raises(BadRequest, match=r"(?i)chat description is too long"):
        await bot.set_chat_description(channel.id, "d" * 256)


async def test_edits(bot: Bot, sim: BotAPISimulator) -> None:
    user = sim.add_user(started=True)
    markup = keyboard([("Yes", "yes"), ("No", "no")])
    sent = await bot.send_message(user.id, "question", reply_markup=markup)

    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "question", chat_id=user.id, message_id=sent.message_id, reply_markup=markup
        )

    edited = await bot.edit_message_text("answered", chat_id=user.id, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.text == "answered"
    stored = sim.message(user, sent.message_id)
    assert stored.reply_markup is None  # omitting reply_markup removes the keyboard
    assert [edit.text for edit in stored.edits] == ["question"]
    assert stored.edits[0].method == "editMessageText"
    assert stored.edits[0].reply_markup is not None

    await bot.edit_message_reply_markup(chat_id=user.id, message_id=sent.message_id, reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(chat_id=user.id, message_id=sent.message_id, reply_markup=markup)

    sim.delete_message(user, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("late", chat_id=user.id, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("never", chat_id=user.id, message_id=999)
    assert sim.messages(user) == []
    assert len(sim.messages(user, include_deleted=True)) == 1


async def test_callback_press_and_answer(bot: Bot, sim: BotAPISimulator) -> None:
    user = sim.add_user(started=True)
    sent = await bot.send_message(user.id, "pick", reply_markup=keyboard([("Yes", "yes"), ("No", "no")]))

    with pytest.raises(SimulatorError, match="no callback button"):
        await sim.press_button(user, user.id, sent.message_id, "maybe")

    query_id = await sim.press_button(user, user.id, sent.message_id, "yes")
    updates = await bot.get_updates(timeout=0)
    assert len(updates) == 1
    query = updates[0].callback_query
    assert query is not None
    assert query.id == query_id
    assert query.data == "yes"
    assert query.from_user.id == user.id
    assert query.message is not None and query.message.message_id == sent.message_id

    waiter = asyncio.create_task(sim.wait_for_answer(query_id, timeout=2))
    assert await bot.answer_callback_query(query_id, text="Thanks!", show_alert=True)
    answer = await waiter
    assert answer.text == "Thanks!"
    assert answer.show_alert is True
    assert answer.answered_at is not None and answer.answered_at >= answer.created_at
    assert [a.callback_query_id for a in sim.answers] == [query_id]

    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query("12345")

    sim.clock = clock = ManualClock()
    sim.callback_deadline = 0.05
    late = await sim.press_button_text(user, user.id, sent.message_id, "No")
    clock.advance(0.1)  # past the deadline
    with pytest.raises(BadRequest, match=r"(?i)query is too old and response timeout expired"):
        await bot.answer_callback_query(late)
    with pytest.raises(TimeoutError, match="was not answered"):
        await sim.wait_for_answer(late, timeout=0.05)


async def test_get_updates_long_poll_and_offset(bot: Bot, sim: BotAPISimulator) -> None:
    user = sim.add_user()
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await eventually(lambda: sim.polls_waiting == 1, "the long poll parked", on=sim)
    assert not poll.done()
    await sim.send_text(user, "hello")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 2
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None and message.text == "hello"
    assert updates[0].update_id >= 500_000_000

    # Not confirmed yet: delivered again.
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [updates[0].update_id]
    await sim.send_text(user, "second")
    both = await bot.get_updates(timeout=0, limit=1)
    assert [u.update_id for u in both] == [updates[0].update_id]
    rest = await bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert [u.message.text for u in rest if u.message] == ["second"]
    assert sim.pending_updates == 1
    empty = await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0)
    assert empty == ()
    assert sim.pending_updates == 0


async def test_second_poll_conflicts_first(http: httpx.AsyncClient, sim: BotAPISimulator) -> None:
    first = asyncio.create_task(http.post("/getUpdates", data={"timeout": "5"}))
    await eventually(lambda: sim.polls_waiting == 1, "the first poll parked", on=sim)
    second = asyncio.create_task(http.post("/getUpdates", data={"timeout": "0"}))
    old = await asyncio.wait_for(first, 2)
    assert old.status_code == 409
    assert old.json()["description"].startswith("Conflict: terminated by other getUpdates request")
    new = await asyncio.wait_for(second, 2)
    assert new.json() == {"ok": True, "result": []}

    await http.post("/setWebhook", data={"url": "https://example.org/hook"})
    hooked = await http.post("/getUpdates")
    assert hooked.status_code == 409
    assert "webhook is active" in hooked.json()["description"]
    await http.post("/deleteWebhook")
    assert (await http.post("/getUpdates")).status_code == 200


async def test_fault_injection(bot: Bot, sim: BotAPISimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    user = sim.add_user(started=True)
    sim.inject_fault("sendMessage", count=2, error_code=400, description="Bad Request: injected")
    for _ in range(2):
        with pytest.raises(BadRequest, match=r"(?i)injected"):
            await bot.send_message(user.id, "x")
    await bot.send_message(user.id, "x")
    assert [c.ok for c in sim.calls_of("sendMessage")] == [False, False, True]
    assert len(sim.messages(user)) == 1  # failed calls did nothing

    # PTB warns on every RetryAfter unless opted in to timedelta periods; the
    # project's filterwarnings=error would turn that into a failure.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    sim.inject_fault("getChat", error_code=429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.get_chat(user.id)
    assert caught.value.retry_after == dt.timedelta(seconds=3)


async def test_rate_limits(
    bot: Bot, sim: BotAPISimulator, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    user = sim.add_user(started=True)
    channel = sim.add_channel(username="flood", title="Flood")
    sim.clock = clock = ManualClock()
    sim.set_rate_limits(global_per_s=None, per_chat_per_s=1.0, per_channel_per_min=2, retry_after=1)

    await bot.send_message(user.id, "one")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(user.id, "two")
    assert caught.value.retry_after == dt.timedelta(seconds=1)
    raw = await http.post("/sendMessage", data={"chat_id": str(user.id), "text": "three"})
    assert raw.status_code == 429
    assert raw.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }

    await bot.send_message(channel.id, "a")
    clock.advance(1.05)  # past the per-chat second, inside the channel's minute
    await bot.send_message(channel.id, "b")
    clock.advance(1.05)
    raw = await http.post("/sendMessage", data={"chat_id": str(channel.id), "text": "c"})
    assert raw.status_code == 429
    assert 55 <= raw.json()["parameters"]["retry_after"] <= 60  # per-minute window
    assert sim.throttled_count == 3
    assert [m.text for m in sim.messages(channel)] == ["a", "b"]


async def test_send_document_round_trip(bot: Bot, sim: BotAPISimulator) -> None:
    user = sim.add_user(started=True)
    payload = "سلام\n".encode() * 100
    sent = await bot.send_document(user.id, document=payload, filename="hello.txt", caption="file")
    assert sent.document is not None
    assert sent.document.file_name == "hello.txt"
    assert sent.document.file_size == len(payload)
    assert sent.caption == "file"

    stored = sim.last_message(user)
    assert stored is not None and stored.document is not None
    assert stored.document.data == payload
    assert stored.document.mime_type == "text/plain"

    downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == payload

    # Re-sending by file_id reuses the stored file.
    again = await bot.send_document(user.id, document=sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id

    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big")
    photo = await bot.send_photo(user.id, photo=png)
    assert (photo.photo[-1].width, photo.photo[-1].height) == (640, 480)


async def test_get_chat_and_members(bot: Bot, sim: BotAPISimulator) -> None:
    owner = sim.add_user(first_name="Owner", started=True)
    channel = sim.add_channel(username="kooch_demo", title="Demo", description="About", owner=owner)
    outside = sim.add_channel(username="public_outside", title="Outside", bot_rights=None)
    post = await bot.send_message(channel.id, "pinned")
    await bot.pin_chat_message(channel.id, post.message_id)

    info = await bot.get_chat("@kooch_demo")
    assert isinstance(info, ChatFullInfo)
    assert info.id == channel.id
    assert info.type == "channel"
    assert info.description == "About"
    assert info.pinned_message is not None and info.pinned_message.text == "pinned"
    assert await bot.get_chat_member_count(channel.id) == 1000

    me = await bot.get_chat_member(channel.id, bot.id)
    assert isinstance(me, ChatMemberAdministrator)
    assert me.can_post_messages and me.can_edit_messages
    left = await bot.get_chat_member(outside.id, bot.id)
    assert isinstance(left, ChatMemberLeft)
    member = await bot.get_chat_member(channel.id, owner.id)
    assert member.status == "creator"
    admins = await bot.get_chat_administrators(channel.id)
    assert {a.user.id for a in admins} == {owner.id, bot.id}


async def test_application_runs_against_simulator(sim: BotAPISimulator) -> None:
    user = sim.add_user()

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, "hi")

    app = ApplicationBuilder().token(TOKEN).base_url(sim.base_url).base_file_url(sim.base_file_url).build()
    app.add_handler(CommandHandler("start", start))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        sent = await sim.send_text(user, "/start")
        reply = await sim.wait_for_message(user, lambda m: m.text == "hi", timeout=5, after=sent.message_id)
        assert reply.from_bot
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert sim.pending_updates == 0  # the final poll confirmed everything


async def test_restarted_bot_is_served(sim: BotAPISimulator) -> None:
    """A bot that dies mid-poll must not lock its successor out."""
    user = sim.add_user()
    async with Bot(TOKEN, base_url=sim.base_url) as dead:
        doomed = asyncio.create_task(dead.get_updates(timeout=30, read_timeout=35))
        await eventually(lambda: sim.polls_waiting == 1, "the doomed poll parked", on=sim)
        doomed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await doomed
    async with Bot(TOKEN, base_url=sim.base_url) as successor:
        started = sim.polls_started
        poll = asyncio.create_task(successor.get_updates(timeout=5))
        # Parked, the doomed one (still waiting on the server) turned away by it.
        await eventually(
            lambda: sim.polls_started > started and sim.polls_waiting == 1,
            "the successor's poll parked",
            on=sim,
        )
        await sim.send_text(user, "/start")
        updates = await asyncio.wait_for(poll, 2)
    assert len(updates) == 1


async def test_conflict_seen_by_ptb(sim: BotAPISimulator) -> None:
    async with Bot(TOKEN, base_url=sim.base_url) as one, Bot(TOKEN, base_url=sim.base_url) as two:
        first = asyncio.create_task(one.get_updates(timeout=5))
        await eventually(lambda: sim.polls_waiting == 1, "the first poll parked", on=sim)
        second = asyncio.create_task(two.get_updates(timeout=0))
        with pytest.raises(Conflict):
            await asyncio.wait_for(first, 2)
        assert await second == ()


async def test_copy_forward_delete_and_groups(
    bot: Bot, sim: BotAPISimulator, http: httpx.AsyncClient
) -> None:
    user = sim.add_user(started=True)
    channel = sim.add_channel(username="kooch_demo", title="Demo")
    group = sim.add_group(title="Chat")
    post = await bot.send_message(channel.id, "news", reply_markup=keyboard([("Join", "join")]))

    copied = await bot.copy_message(user.id, from_chat_id=channel.id, message_id=post.message_id)
    copy = sim.message(user, copied.message_id)
    assert copy.text == "news"
    assert copy.callback_buttons() == [("Join", "join")]
    forwarded = await bot.forward_message(user.id, from_chat_id=channel.id, message_id=post.message_id)
    assert forwarded.forward_origin is not None
    assert forwarded.forward_origin.type == "channel"

    # Plain group member: may post, may not pin or change the title.
    await bot.send_message(group.id, "hello group")
    with pytest.raises(BadRequest, match=r"(?i)not enough rights to manage pinned messages"):
        await bot.pin_chat_message(group.id, 1)
    group_message = await sim.send_text(user, "/help@kooch_test_bot", chat_id=group.id)
    assert group_message.entities == [{"type": "bot_command", "offset": 0, "length": 20}]

    # A human admin deletes the post; the bot's later delete fails like on Telegram.
    sim.delete_message(channel.id, post.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(channel.id, post.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await bot.copy_message(user.id, from_chat_id=channel.id, message_id=post.message_id)
    assert await bot.delete_message(user.id, copied.message_id)

    # curl-style GET with a query string.
    response = await http.get("/sendChatAction", params={"chat_id": str(user.id), "action": "typing"})
    assert response.json() == {"ok": True, "result": True}


async def test_member_updates_and_allowed_updates(bot: Bot, sim: BotAPISimulator) -> None:
    user = sim.add_user()
    await sim.send_text(user, "/start")
    sim.block_bot(user)
    updates = await bot.get_updates(timeout=0)
    assert [u.effective_message is not None for u in updates] == [True, False]
    member_update = updates[1].my_chat_member
    assert member_update is not None
    assert member_update.new_chat_member.status == "kicked"

    # allowed_updates is remembered: later updates of other types are dropped.
    await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0, allowed_updates=["callback_query"])
    sim.unblock_bot(user)
    await sim.send_text(user, "ignored")
    assert sim.pending_updates == 0
    sent = await bot.send_message(user.id, "menu", reply_markup=keyboard([("Go", "go")]))
    await sim.press_button(user, user.id, sent.message_id, "go")
    updates = await bot.get_updates(timeout=0)
    assert [u.callback_query.data for u in updates if u.callback_query] == ["go"]

    with pytest.raises(TimeoutError, match="no bot message"):
        await sim.wait_for_message(user, lambda m: m.text == "never", timeout=0.05)
