"""Keeping Telegram's copy of the menus and descriptions in step with the config.

Telegram is asked what it shows now (getMyCommands, getMyDescription, getMyShortDescription) and
only what differs is set. Reading back rather than remembering a hash of what was last set: the
truth is Telegram's, so a menu changed in BotFather, a new token over an old database, a restored
backup or a second replica all end right, with no table and no operator id stored (nothing for
/forget to chase). It costs a read per menu at start (one per language and scope, a few dozen
even with ten operators, done a few at a time), and nothing is set when nothing changed.

One thing read-back cannot know is which operators' private chats hold a menu from an earlier
config: a reload removes the menus of the operators it removes (:meth:`MenuKeeper.apply` with
``removed``), and someone removed while Kooch was stopped loses theirs the first time a command of
it is refused them (:meth:`MenuKeeper.drop`). A private chat Telegram does not know yet (an
operator who never started the bot) refuses a menu: that operator's menus are set at their first
/start (:meth:`MenuKeeper.ensure`). These two per-person repairs run on whichever replica the
person reaches (idempotent, a few reads); the start-up and reload rounds are the leader's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field

from kooch.config import Config
from kooch.menus.model import Menu
from kooch.menus.wording import MENU_LANGUAGES, operator_menus, profile
from kooch.telegram.gateway import TelegramFailed
from kooch.telegram.profile import BotProfile

log = logging.getLogger(__name__)

#: Reads and writes in flight at once: a start with many operators is not a burst.
IN_FLIGHT = 4
#: People refused an operator command whose chat is checked for a stale operator menu (each once);
#: past this many, no more (strangers trying /stats are not worth a read each).
MAX_DROPPED = 10_000


@dataclass
class Applied:
    """What one :meth:`MenuKeeper.apply` did (for the logs and tests)."""

    set: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _where(chat_id: int | None, language: str) -> str:
    return f"{'default' if chat_id is None else f'chat {chat_id}'}/{language or '*'}"


class MenuKeeper:
    """Sets what :func:`kooch.menus.wording.profile` asks for, where Telegram shows otherwise."""

    def __init__(self, bot: BotProfile, config: Callable[[], Config]) -> None:
        self.bot = bot
        self.config = config
        self._slots = asyncio.Semaphore(IN_FLIGHT)
        self._dropped: set[int] = set()
        self._round: asyncio.Task[Applied] | None = None
        self._rounds: set[asyncio.Task[Applied]] = set()

    async def start(self) -> None:
        """The leader's duty: one round in the background, so that the bot takes updates meanwhile
        (against Telegram a round is a few dozen reads, up to a second or two)."""
        self.refresh()

    def refresh(self, removed: Collection[int] = ()) -> None:
        """A round in the background, after the one running (a reload: its summary is not held up
        by the menus); the menus of the ``removed`` operators go."""
        self._round = asyncio.create_task(self._background(self._round, removed), name="kooch-menus")
        self._rounds.add(self._round)
        self._round.add_done_callback(self._rounds.discard)

    async def stop(self) -> None:
        """Cut the rounds short (the next leader reads back and finishes them)."""
        rounds = list(self._rounds)
        for task in rounds:
            task.cancel()
        await asyncio.gather(*rounds, return_exceptions=True)
        self._round = None

    async def settled(self) -> None:
        """Return once the rounds started so far are over (at once if none runs)."""
        if self._round is not None:
            await asyncio.shield(self._round)

    async def _background(self, previous: asyncio.Task[Applied] | None, removed: Collection[int]) -> Applied:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            return await self.apply(removed)
        except Exception:
            log.exception("the bot's menus and descriptions could not be set")
            return Applied()

    async def apply(self, removed: Collection[int] = ()) -> Applied:
        """Bring every menu and description in line with the config in force; the menus of the
        ``removed`` operators' chats are deleted. A refusal is logged and the rest goes on."""
        config = self.config()
        wanted = profile(config)
        done = Applied()
        steps: list[Awaitable[None]] = [self._menu(m, done) for m in wanted.menus]
        steps += [self._menu(Menu(op, lang, ()), done) for op in removed for lang in (*MENU_LANGUAGES, "")]
        steps += [
            self._text(
                f"description/{lang or '*'}", self.bot.description, self.bot.set_description, lang, text, done
            )
            for lang, text in wanted.descriptions.items()
        ]
        steps += [
            self._text(
                f"short description/{lang or '*'}",
                self.bot.short_description,
                self.bot.set_short_description,
                lang,
                text,
                done,
            )
            for lang, text in wanted.short_descriptions.items()
        ]
        await asyncio.gather(*steps)
        if done.set or done.deleted:
            log.info(
                "bot profile: set %s; deleted %s", ", ".join(done.set) or "-", ", ".join(done.deleted) or "-"
            )
        return done

    async def ensure(self, operator: int) -> Applied:
        """One operator's menus (at their /start: before it Telegram may not know their chat)."""
        done = Applied()
        await asyncio.gather(*(self._menu(m, done) for m in operator_menus(self.config(), operator)))
        return done

    async def drop(self, user_id: int) -> Applied:
        """The operator menus of someone who is no operator (removed while Kooch was stopped: no
        reload saw them go), once per process: called when they are refused a command."""
        done = Applied()
        if user_id in self._dropped or len(self._dropped) >= MAX_DROPPED:
            return done
        self._dropped.add(user_id)
        await asyncio.gather(*(self._menu(Menu(user_id, lang, ()), done) for lang in (*MENU_LANGUAGES, "")))
        return done

    async def _menu(self, menu: Menu, done: Applied) -> None:
        where = _where(menu.chat_id, menu.language)
        async with self._slots:
            try:
                shown = await self.bot.commands(menu.chat_id, menu.language)
                if shown == menu.commands:
                    return
                if menu.commands:
                    await self.bot.set_commands(menu.chat_id, menu.language, menu.commands)
                    done.set.append(f"menu {where}")
                else:
                    await self.bot.delete_commands(menu.chat_id, menu.language)
                    done.deleted.append(f"menu {where}")
            except TelegramFailed as exc:
                # An operator who never started the bot: their chat is unknown to Telegram yet.
                log.warning("the menu %s was not set: %s", where, exc.description)
                done.failed.append(f"menu {where}")

    async def _text(
        self,
        what: str,
        read: Callable[[str], Awaitable[str]],
        write: Callable[[str, str], Awaitable[None]],
        language: str,
        text: str,
        done: Applied,
    ) -> None:
        async with self._slots:
            try:
                if await read(language) != text:
                    await write(language, text)
                    done.set.append(what)
            except TelegramFailed as exc:
                log.warning("the %s was not set: %s", what, exc.description)
                done.failed.append(what)


def removed_operators(old: Config, new: Config) -> list[int]:
    """Operators of ``old`` that ``new`` no longer has (their menus go)."""
    return sorted(old.operators - new.operators)
