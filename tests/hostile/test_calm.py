"""Page work gives way to a lagging event loop (taps share it), the urgent routes never do, and a
page is slowed, never starved."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from kooch.web.calm import Calm
from kooch.web.limits import ACCEPT_BATCH
from tests.hostile.kit import Client, fetch, get, hostile_server


def hog(seconds: float) -> None:
    """Hold the event loop, as a burst of work on it would."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def test_a_lagging_loop_holds_page_work_until_it_catches_up() -> None:
    # A max wait no test would reach: the page must wait for calm itself.
    calm = Calm(threshold_s=0.002, every_s=0.002, max_wait_s=3600)
    calm.start()
    try:
        behind = asyncio.Event()
        ran: list[str] = []

        async def overload() -> None:
            # Keep the loop behind until a page has been held, then let it recover.
            while calm.held == 0:
                hog(0.02)
                if calm.behind:
                    behind.set()
                await asyncio.sleep(0)

        async def page() -> None:
            await behind.wait()
            async with calm.turn():
                ran.append("page")

        await asyncio.gather(overload(), page())
        assert calm.held >= 1
        assert ran == ["page"]  # served once the loop caught up
        assert not calm.behind
    finally:
        await calm.stop()


async def test_a_page_waits_at_most_max_wait_while_the_loop_stays_behind() -> None:
    calm = Calm(max_wait_s=0.01)  # not started: nothing will report the loop caught up
    calm._calm.clear()
    async with calm.turn():
        pass
    assert calm.held == 1


async def test_health_and_metrics_answer_while_pages_wait(tmp_path: Path) -> None:
    async with hostile_server(tmp_path) as web:
        calm = web.server.calm
        await calm.stop()  # the loop is declared behind, and nothing will say otherwise
        calm.max_wait_s = 3600
        calm._calm.clear()
        page = asyncio.create_task(fetch(web.server.port, "/"))
        await asyncio.wait_for(calm.has_held.wait(), 10)  # the page's request is at the gate
        status, _headers, _body = await fetch(web.server.port, "/healthz")
        assert status == 200
        status, _headers, _body = await fetch(web.server.port, "/metrics")
        assert status == 200
        assert not page.done()  # the landing page is still held
        calm._calm.set()
        status, _headers, body = await page
        assert status == 200 and b"<html" in body
        assert calm.held == 1


async def test_a_lagging_loop_stops_accepting_until_it_catches_up(tmp_path: Path) -> None:
    # A burst of page loads waits in the kernel's backlog, not in the bot's event loop, while the
    # loop is behind: at most one batch is accepted, and the rest once the loop has caught up.
    async with hostile_server(tmp_path) as web:
        calm = web.server.calm
        site = web.server.site
        assert site is not None and site.accepting
        await calm.stop()
        calm.max_wait_s = 3600
        calm._calm.clear()
        burst = 3 * ACCEPT_BATCH
        clients = await asyncio.gather(*(Client.connect(web.server.port) for _ in range(burst)))
        for client in clients:
            await client.send(get("/", close=True))
        await asyncio.wait_for(site.has_paused.wait(), 10)
        assert not site.accepting
        # Every client is connected (the kernel's handshake) but the bot holds one batch at most.
        assert web.server.gate.open <= ACCEPT_BATCH
        calm._calm.set()
        answers = await asyncio.gather(*(client.response() for client in clients))
        assert [status for status, _headers, _body in answers] == [200] * burst
        assert site.accepting and site.paused == 1
        for client in clients:
            await client.close()
