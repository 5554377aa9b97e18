"""Bot API methods about a chat's members: counts, one member's status, the administrators."""

from __future__ import annotations

from typing import Any

from ..errors import bad_request
from ..models import JSONDict, SimChat, SimUser
from ..world import member_of_bot
from .base import ApiBase


class MemberMethods(ApiBase):
    """getChatMemberCount, getChatMember, getChatAdministrators."""

    def api_get_chat_member_count(self, params: JSONDict) -> Any:
        """getChatMemberCount."""
        chat = self._resolve_chat(params)
        self._check_readable(chat)
        return 2 if chat.is_private else chat.member_count

    def _user_member(self, chat: SimChat, user: SimUser) -> JSONDict:
        if chat.owner is not None and chat.owner.id == user.id:
            return {"status": "creator", "user": user.to_dict(), "is_anonymous": False}
        status = chat.member_status.get(user.id, "member")
        member: JSONDict = {"status": status, "user": user.to_dict()}
        if status == "kicked":
            member["until_date"] = 0
        return member

    def api_get_chat_member(self, params: JSONDict) -> Any:
        """getChatMember: the bot's own rights, or a user's membership."""
        chat = self._resolve_chat(params)
        self._check_readable(chat)
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise bad_request("user_id is empty" if user_id is None else "invalid user_id specified")
        if user_id == self.bot.id:
            return member_of_bot(self.bot, chat.bot_rights, private=chat.is_private)
        user = self._users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.is_private:
            if chat.user is not user:
                raise bad_request("user not found")
            return {"status": "member", "user": user.to_dict()}
        if chat.bot_rights is None or (chat.is_channel and not any(chat.bot_rights.values())):
            raise bad_request("member list is inaccessible")
        return self._user_member(chat, user)

    def api_get_chat_administrators(self, params: JSONDict) -> Any:
        """getChatAdministrators: the owner (if known) and the bot (if admin)."""
        chat = self._resolve_chat(params)
        if chat.is_private:
            raise bad_request("there are no administrators in the private chat")
        self._check_member(chat)
        admins: list[JSONDict] = []
        if chat.owner is not None:
            admins.append(self._user_member(chat, chat.owner))
        bot_member = member_of_bot(self.bot, chat.bot_rights, private=False)
        if bot_member["status"] == "administrator":
            admins.append(bot_member)
        return admins
