"""A PostgreSQL server stopped and started again under the running bot: writes fail meanwhile (and
say so, rather than wait), the writer connects again by itself, and a flood of taps that the
restart cut through ends with every tap stored once and none answered "thanks" that was not.

On a cluster of this module's own, so that the restart disturbs no other test's database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from kooch.app.services import services_of
from kooch.config.texts import DEFAULT_TEXTS
from kooch.i18n import paragraph
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from kooch.store import Store, WriteFailed
from kooch.store.health import database_problem
from kooch.subscribers.store import SubscriberStore
from tests.kit import CHANNEL, OPERATOR_ID, announce, free_port, running_bot
from tests.pg import Cluster, cluster
from tests.test_webhook_delivery import FAST, webhook_config

#: The subscriber texts as a Persian client receives them (each line set right to left).
TEXTS = {key: paragraph(text, "fa") for key, text in DEFAULT_TEXTS["fa"].items()}


@pytest.fixture(scope="module")
def restartable() -> Iterator[Cluster]:
    with cluster() as pg:
        yield pg


async def fresh(pg: Cluster, name: str) -> str:
    admin = await asyncpg.connect(pg.url())
    try:
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    return pg.url(name)


async def stored_taps(url: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        return [int(r[0]) for r in await conn.fetch("SELECT user_id FROM acks WHERE channel = 'demo'")]
    finally:
        await conn.close()


@pytest.fixture
async def stopped_at_the_end(restartable: Cluster) -> AsyncIterator[Cluster]:
    """The cluster, started again at the end if the test left it stopped."""
    try:
        yield restartable
    finally:
        if restartable.server is not None and restartable.server.stopped:
            await asyncio.to_thread(restartable.start)


async def test_a_write_while_the_server_is_away_fails_and_writes_work_again_after(
    stopped_at_the_end: Cluster, tmp_path: Path
) -> None:
    pg = stopped_at_the_end
    store = await Store.open_postgresql(await fresh(pg, "store_restart"), tmp_path)
    acks = SubscriberStore(store)
    try:
        assert await acks.add_ack("demo", 1, "A", "fa", "post") is True
        await asyncio.to_thread(pg.stop)
        with pytest.raises(WriteFailed):
            await acks.add_ack("demo", 2, "B", "fa", "post")
        with pytest.raises(WriteFailed):  # again: each try fails, none waits for the server
            await acks.add_ack("demo", 2, "B", "fa", "post")
        assert await database_problem(store) is not None
        await asyncio.to_thread(pg.start)
        assert await acks.add_ack("demo", 2, "B", "fa", "post") is True
        assert await acks.add_ack("demo", 1, "A", "fa", "post") is False  # the row from before
        assert await database_problem(store) is None  # the readers' pool is back too
        assert await store.reader.fetchval("SELECT COUNT(*) FROM acks") == 2
    finally:
        await store.close()


async def flood_through_a_restart(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, config: Path, pg: Cluster, url: str
) -> None:
    """1,000 taps on the real bot, the server stopped and started once a fifth are thanked; each
    user taps again while told to (as a person does)."""
    taps = 1000
    users = [sim.add_user(f"R{i}", "fa") for i in range(taps)]
    thanked: set[int] = set()
    told: dict[int, str] = {}

    async with running_bot(config, sim.token, sim.url, poll_timeout=1) as app:
        assert services_of(app).store.dialect == "postgresql"
        await announce(sim, operator)
        post = sim.messages(channel.id)[0].message_id

        async def tap_until_taken(user: SimUser) -> None:
            for _ in range(200):
                query_id = await sim.press_button(user, channel.id, post, "ack:demo")
                answer = await sim.wait_for_answer(query_id, timeout=120)
                if answer.text == TEXTS["thanks"]:
                    thanked.add(user.id)
                if answer.text != TEXTS["try_again"]:
                    told[user.id] = answer.text or ""
                    return
            raise AssertionError(f"user {user.id} was told to try again 200 times")

        flood = asyncio.gather(*(tap_until_taken(u) for u in users))
        await sim.wait_until(lambda: len(thanked) >= taps // 5, timeout=120, what="a fifth thanked")
        await asyncio.to_thread(pg.stop)
        # Every tap thanked by now must have its row in the server that comes back (a thanks
        # for a batch whose COMMIT was cut off would be missing from it).
        thanked_before_the_restart = set(thanked)
        await asyncio.to_thread(pg.start)
        stored_then = await stored_taps(url)
        await asyncio.wait_for(flood, timeout=300)

    assert thanked_before_the_restart <= set(stored_then)
    stored = await stored_taps(url)
    assert len(stored) == len(set(stored)) == taps  # every tap stored, each once
    assert thanked <= set(stored)  # no tap answered "thanks" that is not stored
    assert set(told.values()) <= {TEXTS["thanks"], TEXTS["already_moved"]}
    # The restart really cut through the flood: some taps were turned away while it lasted.
    assert any(a.text == TEXTS["try_again"] for a in sim.answers)


async def test_a_flood_of_polled_taps_through_a_restart_stores_each_once_and_thanks_none_unstored(
    stopped_at_the_end: Cluster,
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    config_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = await fresh(stopped_at_the_end, "flood_polled")
    monkeypatch.setenv("KOOCH_DATABASE_URL", url)
    await flood_through_a_restart(sim, operator, channel, config_file, stopped_at_the_end, url)


async def test_a_flood_of_webhook_taps_through_a_restart_stores_each_once_and_thanks_none_unstored(
    stopped_at_the_end: Cluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By webhook: a tap's answer rides in its 2xx, so a tap turned away meanwhile was answered
    "try again" there, never "thanks"."""
    url = await fresh(stopped_at_the_end, "flood_webhook")
    monkeypatch.setenv("KOOCH_DATABASE_URL", url)
    config = webhook_config(tmp_path, free_port())
    async with BotAPISimulator(deliver_webhooks=True, webhook_options=FAST) as sim:
        operator = sim.add_user("Operator", "en", user_id=OPERATOR_ID)
        channel = sim.add_channel(username=CHANNEL)
        await flood_through_a_restart(sim, operator, channel, config, stopped_at_the_end, url)
