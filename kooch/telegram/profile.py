"""What the bot shows of itself, read and written: its "/" menus and its descriptions.

``setMyCommands`` takes a scope and a language: Kooch uses the default scope (every chat) and one
private chat per operator (``BotCommandScopeChat``); ``language_code`` "" is the set for every
language that has none of its own. Features call a :class:`BotProfile` with plain data, so they
import nothing of python-telegram-bot; Telegram's refusals come as :mod:`kooch.telegram.gateway`'s
exceptions.
"""

from __future__ import annotations

from telegram import Bot, BotCommand, BotCommandScope, BotCommandScopeChat, BotCommandScopeDefault
from telegram.constants import BotCommandLimit, BotDescriptionLimit

from kooch.telegram.gateway import translated

#: Telegram's limits on a command (python-telegram-bot's constants): its name, 1 to 32 of a-z 0-9 _,
#: its description, and how many one menu holds.
MIN_COMMAND = int(BotCommandLimit.MIN_COMMAND)
MAX_COMMAND = int(BotCommandLimit.MAX_COMMAND)
MIN_COMMAND_DESCRIPTION = 1
MAX_COMMAND_DESCRIPTION = int(BotCommandLimit.MAX_DESCRIPTION)
MAX_COMMANDS = int(BotCommandLimit.MAX_COMMAND_NUMBER)
#: Characters of the description (the empty chat's "What can this bot do?") and of the short one
#: (the profile page, and the preview when the bot's link is shared).
MAX_DESCRIPTION = int(BotDescriptionLimit.MAX_DESCRIPTION_LENGTH)
MAX_SHORT_DESCRIPTION = int(BotDescriptionLimit.MAX_SHORT_DESCRIPTION_LENGTH)

#: A menu: (command, description) pairs in the order shown.
Commands = tuple[tuple[str, str], ...]


def _scope(chat_id: int | None) -> BotCommandScope:
    return BotCommandScopeDefault() if chat_id is None else BotCommandScopeChat(chat_id)


class BotProfile:
    """One Bot's menus (per scope: None is the default, else a private chat's id) and descriptions
    (per language: "" is every language without its own)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def commands(self, chat_id: int | None, language: str) -> Commands:
        with translated():
            found = await self.bot.get_my_commands(scope=_scope(chat_id), language_code=language or None)
        return tuple((c.command, c.description) for c in found)

    async def set_commands(self, chat_id: int | None, language: str, commands: Commands) -> None:
        with translated():
            await self.bot.set_my_commands(
                [BotCommand(name, description) for name, description in commands],
                scope=_scope(chat_id),
                language_code=language or None,
            )

    async def delete_commands(self, chat_id: int | None, language: str) -> None:
        with translated():
            await self.bot.delete_my_commands(scope=_scope(chat_id), language_code=language or None)

    async def description(self, language: str) -> str:
        with translated():
            found = await self.bot.get_my_description(language_code=language or None)
        return found.description

    async def set_description(self, language: str, text: str) -> None:
        with translated():
            await self.bot.set_my_description(text, language_code=language or None)

    async def short_description(self, language: str) -> str:
        with translated():
            found = await self.bot.get_my_short_description(language_code=language or None)
        return found.short_description

    async def set_short_description(self, language: str, text: str) -> None:
        with translated():
            await self.bot.set_my_short_description(text, language_code=language or None)
