"""Checks every Bot API method shares: resolving ``chat_id``, the bot's access to a chat,
and required parameters. Each fails with Telegram's own error text.
"""

from __future__ import annotations

from ..errors import bad_request, forbidden
from ..models import JSONDict, SimChat
from ..world import World


class ApiBase(World):
    """The access checks shared by the Bot API method areas."""

    def _resolve_chat(self, params: JSONDict, name: str = "chat_id") -> SimChat:
        ref = params.get(name)
        if ref is None or ref == "":
            raise bad_request(f"{name} is empty")
        if isinstance(ref, str):
            chat_id = self._usernames.get(ref.lstrip("@").lower())
            chat = self._chats.get(chat_id) if chat_id is not None else None
        else:
            chat = self._chats.get(ref)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _check_member(self, chat: SimChat) -> None:
        """403s shared by every method acting in a chat."""
        if chat.is_private:
            user = chat.user
            assert user is not None
            if user.blocked:
                raise forbidden("bot was blocked by the user")
            if not user.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif chat.bot_rights is None:
            kind = "channel" if chat.is_channel else "supergroup"
            raise forbidden(f"bot is not a member of the {kind} chat")

    def _check_can_post(self, chat: SimChat) -> None:
        self._check_member(chat)
        if chat.is_channel and not chat.right("can_post_messages"):
            raise bad_request("need administrator rights in the channel chat")

    def _check_readable(self, chat: SimChat) -> None:
        """getChat & co.: private chats need a started user, other chats membership
        unless public (Telegram lets bots read public chats they are not in)."""
        if chat.is_private:
            assert chat.user is not None
            if not chat.user.started:
                raise bad_request("chat not found")
        elif chat.bot_rights is None and chat.username is None:
            raise bad_request("chat not found")

    def _require_message_id(self, params: JSONDict) -> int:
        message_id = params.get("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        assert isinstance(message_id, int)
        return message_id
