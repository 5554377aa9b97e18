"""Across (issue 27): move codes, with the destination bots' intake as a leader duty, and the
mirror, whose senders are a leader duty too. Reminders carry the recipients' personal links."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

from telegram.error import TelegramError

from kooch.across.mirror import Mirror
from kooch.across.service import Across
from kooch.across.store import AcrossStore, MirrorStore
from kooch.announce.store import AnnouncementStore
from kooch.app.background import App, BackgroundWork, Kind
from kooch.app.features.campaigns import CAMPAIGN_POLL_S
from kooch.app.features.core import Core
from kooch.arrivals.client import DestinationClient, DestinationFailed
from kooch.campaigns.service import CampaignRunner
from kooch.i18n import gettext


@dataclass(frozen=True)
class AcrossFeature:
    across: Across
    mirror: Mirror


async def open_across(
    _stack: AsyncExitStack, core: Core, announcements: AnnouncementStore, campaigns: CampaignRunner
) -> AcrossFeature:
    # One client for the destinations' bot APIs; their tokens are read from the environment here.
    client = DestinationClient()
    across = Across(core.config, AcrossStore(core.store), client, environ=os.environ)
    campaigns.personalize = across.with_links  # reminders carry the recipient's personal links
    mirror = Mirror(
        core.config,
        MirrorStore(core.store),
        client,
        environ=os.environ,
        download=_downloader(core.app),
        tell=core.notifier.tell,
        announced_at=_announced_at(announcements),
        clock=core.clock,
        **({"poll_s": CAMPAIGN_POLL_S} if core.database_url else {}),
    )
    # Declared when on at the start (turning them on or off takes a restart: /reload says so).
    config = core.config.current
    if across.active(config):
        core.background.declare(
            BackgroundWork(
                "destination intake",
                Kind.DUTY,
                lambda language: gettext(language, "arrival codes at the destinations"),
                start=lambda _app: across.start(),
                stop=lambda _app: across.stop(),
            )
        )
    if mirror.services(config):
        core.background.declare(
            BackgroundWork(
                "mirror",
                Kind.DUTY,
                lambda language: gettext(language, "the mirror to the destinations"),
                start=lambda _app: mirror.start(),
                stop=lambda _app: mirror.stop(),
            )
        )
    return AcrossFeature(across, mirror)


def _downloader(app: App) -> Callable[[str], Awaitable[bytes]]:
    """A channel post's file from Telegram, for the mirror (a failure is the mirror's to retry)."""

    async def download(file_id: str) -> bytes:
        try:
            file = await app.bot.get_file(file_id)
            return bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            said = str(exc)
            raise DestinationFailed(
                lambda _lang: f"the post's file could not be read from Telegram: {said}"
            ) from None

    return download


def _announced_at(announcements: AnnouncementStore) -> Callable[[str], Awaitable[float | None]]:
    async def first(channel: str) -> float | None:
        current = await announcements.current_announcement(channel)
        return current.posted_at if current is not None else None

    return first
