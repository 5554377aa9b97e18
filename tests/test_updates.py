"""The update parser builds exactly what python-telegram-bot builds, with a tap's post parsed once."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from telegram import Bot, Message, Update

from kooch.telegram.updates import UpdateParser

BOT = Bot("123456:TEST")

POST: dict[str, Any] = {
    "message_id": 7,
    "date": 1_700_000_000,
    "chat": {"id": -1001, "type": "channel", "title": "کانال", "username": "kooch_demo"},
    "sender_chat": {"id": -1001, "type": "channel", "title": "کانال"},
    "text": "این کانال اینجا تمام می‌شود. " * 40,
    "entities": [{"type": "bold", "offset": 0, "length": 4}, {"type": "mention", "offset": 10, "length": 5}],
    "reply_markup": {
        "inline_keyboard": [
            [{"text": "سروش", "url": "https://splus.ir/kooch_demo"}],
            [
                {"text": "بله", "url": "https://ble.ir/kooch_demo"},
                {"text": "📋", "copy_text": {"text": "@x"}},
            ],
            [{"text": "✅ کوچ کردم", "callback_data": "ack:demo"}],
        ]
    },
}


def tap(update_id: int, user_id: int, post: dict[str, Any] = POST, **extra: Any) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": {"id": user_id, "is_bot": False, "first_name": f"U{user_id}", "language_code": "fa"},
            "chat_instance": "-42",
            "data": "ack:demo",
            "message": copy.deepcopy(post),
            **extra,
        },
    }


def ptb(data: dict[str, Any]) -> dict[str, Any]:
    return Update.de_json(copy.deepcopy(data), BOT).to_dict()


SHAPES = {
    "tap": tap(1, 10),
    "tap with inline_message_id": tap(2, 11, inline_message_id="abc"),
    "tap on an inaccessible post": tap(3, 12, post={"message_id": 7, "date": 0, "chat": POST["chat"]}),
    "tap with a field PTB keeps in api_kwargs": tap(4, 13, some_future_field=1),
    "private message": {
        "update_id": 5,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": 10, "type": "private", "first_name": "A"},
            "from": {"id": 10, "is_bot": False, "first_name": "A"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    },
    "query from a private chat's button": {
        "update_id": 6,
        "callback_query": {
            "id": "6",
            "from": {"id": 10, "is_bot": False, "first_name": "A"},
            "chat_instance": "1",
            "data": "confirm:1",
            "message": {"message_id": 3, "date": 1_700_000_000, "chat": {"id": 10, "type": "private"}},
        },
    },
    "query without a message": {
        "update_id": 8,
        "callback_query": {
            "id": "8",
            "from": {"id": 1, "is_bot": False, "first_name": "A"},
            "chat_instance": "1",
        },
    },
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_builds_what_ptb_builds(name: str) -> None:
    data = SHAPES[name]
    parsed = UpdateParser(BOT).parse(copy.deepcopy(data))
    assert parsed.to_dict() == ptb(data)
    assert parsed.get_bot() is BOT
    if parsed.callback_query is not None:
        assert parsed.callback_query.get_bot() is BOT
        assert parsed.callback_query.from_user.id == data["callback_query"]["from"]["id"]


def test_taps_on_one_post_share_its_parse_and_an_edit_is_parsed_again() -> None:
    parser = UpdateParser(BOT)
    first, second = parser.parse(tap(1, 10)), parser.parse(tap(2, 11))
    assert first.callback_query is not None and second.callback_query is not None
    assert first.callback_query.message is second.callback_query.message
    assert isinstance(first.callback_query.message, Message)
    assert first.callback_query.from_user.id == 10 and second.callback_query.from_user.id == 11

    edited = dict(POST, text="ویرایش شد", edit_date=1_700_000_100)
    third = parser.parse(tap(3, 12, post=edited))
    assert third.callback_query is not None and third.callback_query.message is not None
    assert third.callback_query.message is not first.callback_query.message
    assert isinstance(third.callback_query.message, Message)
    assert third.callback_query.message.text == "ویرایش شد"
    assert third.to_dict() == ptb(tap(3, 12, post=edited))


def test_an_old_post_comes_back_as_ptb_builds_it() -> None:
    """Telegram sends date 0 for a post older than 48 hours; PTB's CallbackQuery keeps a Message
    with its zero date (not an InaccessibleMessage): the parser must do the same."""
    data = SHAPES["tap on an inaccessible post"]
    parsed = UpdateParser(BOT).parse(copy.deepcopy(data))
    theirs = Update.de_json(copy.deepcopy(data), BOT)
    assert parsed.callback_query is not None and theirs.callback_query is not None
    assert type(parsed.callback_query.message) is type(theirs.callback_query.message)
    assert parsed.callback_query.message == theirs.callback_query.message


def test_posts_kept_are_bounded() -> None:
    parser = UpdateParser(BOT, posts_kept=2)
    for message_id in range(1, 6):
        parser.parse(tap(message_id, 10, post=dict(POST, message_id=message_id)))
    assert len(parser._posts) == 2


QUERY: dict[str, Any] = {"id": "1", "from": {"id": 1}, "chat_instance": "1", "message": POST}


@pytest.mark.parametrize(
    "body",
    [
        {"update_id": 1, "callback_query": dict(QUERY, **{"from": "x"})},
        {"update_id": 1, "callback_query": dict(QUERY, message={})},
        {"update_id": 1, "callback_query": dict(QUERY, message=[])},
    ],
)
def test_a_malformed_tap_fails_as_ptb_fails(body: dict[str, Any]) -> None:
    """The webhook turns these errors into "not an update": the parser must raise, not build junk."""
    with pytest.raises((AttributeError, KeyError, TypeError, ValueError)):
        Update.de_json(copy.deepcopy(body), BOT).to_dict()
    with pytest.raises((AttributeError, KeyError, TypeError, ValueError)):
        UpdateParser(BOT).parse(copy.deepcopy(body)).to_dict()
