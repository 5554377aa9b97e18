"""The config reloader: every replica watches its file; a change pokes the post sync, and the
leader refreshes the menus and the reminders' schedule."""

from __future__ import annotations

from contextlib import AsyncExitStack

from kooch.announce.changes import describe_diff
from kooch.announce.checks import CHECKS
from kooch.announce.sync.service import SyncEngine
from kooch.app.features.core import Core
from kooch.app.lifecycle import on_close
from kooch.campaigns.service import CampaignRunner
from kooch.config import Config
from kooch.config.diff import ConfigDiff
from kooch.config.reload import Reloader
from kooch.menus.service import MenuKeeper, removed_operators
from kooch.menus.wording import profile
from kooch.telegram.notify import Words


async def open_reloader(
    stack: AsyncExitStack, core: Core, sync: SyncEngine, menus: MenuKeeper, campaigns: CampaignRunner
) -> Reloader:
    leader = core.leader

    async def applied(old: Config, new: Config, diff: ConfigDiff) -> list[str]:
        sync.poke()
        # The menus follow the operators and the channels' words; only the leader sets them.
        if leader.is_leader and (old.operators != new.operators or profile(old) != profile(new)):
            menus.refresh(removed=removed_operators(old, new))
        # New, changed and removed reminders are in the schedule (and /campaigns) at once,
        # written by the replica that sends them.
        if diff.reminders and leader.is_leader:
            await campaigns.reminders_changed()
        return []

    async def tell_reload(text: Words, skip: int | None) -> None:
        # Every replica watches its file; only the leader says what a change of it did. An
        # operator's /reload (skip: who asked) is told from the replica that ran it.
        if skip is not None or leader.is_leader:
            await core.notifier.tell_others(text, skip)

    reloader = Reloader(
        core.config, tell_reload, applied, checks=CHECKS, describe=describe_diff, clock=core.clock
    )
    await reloader.start()
    on_close(stack, "config reloader", reloader.stop)
    return reloader
