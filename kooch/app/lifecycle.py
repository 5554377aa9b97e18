"""One lifecycle: whatever the bot opens is pushed, by name, on the one exit stack the runner
holds, the moment it is open; the stack closes it all in the reverse order (so what was opened
last, the intake, stops first, and the store closes last). The log says each step at DEBUG."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

log = logging.getLogger("kooch.lifecycle")


def on_close(stack: AsyncExitStack, name: str, close: Callable[[], Awaitable[None]]) -> None:
    """``close`` runs when ``stack`` closes, after everything pushed later."""
    log.debug("opened %s", name)

    async def closing() -> None:
        log.debug("closing %s", name)
        await close()

    stack.push_async_callback(closing)
