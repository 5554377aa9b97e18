"""One leader among replicas, against a real PostgreSQL server: one at a time, a takeover once the
leader is gone, a new term each time, and an old leader's writes refused once it lost the lock.
SQLite's one process is always the leader."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from kooch.store import Store, WriteFailed
from kooch.store.db import Database
from kooch.store.leader import ELECTION_LOCK, PgLeader, SoleLeader
from tests.kit import committed

#: Tries this often in the tests: a takeover waits for the next try, and the tests wait on events.
RETRY_S = 0.05


@pytest.fixture
async def candidates(postgresql_url: str) -> AsyncIterator[list[PgLeader]]:
    leaders = [PgLeader(postgresql_url, f"replica-{i}", retry_s=RETRY_S) for i in range(3)]
    for leader in leaders:
        await leader.start()
    yield leaders
    for leader in leaders:
        await leader.close()


async def first_leader(candidates: list[PgLeader]) -> PgLeader:
    waits = {asyncio.ensure_future(c.wait_until_leader()): c for c in candidates}
    done, pending = await asyncio.wait(waits, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    assert done, "no replica became the leader within 10 s"
    return waits[done.pop()]


async def test_one_leader_at_a_time_and_a_takeover_with_a_new_term(
    candidates: list[PgLeader], postgresql_url: str
) -> None:
    leader = await first_leader(candidates)
    assert leader.epoch == 1
    assert [c.is_leader for c in candidates].count(True) == 1

    await leader.close()  # the process stops: its session, and the lock, end
    others = [c for c in candidates if c is not leader]
    successor = await first_leader(others)

    assert successor.epoch == 2
    assert [c.is_leader for c in others].count(True) == 1
    conn = await asyncpg.connect(postgresql_url)
    try:
        row = await conn.fetchrow("SELECT epoch, holder FROM leader")
    finally:
        await conn.close()
    assert tuple(row) == (2, successor.name)


async def record(db: Database) -> None:
    await db.execute("INSERT INTO insight_counters (name, value) VALUES ('leader-wrote', 1)")


@pytest.fixture
async def partitioned(postgresql_url: str) -> AsyncIterator[tuple[PgLeader, asyncpg.Connection]]:
    """A candidate that logs in as a role of its own, and an admin session that can cut it off
    (end its session, refuse its logins) as a network partition would."""
    role = f"kooch_old_{os.getpid()}"
    admin = await asyncpg.connect(postgresql_url)
    await admin.execute(f"CREATE ROLE {role} LOGIN")
    await admin.execute(f"GRANT SELECT, INSERT, UPDATE ON leader TO {role}")
    user = postgresql_url.split("://", 1)[1].split("@", 1)[0]
    leader = PgLeader(postgresql_url.replace(f"//{user}@", f"//{role}@", 1), "old", retry_s=RETRY_S)
    try:
        yield leader, admin
    finally:
        await leader.close()
        await admin.execute(f"DROP OWNED BY {role}")
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()


async def test_an_old_leader_cut_off_cannot_write_once_another_leads(
    partitioned: tuple[PgLeader, asyncpg.Connection], postgresql_url: str, tmp_path: Path
) -> None:
    """The old leader's election session is cut (as by a partition) while its process, and its
    store's writer, go on: the next leader's term makes every write of the old one fail."""
    old, admin = partitioned
    await old.start()
    assert await asyncio.wait_for(old.wait_until_leader(), 10) == 1
    new = PgLeader(postgresql_url, "new", retry_s=RETRY_S)
    await new.start()
    store = await Store.open_postgresql(postgresql_url, tmp_path)
    try:
        fenced_before = old.fenced(record)
        # The partition: the old leader's session ends and it cannot log in again.
        await admin.execute(f"ALTER ROLE {old.url.split('//', 1)[1].split('@', 1)[0]} NOLOGIN")
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1",
            ELECTION_LOCK & 0xFFFFFFFF,  # pg_locks shows a bigint key's low 32 bits as objid
        )
        assert await asyncio.wait_for(new.wait_until_leader(), 10) == 2

        # Made before the cut, run after the election: refused, nothing written.
        with pytest.raises(WriteFailed, match="is not the leader"):
            await store.write(fenced_before)
        assert await committed(store, "SELECT COUNT(*) FROM insight_counters") == [(0,)]
        # The new leader writes; the old one, told at its next check, no longer leads.
        await store.write(new.fenced(record))
        await old.wait_until_follower()
        assert not old.is_leader
        with pytest.raises(WriteFailed, match="is not the leader"):
            await store.write(old.fenced(record))
        assert await committed(store, "SELECT name, value FROM insight_counters") == [("leader-wrote", 1)]
    finally:
        await store.close()
        await new.close()


async def test_sqlite_has_one_leader_and_fences_nothing(sqlite_store: Store) -> None:
    sole = SoleLeader()
    await sole.start()
    assert sole.is_leader and await sole.wait_until_leader() == 1
    await sqlite_store.write(sole.fenced(record))
    assert await committed(sqlite_store, "SELECT value FROM insight_counters") == [(1,)]
    await sole.close()
