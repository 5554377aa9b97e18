"""eventually(): a wait woken by what it watches (the simulator, the store), never by a clock, that
fails with what never happened and what it saw last once its hang guard passes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from kooch.simulator import BotAPISimulator
from kooch.store import Store
from tests.kit import eventually

#: A wait that nothing wakes would hang for this long: long enough that only a missed event makes
#: one of these tests slow, short enough that it then fails instead of hanging the suite.
GUARD_S = 30.0


async def test_a_wait_on_the_simulator_wakes_at_its_change(sim: BotAPISimulator) -> None:
    user = sim.add_user()
    # Sent once the wait below has checked and gone to sleep: only the change can wake it (the
    # guard would end it with an AssertionError instead).
    sending = asyncio.ensure_future(sim.send_text(user, "hi"))
    found = await eventually(lambda: sim.messages(user.id), "the user's message", on=sim, guard_s=GUARD_S)
    await sending
    assert [m.text for m in found] == ["hi"]


async def test_a_recorded_call_wakes_a_wait_on_the_calls(sim: BotAPISimulator) -> None:
    """A failed call changes no state, yet it is recorded and wakes whoever waits on the calls."""
    sim.inject_fault("getMe", error_code=500, description="Internal Server Error")

    async def call() -> None:
        async with httpx.AsyncClient() as client:
            await client.post(f"{sim.base_url}{sim.token}/getMe")

    task = asyncio.ensure_future(call())
    calls = await eventually(lambda: sim.calls_of("getMe"), "getMe recorded", on=sim, guard_s=GUARD_S)
    await task
    assert [(c.ok, c.error_code) for c in calls] == [(False, 500)]


async def test_a_wait_on_the_store_wakes_at_its_commit(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "k.db")
    try:
        await store.write(lambda db: db.execute("CREATE TABLE t (x INTEGER)"))

        async def rows() -> list[tuple[object, ...]]:
            return [tuple(r) for r in await store.reader.fetch("SELECT x FROM t")]

        writer = asyncio.ensure_future(store.write(lambda db: db.execute("INSERT INTO t VALUES (7)")))
        assert await eventually(rows, "the row committed", on=store, guard_s=GUARD_S) == [(7,)]
        await writer
    finally:
        await store.close()


async def test_the_guard_names_what_never_happened_and_the_last_value_seen(sim: BotAPISimulator) -> None:
    with pytest.raises(AssertionError, match=r"a reply: never, within .* hang guard; last seen: \[\]"):
        await eventually(lambda: [], "a reply", on=sim, guard_s=0.05)


async def test_a_wait_needs_something_to_wake_it() -> None:
    with pytest.raises(TypeError, match="needs something to watch"):
        await eventually(lambda: True, "anything")
