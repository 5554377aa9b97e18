"""The announcements: their repository and the post sync (posts follow the config), a leader duty."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

from kooch.announce.store import AnnouncementStore
from kooch.announce.sync.service import SyncEngine
from kooch.app.background import BackgroundWork, Kind
from kooch.app.features.core import Core
from kooch.app.lifecycle import on_close
from kooch.i18n import gettext
from kooch.telegram.gateway import Gateway

#: The sync engine's connections: edits are paced to ~20 a minute per chat, a few suffice.
SYNC_POOL = 8


@dataclass(frozen=True)
class Announce:
    announcements: AnnouncementStore
    sync: SyncEngine


async def open_announce(stack: AsyncExitStack, core: Core) -> Announce:
    announcements = AnnouncementStore(core.store)
    edits = Gateway(core.bots.bot(SYNC_POOL))
    await edits.initialize()
    on_close(stack, "the sync engine's Bot", edits.shutdown)
    sync = SyncEngine(
        core.config,
        announcements,
        edits,
        core.notifier.tell,
        clock=core.clock,
        poll_counts=core.database_url is not None,
    )
    core.background.declare(
        BackgroundWork(
            "post sync",
            Kind.DUTY,
            lambda language: gettext(language, "post sync"),
            start=lambda _app: sync.start(),
            stop=lambda _app: sync.stop(),  # edits in flight end
        )
    )
    return Announce(announcements, sync)
