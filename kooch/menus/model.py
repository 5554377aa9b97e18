"""The commands Kooch handles, who may use them, and the shape of what Telegram is asked to show.

:data:`COMMANDS` is the one table: the menus, the typo answers and the subscriber /help are made
from it, and a test holds it to the commands the handlers really register. Pure data and checks,
no I/O: Telegram's limits (python-telegram-bot's constants, through :mod:`kooch.telegram.profile`)
are checked here, where the texts are made, so a translation that is too long fails a unit test
instead of a start-up.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from kooch.telegram.profile import (
    MAX_COMMAND,
    MAX_COMMAND_DESCRIPTION,
    MAX_COMMANDS,
    MIN_COMMAND,
    MIN_COMMAND_DESCRIPTION,
    Commands,
)

Audience = Literal["subscriber", "operator"]


@dataclass(frozen=True)
class Command:
    name: str
    #: Who may use it: a subscriber's command is every operator's too.
    audience: Audience


#: Every command Kooch answers, in menu order: a subscriber's menu lists theirs, an operator's
#: their own first, then the subscribers'.
COMMANDS: tuple[Command, ...] = (
    Command("preview", "operator"),
    Command("announce", "operator"),
    Command("stats", "operator"),
    Command("status", "operator"),
    Command("schedule", "operator"),
    Command("remind", "operator"),
    Command("campaigns", "operator"),
    Command("moved", "operator"),
    Command("reload", "operator"),
    Command("export", "operator"),
    Command("audit", "operator"),
    Command("start", "subscriber"),
    Command("links", "subscriber"),
    Command("help", "subscriber"),
    Command("privacy", "subscriber"),
    Command("forget", "subscriber"),
)

#: Every command name Kooch answers (anything else after a "/" is a typo, or someone else's).
KNOWN: frozenset[str] = frozenset(c.name for c in COMMANDS)


def commands_of(audience: Audience) -> tuple[str, ...]:
    """The commands ``audience`` may use, in menu order."""
    if audience == "subscriber":
        return tuple(c.name for c in COMMANDS if c.audience == "subscriber")
    return tuple(c.name for c in COMMANDS if c.audience == "operator") + commands_of("subscriber")


_NAME = re.compile(rf"^[a-z0-9_]{{{MIN_COMMAND},{MAX_COMMAND}}}$")


def checked_menu(commands: Commands) -> Commands:
    """``commands`` if Telegram accepts them as one menu; else ValueError saying which and why."""
    if len(commands) > MAX_COMMANDS:
        raise ValueError(f"{len(commands)} commands: a menu holds at most {MAX_COMMANDS}")
    for name, description in commands:
        if not _NAME.match(name):
            raise ValueError(f"/{name}: a command is {MIN_COMMAND} to {MAX_COMMAND} of a-z 0-9 _")
        if not MIN_COMMAND_DESCRIPTION <= len(description) <= MAX_COMMAND_DESCRIPTION:
            raise ValueError(
                f"/{name}: its description has {len(description)} characters "
                f"({MIN_COMMAND_DESCRIPTION} to {MAX_COMMAND_DESCRIPTION})"
            )
    return commands


def fitted(candidates: Iterable[str], limit: int) -> str:
    """The first of ``candidates`` (longest wording first) within ``limit`` characters; the last
    one cut to the limit when none fits."""
    last = ""
    for text in candidates:
        if len(text) <= limit:
            return text
        last = text
    return last[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Menu:
    """One menu as Telegram keys it: a scope (None: every chat; else an operator's private chat) and
    a language ("": every language without a menu of its own). No commands: there must be none."""

    chat_id: int | None
    language: str
    commands: Commands


@dataclass(frozen=True)
class Profile:
    """Everything the bot shows of itself for one config: its menus and its descriptions, by
    language ("" for every language without its own)."""

    menus: tuple[Menu, ...]
    descriptions: Mapping[str, str]
    short_descriptions: Mapping[str, str]


# --------------------------------------------------------------------------------------------
# A command Kooch does not know: the nearest one the person may use

_TYPED = re.compile(r"^/([^\s@]+)")


def typed_command(text: str) -> str | None:
    """The command word of a message that starts with "/" (``/Stat@kooch_bot x`` → ``stat``)."""
    match = _TYPED.match(text.strip())
    return match.group(1).lower() if match else None


_WORD = re.compile(r"\w{3,}")


def nearest(typed: str, allowed: Iterable[str], meanings: Mapping[str, Iterable[str]]) -> str | None:
    """The command of ``allowed`` nearest to ``typed``, or None when none is near enough.

    A Latin word is matched against the command names (``stat`` → ``stats``); any other word
    against the words of each command's description in every language (``آمار`` → ``stats``,
    whose Persian description speaks of آمار), so a person who types the command in their own
    script still gets the one they meant.
    """
    names = list(allowed)
    if typed.isascii():
        close = difflib.get_close_matches(typed, names, n=1, cutoff=0.6)
        return close[0] if close else None
    best: tuple[float, str] | None = None
    for name in names:
        for word in (w for text in meanings.get(name, ()) for w in _WORD.findall(text.lower())):
            if word.isascii():
                continue
            ratio = difflib.SequenceMatcher(None, typed, word).ratio()
            if ratio >= 0.8 and (best is None or ratio > best[0]):
                best = (ratio, name)
    return best[1] if best else None
