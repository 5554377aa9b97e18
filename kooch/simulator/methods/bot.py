"""Bot API methods about the bot itself: getMe, logOut/close, its commands, description,
short description and name.
"""

from __future__ import annotations

import string
from typing import Any

from ..errors import bad_request
from ..models import JSONDict
from ..params import coerce_chat_id
from .base import ApiBase

#: BotCommandScope types that name no chat, and those that do.
SCOPES_WITHOUT_CHAT = frozenset(
    {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}
)
SCOPES_WITH_CHAT = frozenset({"chat", "chat_administrators", "chat_member"})
COMMAND_CHARACTERS = frozenset(string.ascii_lowercase + string.digits + "_")


class BotMethods(ApiBase):
    """getMe, logOut, close, set/get/deleteMyCommands, set/getMyDescription,
    set/getMyShortDescription, set/getMyName."""

    def api_get_me(self, params: JSONDict) -> Any:
        """getMe: the bot's User with the bot-only capability flags."""
        data = self.bot.to_dict()
        data.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return data

    def api_get_my_star_balance(self, params: JSONDict) -> Any:
        """getMyStarBalance: the bot's Stars as a StarAmount (whole Stars and nanostars)."""
        whole, nanos = divmod(self.star_balance_nanos, 1_000_000_000)
        return {"amount": whole, "nanostar_amount": nanos} if nanos else {"amount": whole}

    def api_true(self, params: JSONDict) -> Any:
        """logOut / close: nothing to tear down in a simulator."""
        return True

    def _language(self, params: JSONDict) -> str:
        """``language_code``: empty (every language without its own) or two letters a-z."""
        language = params.get("language_code") or ""
        if not isinstance(language, str) or (
            language and not (len(language) == 2 and language.isascii() and language.isalpha())
        ):
            raise bad_request("invalid language code specified")
        return language.lower()

    def _scope_key(self, params: JSONDict) -> str:
        """The scope as Telegram keys it: ``default``, ``all_private_chats``, ``chat:<id>``,
        ``chat_member:<chat id>:<user id>`` … A chat scope needs a chat the bot knows, and a
        private chat one whose user started the bot ("chat not found" otherwise, as Telegram)."""
        scope = params.get("scope")
        if scope is None or scope == "":
            return "default"
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise bad_request("can't parse BotCommandScope JSON object")
        kind: str = scope["type"]
        if kind in SCOPES_WITHOUT_CHAT:
            return kind
        if kind not in SCOPES_WITH_CHAT:
            raise bad_request("unsupported bot command scope type")
        chat = self._resolve_chat({"chat_id": coerce_chat_id(scope.get("chat_id"))})
        self._check_readable(chat)
        if kind == "chat":
            return f"chat:{chat.id}"
        if chat.is_private or chat.is_channel:
            raise bad_request("can't change commands in private chats and channels for this scope")
        if kind == "chat_administrators":
            return f"chat_administrators:{chat.id}"
        user_id = scope.get("user_id")
        if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id not in self._users:
            raise bad_request("user not found")
        return f"chat_member:{chat.id}:{user_id}"

    def _commands_key(self, params: JSONDict) -> tuple[str, str]:
        return self._scope_key(params), self._language(params)

    def api_set_my_commands(self, params: JSONDict) -> Any:
        """setMyCommands with Telegram's rules: at most 100 commands, each 1-32 of a-z 0-9 _ with a
        description of 1-256 characters; an empty list deletes the menu of that scope and language."""
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse commands JSON object")
            name = command.get("command")
            description = command.get("description")
            if (
                not isinstance(name, str)
                or not 1 <= len(name) <= 32
                or not all(c in COMMAND_CHARACTERS for c in name)
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        if commands:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.commands.pop(key, None)
        return True

    def api_get_my_commands(self, params: JSONDict) -> Any:
        """getMyCommands for exactly that scope and language (no fallback, as Telegram)."""
        return [dict(c) for c in self.commands.get(self._commands_key(params), [])]

    def api_delete_my_commands(self, params: JSONDict) -> Any:
        """deleteMyCommands."""
        self.commands.pop(self._commands_key(params), None)
        return True

    def _text_setting(self, params: JSONDict, store: dict[str, str], name: str, limit: int) -> Any:
        value = params.get(name) or ""
        if not isinstance(value, str) or len(value) > limit:
            raise bad_request(f"{name.upper()}_INVALID")
        language = self._language(params)
        if value:
            store[language] = value
        else:
            store.pop(language, None)
        return True

    def api_set_my_description(self, params: JSONDict) -> Any:
        """setMyDescription (≤ 512 characters; empty removes it)."""
        return self._text_setting(params, self.descriptions, "description", 512)

    def api_get_my_description(self, params: JSONDict) -> Any:
        """getMyDescription."""
        return {"description": self.descriptions.get(self._language(params), "")}

    def api_set_my_short_description(self, params: JSONDict) -> Any:
        """setMyShortDescription (≤ 120 characters)."""
        return self._text_setting(params, self.short_descriptions, "short_description", 120)

    def api_get_my_short_description(self, params: JSONDict) -> Any:
        """getMyShortDescription."""
        return {"short_description": self.short_descriptions.get(self._language(params), "")}

    def api_set_my_name(self, params: JSONDict) -> Any:
        """setMyName (≤ 64 characters)."""
        return self._text_setting(params, self.names, "name", 64)

    def api_get_my_name(self, params: JSONDict) -> Any:
        """getMyName (falls back to the bot's first name)."""
        language = self._language(params)
        return {"name": self.names.get(language, self.bot.first_name)}
