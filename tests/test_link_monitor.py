"""The periodic link check: one alert per change (break, still broken, recover), kept across a
restart, and a round only once the interval is over."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kooch.clock import ManualClock
from kooch.config import Config, parse_config
from kooch.destinations.service import LinkMonitor
from kooch.destinations.store import LinkStore
from kooch.store import Store
from tests.bidi_kit import plain
from tests.links_kit import Seen, serving


def config_for(root: str, **extra: str) -> Config:
    lines = "".join(f"{k}: {v}\n" for k, v in extra.items())
    return parse_config(
        f"""
operators: [1]
channels: [{{chat: "@kooch_demo"}}]
services:
  - {{key: soroush, name: Soroush, url: "{root}/flaky"}}
  - {{key: gap, name: Gap, url: "{root}/ok"}}
{lines}"""
    )


async def test_a_link_is_told_once_when_it_breaks_and_once_when_it_recovers(tmp_path: Path) -> None:
    seen = Seen()
    told: list[str] = []

    async def tell(words: Callable[[str], str]) -> None:
        told.append(words("en"))  # what an English-reading operator gets

    clock = ManualClock()
    async with serving(seen) as root:
        config = config_for(root)
        store = await Store.open(tmp_path / "k.db", clock=clock)
        monitor = LinkMonitor(lambda: config, LinkStore(store), tell, clock)
        try:
            assert await monitor.run_round() == []  # all working: nothing to say
            seen.flaky = 503
            (broke,) = await monitor.run_round()
            assert not broke.recovered and broke.result.link.service == "soroush"
            assert plain(told) == plain([f"🔗 Link broken: Soroush (link) {root}/flaky: ❌ HTTP 503"])
            seen.flaky = 404  # still broken, otherwise: no news
            assert await monitor.run_round() == []
        finally:
            await store.close()

        # A restart: the stored verdicts are the "before", so nothing is told again.
        store = await Store.open(tmp_path / "k.db", clock=clock)
        monitor = LinkMonitor(lambda: config, LinkStore(store), tell, clock)
        try:
            assert await monitor.run_round() == []
            assert len(told) == 1
            seen.flaky = 200
            (recovered,) = await monitor.run_round()
            assert recovered.recovered
            assert plain(told[1]) == f"✅ Link working again: Soroush (link) {root}/flaky: ✅ OK"
            assert plain([c.result.verdict.ok for c in await monitor.last()]) == plain([True, True])
        finally:
            await store.close()
    assert plain(len(told)) == plain(2)


async def test_a_link_broken_at_its_first_check_is_told(tmp_path: Path) -> None:
    told: list[str] = []

    async def tell(words: Callable[[str], str]) -> None:
        told.append(words("en"))  # what an English-reading operator gets

    seen = Seen(flaky=500)
    async with serving(seen) as root:
        store = await Store.open(tmp_path / "k.db")
        try:
            config = config_for(root)
            monitor = LinkMonitor(lambda: config, LinkStore(store), tell, ManualClock())
            assert len(await monitor.run_round()) == 1
        finally:
            await store.close()
    assert plain(told) == plain([f"🔗 Link broken: Soroush (link) {root}/flaky: ❌ HTTP 500"])


async def test_a_round_is_due_once_the_interval_is_over(tmp_path: Path) -> None:
    clock = ManualClock()

    async def tell(_words: Callable[[str], str]) -> None:
        raise AssertionError("nothing broke")

    seen = Seen()
    async with serving(seen) as root:
        store = await Store.open(tmp_path / "k.db", clock=clock)
        try:
            config = config_for(root, link_check_interval_s="600")
            monitor = LinkMonitor(lambda: config, LinkStore(store), tell, clock)
            assert await monitor.due()  # never checked
            await monitor.tick()
            fetched = len(seen.requests)
            assert fetched == 2
            clock.advance(599)
            assert not await monitor.due()
            await monitor.tick()
            assert len(seen.requests) == fetched
            clock.advance(1)
            await monitor.tick()
            assert len(seen.requests) == 2 * fetched
        finally:
            await store.close()


@pytest.mark.parametrize("allowed", [True, False], ids=["config-off", "run-off"])
async def test_link_checks_off_fetch_nothing(tmp_path: Path, allowed: bool) -> None:
    seen = Seen()
    async with serving(seen) as root:
        store = await Store.open(tmp_path / "k.db")
        try:
            config = config_for(root, link_checks="false") if allowed else config_for(root)

            async def tell(_words: Callable[[str], str]) -> None:
                raise AssertionError("nothing to tell")

            monitor = LinkMonitor(lambda: config, LinkStore(store), tell, ManualClock(), allowed=allowed)
            assert await monitor.check_now() is None
            assert await monitor.tick() == []
        finally:
            await store.close()
    assert seen.requests == []
