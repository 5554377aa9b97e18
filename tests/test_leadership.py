"""The singleton work follows the leadership: on SQLite it starts inline and stops in reverse; on
PostgreSQL only the replica that leads runs it, another starts it once the leader is gone, and a
replica that no longer leads has its campaign writes refused (real PostgreSQL)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kooch.app.leadership import Leadership
from kooch.campaigns.store import CampaignStore
from kooch.store import Store, WriteFailed
from kooch.store.leader import PgLeader, SoleLeader

RETRY_S = 0.05


class Duty:
    """Records its starts and stops in a shared log; ``running`` is set while it runs."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log
        self.running = asyncio.Event()
        self.stopped = asyncio.Event()

    async def start(self) -> None:
        self.log.append(f"start {self.name}")
        self.stopped.clear()
        self.running.set()

    async def stop(self) -> None:
        self.log.append(f"stop {self.name}")
        self.running.clear()
        self.stopped.set()


async def test_the_sole_leader_starts_its_duties_inline_and_stops_them_in_reverse() -> None:
    log: list[str] = []
    leadership = Leadership(SoleLeader("only"))
    a, b, late = Duty("a", log), Duty("b", log), Duty("late", log)
    await leadership.add(a.name, a.start, a.stop)
    await leadership.add(b.name, b.start, b.stop)
    await leadership.start()
    assert log == ["start a", "start b"]  # before start() returned: the bot takes updates after
    await leadership.add(late.name, late.start, late.stop)  # e.g. the scheduled posts' restore
    assert log[-1] == "start late"
    assert leadership.role == "leader"
    await leadership.close()
    assert log[3:] == ["stop late", "stop b", "stop a"]


async def test_only_the_leader_runs_the_duties_and_another_takes_over(postgresql_url: str) -> None:
    log: list[str] = []
    replicas = []
    for i in range(2):
        leadership = Leadership(PgLeader(postgresql_url, f"replica-{i}", retry_s=RETRY_S))
        duty = Duty(f"sender-{i}", log)
        await leadership.add("campaign sender", duty.start, duty.stop)
        await leadership.start()
        replicas.append((leadership, duty))
    try:
        waits = {asyncio.ensure_future(d.running.wait()): (ls, d) for ls, d in replicas}
        done, pending = await asyncio.wait(waits, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        assert done, "no replica started the singleton work within 10 s"
        first, first_duty = waits[done.pop()]
        (second, second_duty) = next(r for r in replicas if r[0] is not first)
        assert first.role == "leader" and second.role == "follower"
        assert not second_duty.running.is_set()

        await first.close()  # the leader stops: its duties first, then its lock
        assert first_duty.stopped.is_set()
        await asyncio.wait_for(second_duty.running.wait(), 10)
        assert second.role == "leader" and second.leader.epoch == 2
        assert log == [f"start {first_duty.name}", f"stop {first_duty.name}", f"start {second_duty.name}"]
    finally:
        for leadership, _ in replicas:
            await leadership.close()


async def test_a_replica_that_does_not_lead_cannot_mark_a_campaign(
    postgresql_url: str, tmp_path: Path
) -> None:
    store = await Store.open_postgresql(postgresql_url, tmp_path)
    leader = PgLeader(postgresql_url, "replica", retry_s=RETRY_S)
    try:
        # Never elected (not started): the sender's writes go through the fence and fail there.
        campaigns = CampaignStore(store, leader.fenced)
        with pytest.raises(WriteFailed, match="is not the leader"):
            await campaigns.recover_in_flight()
        await leader.start()
        await asyncio.wait_for(leader.wait_until_leader(), 10)
        assert await campaigns.recover_in_flight() == {}
    finally:
        await leader.close()
        await store.close()
