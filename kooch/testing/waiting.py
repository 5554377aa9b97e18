"""Waiting for something another task makes true, woken by its events, never by a sleep.

:func:`eventually` re-checks a condition each time one of the things it watches changes: the Bot
API simulator (a message, an edit, an answer, any call recorded, a poll parked) or a
:class:`~kooch.store.Store` (each COMMIT). Its deadline is a hang guard, generous on purpose: a
test that needs it has failed already, and the guard only turns the hang into a message naming
what never happened and what was seen last. It is never a timed assert.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, TypeVar, overload, runtime_checkable

T = TypeVar("T")

#: How long a wait may last before it is called a hang. Generous: the machine may be busy.
HANG_GUARD_S = 60.0


@runtime_checkable
class Watched(Protocol):
    def next_change(self) -> asyncio.Event:
        """An event set at the next change; the same one for every caller until then."""
        ...


@overload
async def eventually(
    condition: Callable[[], Awaitable[T]],
    what: str,
    *,
    until: Callable[[Any], object] = bool,
    on: Watched | Iterable[Watched] = (),
    every: float | None = None,
    guard_s: float = HANG_GUARD_S,
) -> T: ...
@overload
async def eventually(
    condition: Callable[[], T],
    what: str,
    *,
    until: Callable[[Any], object] = bool,
    on: Watched | Iterable[Watched] = (),
    every: float | None = None,
    guard_s: float = HANG_GUARD_S,
) -> T: ...
async def eventually(
    condition: Callable[[], Any],
    what: str,
    *,
    until: Callable[[Any], object] = bool,
    on: Watched | Iterable[Watched] = (),
    every: float | None = None,
    guard_s: float = HANG_GUARD_S,
) -> Any:
    """The first value ``condition()`` returns (it may be a coroutine function) that ``until``
    holds for (truthy, by default), checked now and again after each change of what ``on`` watches.

    ``every`` adds a re-check after that many seconds, only for state that nothing in this process
    announces (another process's, a thread's): say why where it is used. Fails with ``what`` and
    the last value seen once ``guard_s`` passes.
    """
    watched = [on] if isinstance(on, Watched) else list(on)
    if not watched and every is None:
        raise TypeError("eventually() needs something to watch (on=) or a re-check period (every=)")
    last: object = None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + guard_s
    while True:
        # Armed before the check: a change during the check (or a read of the database) sets
        # these events, so the wait below cannot miss it.
        events = [w.next_change() for w in watched]
        result = condition()
        value = await result if inspect.isawaitable(result) else result
        if until(value):
            return value
        last = value
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"{what}: never, within the {guard_s:.0f} s hang guard; last seen: {last!r}")
        await _first_of(events, min(remaining, every) if every is not None else remaining)


async def _first_of(events: list[asyncio.Event], timeout: float) -> None:
    """Until one of ``events`` is set, or ``timeout`` passes."""
    if any(event.is_set() for event in events):
        return
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        if waits:
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        else:
            await asyncio.sleep(timeout)  # every=: nothing here announces the change
    finally:
        for wait in waits:
            wait.cancel()
