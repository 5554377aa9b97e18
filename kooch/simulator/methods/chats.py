"""Bot API methods about a chat itself: getChat, its title and description, pinned messages."""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..models import JSONDict, SimChat
from ..params import MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH
from .base import ApiBase


class ChatMethods(ApiBase):
    """getChat, setChatTitle, setChatDescription, pinChatMessage, unpinChatMessage,
    unpinAllChatMessages."""

    def api_get_chat(self, params: JSONDict) -> Any:
        """getChat → ChatFullInfo with every field PTB 22 requires."""
        chat = self._resolve_chat(params)
        self._check_readable(chat)
        data = chat.to_dict()
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        if chat.is_private:
            assert chat.user is not None
            if chat.user.language_code:
                data["has_private_forwards"] = False
        elif chat.description:
            data["description"] = chat.description
        pinned = chat.pinned_message()
        if pinned is not None:
            data["pinned_message"] = pinned.to_dict()
        return data

    def api_set_chat_title(self, params: JSONDict) -> Any:
        """setChatTitle (needs can_change_info)."""
        chat = self._resolve_chat(params)
        if chat.is_private:
            raise bad_request("chat title can't be changed in private chats")
        self._check_member(chat)
        if not chat.right("can_change_info"):
            raise bad_request("not enough rights to change chat title")
        title = params.get("title")
        if not isinstance(title, str) or not title.strip():
            raise bad_request("CHAT_TITLE_EMPTY")
        if len(title) > MAX_TITLE_LENGTH:
            raise bad_request("CHAT_TITLE_INVALID")
        if title == chat.title:
            raise bad_request("CHAT_NOT_MODIFIED")
        chat.title = title
        self._change_pulse.fire()
        return True

    def api_set_chat_description(self, params: JSONDict) -> Any:
        """setChatDescription (needs can_change_info, ≤ 255 characters)."""
        chat = self._resolve_chat(params)
        if chat.is_private:
            raise bad_request("chat description can't be changed in private chats")
        self._check_member(chat)
        if not chat.right("can_change_info"):
            raise bad_request("not enough rights to change chat description")
        description = params.get("description") or ""
        if not isinstance(description, str):
            raise bad_request("invalid description specified")
        if len(description) > MAX_DESCRIPTION_LENGTH:
            raise bad_request("chat description is too long")
        if description == chat.description:
            raise bad_request("chat description is not modified")
        chat.description = description
        self._change_pulse.fire()
        return True

    # ------------------------------------------------------------------ pinned messages

    def _check_pin_rights(self, chat: SimChat) -> None:
        self._check_member(chat)
        if chat.is_channel:
            allowed = chat.right("can_edit_messages")
        elif chat.is_private:
            allowed = True
        else:
            allowed = chat.right("can_pin_messages")
        if not allowed:
            raise bad_request("not enough rights to manage pinned messages in the chat")

    def api_pin_chat_message(self, params: JSONDict) -> Any:
        """pinChatMessage."""
        chat = self._resolve_chat(params)
        self._check_pin_rights(chat)
        message_id = self._require_message_id(params)
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to pin not found")
        message.pinned = True
        if message_id in chat.pinned_ids:
            chat.pinned_ids.remove(message_id)
        chat.pinned_ids.append(message_id)
        self._change_pulse.fire()
        return True

    def api_unpin_chat_message(self, params: JSONDict) -> Any:
        """unpinChatMessage (the given message, else the most recent pin)."""
        chat = self._resolve_chat(params)
        self._check_pin_rights(chat)
        message_id = params.get("message_id")
        if message_id is None:
            current = chat.pinned_message()
            if current is None:
                return True
            message_id = current.message_id
        message = chat.messages.get(message_id)
        if message is None or message.deleted or not message.pinned:
            raise bad_request("message to unpin not found")
        message.pinned = False
        if message_id in chat.pinned_ids:
            chat.pinned_ids.remove(message_id)
        self._change_pulse.fire()
        return True

    def api_unpin_all_chat_messages(self, params: JSONDict) -> Any:
        """unpinAllChatMessages."""
        chat = self._resolve_chat(params)
        self._check_pin_rights(chat)
        for message_id in chat.pinned_ids:
            message = chat.messages.get(message_id)
            if message is not None:
                message.pinned = False
        chat.pinned_ids.clear()
        self._change_pulse.fire()
        return True
