"""Bot API methods about the bot itself: getMe, logOut/close, its commands, description,
short description and name.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import bad_request
from ..models import JSONDict
from .base import ApiBase


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

    def api_true(self, params: JSONDict) -> Any:
        """logOut / close: nothing to tear down in a simulator."""
        return True

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope")
        scope_key = json.dumps(scope, sort_keys=True) if scope else '{"type": "default"}'
        language = params.get("language_code") or ""
        return scope_key, str(language)

    def api_set_my_commands(self, params: JSONDict) -> Any:
        """setMyCommands with Telegram's command-name rules."""
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
                or not all(c.islower() or c.isdigit() or c == "_" for c in name)
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
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
        """getMyCommands for exactly that scope and language."""
        return list(self.commands.get(self._commands_key(params), []))

    def api_delete_my_commands(self, params: JSONDict) -> Any:
        """deleteMyCommands."""
        self.commands.pop(self._commands_key(params), None)
        return True

    def _text_setting(self, params: JSONDict, store: dict[str, str], name: str, limit: int) -> Any:
        value = params.get(name) or ""
        if not isinstance(value, str) or len(value) > limit:
            raise bad_request(f"{name.upper()}_INVALID")
        language = str(params.get("language_code") or "")
        if value:
            store[language] = value
        else:
            store.pop(language, None)
        return True

    def api_set_my_description(self, params: JSONDict) -> Any:
        """setMyDescription (≤ 512 characters)."""
        return self._text_setting(params, self.descriptions, "description", 512)

    def api_get_my_description(self, params: JSONDict) -> Any:
        """getMyDescription."""
        return {"description": self.descriptions.get(str(params.get("language_code") or ""), "")}

    def api_set_my_short_description(self, params: JSONDict) -> Any:
        """setMyShortDescription (≤ 120 characters)."""
        return self._text_setting(params, self.short_descriptions, "short_description", 120)

    def api_get_my_short_description(self, params: JSONDict) -> Any:
        """getMyShortDescription."""
        language = str(params.get("language_code") or "")
        return {"short_description": self.short_descriptions.get(language, "")}

    def api_set_my_name(self, params: JSONDict) -> Any:
        """setMyName (≤ 64 characters)."""
        return self._text_setting(params, self.names, "name", 64)

    def api_get_my_name(self, params: JSONDict) -> Any:
        """getMyName (falls back to the bot's first name)."""
        language = str(params.get("language_code") or "")
        return {"name": self.names.get(language, self.bot.first_name)}
