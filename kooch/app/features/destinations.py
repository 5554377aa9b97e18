"""The destinations' link checks: the previews' and the periodic one (a leader-only job)."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from dataclasses import dataclass

from kooch.app.background import App, BackgroundWork, Kind, job_name
from kooch.app.features.core import Core
from kooch.destinations.service import LinkMonitor
from kooch.destinations.store import LinkStore
from kooch.i18n import gettext

log = logging.getLogger(__name__)

#: How often the job asks whether a round is due; the rounds themselves are the config's
#: ``link_check_interval_s`` apart (at least 60 s), and the last one's time is in the database,
#: so a restart does not check again before it is due.
LINK_POLL_S = 60.0
LINK_CHECK = "link check"
#: Its name on the JobQueue.
LINK_CHECK_JOB = job_name(LINK_CHECK)


@dataclass(frozen=True)
class Destinations:
    links: LinkMonitor


async def open_destinations(_stack: AsyncExitStack, core: Core) -> Destinations:
    links = LinkMonitor(
        lambda: core.config.current,
        LinkStore(core.store),
        core.notifier.tell,
        core.clock,
        allowed=core.settings.fetch_links,
    )

    async def link_check(_app: App) -> None:
        changes = await links.tick()
        if changes:
            log.info("link checks: %d link(s) broke or recovered", len(changes))

    # The first ask a little after start-up: the bot answers its first updates before fetching.
    core.background.declare(
        BackgroundWork(
            LINK_CHECK,
            Kind.JOB,
            lambda language: gettext(language, "link checks"),
            link_check,
            every_s=LINK_POLL_S,
            first_s=10.0,
        )
    )
    return Destinations(links)
