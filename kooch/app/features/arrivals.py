"""Arrivals: the channels' and the destinations' member counts, read by a leader duty once now
(the start of every series) and then every ``arrivals_interval_s``."""

from __future__ import annotations

import os
from contextlib import AsyncExitStack
from dataclasses import dataclass

from kooch.app.background import BackgroundWork, Kind
from kooch.app.features.core import Core
from kooch.arrivals.service import ArrivalsWatcher
from kooch.arrivals.store import ArrivalsStore
from kooch.i18n import gettext


@dataclass(frozen=True)
class Arrivals:
    arrivals: ArrivalsWatcher


async def open_arrivals(_stack: AsyncExitStack, core: Core) -> Arrivals:
    # The destinations' tokens are read from the environment here, in the composition root.
    arrivals = ArrivalsWatcher(
        ArrivalsStore(core.store),
        core.config,
        core.gateway.member_count,
        core.notifier.tell,
        environ=os.environ,
        clock=core.clock,
    )
    core.background.declare(
        BackgroundWork(
            "arrivals rounds",
            Kind.DUTY,
            lambda language: gettext(language, "member counts"),
            start=lambda _app: arrivals.start(),
            stop=lambda _app: arrivals.stop(),
        )
    )
    return Arrivals(arrivals)
