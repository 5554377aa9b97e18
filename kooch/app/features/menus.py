"""The bot's "/" menus and descriptions (kept in step with the config by a leader duty), and the
channels' titles on Telegram (read once in a while: the deep link's reply names them)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

from kooch.app.background import BackgroundWork, Kind
from kooch.app.features.core import Core
from kooch.i18n import gettext
from kooch.menus.service import MenuKeeper
from kooch.subscribers.titles import ChannelTitles
from kooch.telegram.profile import BotProfile


@dataclass(frozen=True)
class Menus:
    menus: MenuKeeper
    titles: ChannelTitles


async def open_menus(_stack: AsyncExitStack, core: Core) -> Menus:
    menus = MenuKeeper(BotProfile(core.app.bot), lambda: core.config.current)
    # Read back, and set where they differ from the config's.
    core.background.declare(
        BackgroundWork(
            "bot menus",
            Kind.DUTY,
            lambda language: gettext(language, "bot menus"),
            start=lambda _app: menus.start(),
            stop=lambda _app: menus.stop(),
        )
    )
    return Menus(menus, ChannelTitles(core.gateway.get_chat, core.clock))
