"""Telegram's errors in the operators' words (kooch.telegram.errors).

Every wording function with fixed inputs and the full text expected, so a change of wording is
a change of this file too."""

from __future__ import annotations

import pytest

from kooch.telegram.errors import explain_telegram_error
from tests.wording_kit import CHAT_NOT_FOUND, NOT_A_MEMBER

# kooch.telegram.errors


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Forbidden: bot is not a member of the channel chat", NOT_A_MEMBER),
        ("Forbidden: bot was kicked from the channel chat", NOT_A_MEMBER),
        (
            "Bad Request: need administrator rights in the channel chat",
            "the bot is not an administrator allowed to post here. In the channel's administrators, "
            "give the bot the right “Post messages”.",
        ),
        (
            "not enough rights to send text messages to the chat",
            "the bot is not an administrator allowed to post here. In the channel's administrators, "
            "give the bot the right “Post messages”.",
        ),
        (
            "not enough rights to manage pinned messages in the chat",
            "the bot may not pin here: give it the right “Edit messages of others”.",
        ),
        ("Chat not found", CHAT_NOT_FOUND),
        ("Too Many Requests: retry after 5", "Telegram is rate-limiting the bot; try again in a minute."),
        ("retry after 5 s", "Telegram is rate-limiting the bot; try again in a minute."),
        ("MESSAGE_TOO_LONG", "Telegram said: MESSAGE_TOO_LONG"),
        ("", "Telegram said: "),
    ],
    ids=[
        "not-a-member",
        "kicked",
        "not-admin",
        "may-not-send",
        "may-not-pin",
        "chat-not-found",
        "rate-limited",
        "rate-limited-translated",
        "anything-else",
        "empty",
    ],
)
def test_explain_telegram_error(description: str, expected: str) -> None:
    assert explain_telegram_error(description) == expected
