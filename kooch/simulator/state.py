"""The whole simulated Telegram, composed from its parts, and the Bot API method table.

:class:`SimulatorState` owns all mutable state and implements every Bot API method
except the HTTP plumbing, which lives in :mod:`kooch.simulator.server`. The rules are
free of aiohttp, so they read next to Telegram's documentation: each method checks
what Telegram checks, in roughly the same order, and fails with Telegram's own error
text. Where things live:

- :mod:`.world`: the state (users, chats, messages, updates queue, files, settings)
  and the lookups tests use to inspect it;
- :mod:`.scenario`: creating users, channels and groups, rights and membership;
- :mod:`.player`: acting as users (``send_text``, ``press_button`` ...) and waiting for
  the bot (``wait_for_message``, ``wait_for_answer``, ``wait_until``);
- :mod:`.faults`: injected failures and flood control;
- :mod:`.methods`: the Bot API methods, one module per area;
- :mod:`.webhook` (used by the HTTP server): calling the bot's webhook like Telegram;
- :mod:`.control` and ``__main__``: the simulator as its own process, for benchmarks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .errors import SimulatorError
from .faults import SENDING_METHODS, Faults
from .media import guess_mime
from .methods import (
    BotMethods,
    CallbackMethods,
    ChatMethods,
    MemberMethods,
    MessageMethods,
    UpdateMethods,
)
from .methods.callbacks import QUERY_TOO_OLD
from .methods.messages import NOT_MODIFIED
from .methods.updates import CONFLICT_OTHER_POLL, CONFLICT_WEBHOOK
from .models import JSONDict, SimMessage
from .player import Player
from .ratelimit import Fault, RateLimits
from .scenario import Scenario
from .world import OPT_IN_UPDATE_TYPES, ChatRef, Pulse, UserRef, World

__all__ = [
    "CONFLICT_OTHER_POLL",
    "CONFLICT_WEBHOOK",
    "NOT_MODIFIED",
    "OPT_IN_UPDATE_TYPES",
    "QUERY_TOO_OLD",
    "SENDING_METHODS",
    "ChatRef",
    "Fault",
    "Faults",
    "Handler",
    "Pulse",
    "RateLimits",
    "SimulatorState",
    "UserRef",
    "World",
]

#: A Bot API method implementation: coerced parameters in, the JSON ``result`` out.
Handler = Callable[[JSONDict], Any]


class SimulatorState(
    Scenario,
    Player,
    BotMethods,
    UpdateMethods,
    MessageMethods,
    CallbackMethods,
    ChatMethods,
    MemberMethods,
):
    """All simulator state plus the Bot API method implementations and the player API."""

    # ------------------------------------------------------------------ a channel admin posting

    async def post_in_channel(
        self,
        chat: ChatRef,
        text: str | None = None,
        *,
        photo: bytes | None = None,
        document: tuple[str, bytes] | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> SimMessage:
        """A human admin posts in the channel (text, a photo or a document with a caption; an
        album's item with ``media_group_id``): the bot, an admin there, gets it as a
        ``channel_post`` (a bot's own posts come as none)."""
        target = self.chat(chat)
        if not target.is_channel:
            raise SimulatorError("post_in_channel is for channels")
        sim_file = None
        if photo is not None:
            sim_file = self._new_file("photo", None, "image/jpeg", photo, url=None)
        elif document is not None:
            name, data = document
            sim_file = self._new_file(
                "document", name, guess_mime(name, "application/octet-stream"), data, url=None
            )
        message = self._store_message(
            target,
            sender=None,
            from_bot=False,
            text=None if sim_file else text,
            caption=caption if sim_file else None,
            photo=sim_file if photo is not None else None,
            document=sim_file if document is not None else None,
        )
        payload = message.to_dict()
        if media_group_id is not None:
            payload["media_group_id"] = media_group_id  # an album's item
        self._enqueue("channel_post", payload)
        self._change_pulse.fire()
        return message

    async def edit_channel_post(self, chat: ChatRef, message_id: int, text: str) -> SimMessage:
        """The admin edits a post's text (or caption): an ``edited_channel_post``."""
        message = self.message(chat, message_id)
        self._record_edit(message, "edit by an admin")
        if message.text is not None:
            message.text = text
        else:
            message.caption = text
        message.edit_date = int(time.time())
        self._enqueue("edited_channel_post", message.to_dict())
        self._change_pulse.fire()
        return message

    def _method_table(self) -> dict[str, Handler]:
        """Every Bot API method the simulator knows, by Telegram's name."""
        return {
            # methods/bot.py
            "getMe": self.api_get_me,
            "logOut": self.api_true,
            "close": self.api_true,
            "setMyCommands": self.api_set_my_commands,
            "getMyCommands": self.api_get_my_commands,
            "deleteMyCommands": self.api_delete_my_commands,
            "setMyDescription": self.api_set_my_description,
            "getMyDescription": self.api_get_my_description,
            "setMyShortDescription": self.api_set_my_short_description,
            "getMyShortDescription": self.api_get_my_short_description,
            "setMyName": self.api_set_my_name,
            "getMyName": self.api_get_my_name,
            "getMyStarBalance": self.api_get_my_star_balance,
            # methods/updates.py; getUpdates is a coroutine (the long poll), which the
            # server awaits.
            "getUpdates": self.api_get_updates,
            "setWebhook": self.api_set_webhook,
            "deleteWebhook": self.api_delete_webhook,
            "getWebhookInfo": self.api_get_webhook_info,
            # methods/messages.py
            "sendMessage": self.api_send_message,
            "sendPhoto": self.api_send_photo,
            "sendDocument": self.api_send_document,
            "sendVideo": self.api_send_video,
            "sendMediaGroup": self.api_send_media_group,
            "sendChatAction": self.api_send_chat_action,
            "copyMessage": self.api_copy_message,
            "forwardMessage": self.api_forward_message,
            "editMessageText": self.api_edit_message_text,
            "editMessageCaption": self.api_edit_message_caption,
            "editMessageReplyMarkup": self.api_edit_message_reply_markup,
            "deleteMessage": self.api_delete_message,
            "deleteMessages": self.api_delete_messages,
            # methods/files.py
            "getFile": self.api_get_file,
            # methods/callbacks.py
            "answerCallbackQuery": self.api_answer_callback_query,
            # methods/chats.py
            "getChat": self.api_get_chat,
            "setChatTitle": self.api_set_chat_title,
            "setChatDescription": self.api_set_chat_description,
            "pinChatMessage": self.api_pin_chat_message,
            "unpinChatMessage": self.api_unpin_chat_message,
            "unpinAllChatMessages": self.api_unpin_all_chat_messages,
            # methods/members.py
            "getChatMemberCount": self.api_get_chat_member_count,
            "getChatMember": self.api_get_chat_member,
            "getChatAdministrators": self.api_get_chat_administrators,
        }
