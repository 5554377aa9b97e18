"""One leader among the replicas, for the work only one process may do, and its writes fenced.

On SQLite there is one process: :class:`SoleLeader` is always the leader, and fences nothing.

On PostgreSQL, :class:`PgLeader` holds a session advisory lock on a connection of its own: the
server gives the lock to one session at a time and takes it back when that session ends (the
process died, or the connection was cut), so another replica's next try gets it. Whoever takes
the lock adds one to ``leader.epoch`` (migration 0011) in the same breath: that number is its term.

A lock alone is not enough: a leader whose election connection was cut (a network partition, a
long pause) may still be running, with its store's writer connection alive, and not know yet.
So the leader's writes go through :meth:`PgLeader.fenced`, which reads the epoch in the write's
own transaction (``FOR SHARE``) and fails the write if it is no longer the leader's: an election
(an ``UPDATE`` of that row) waits for a fenced write in flight to commit, and a fenced write that
starts after an election sees the new epoch. Either the old leader's write happened before the
new leader began, or it does not happen at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from kooch.clock import SYSTEM, Clock
from kooch.store.db import Database

log = logging.getLogger(__name__)

#: pg_advisory_lock's key for the election: not the migrations' (kooch.store.postgresql), so a
#: leader never holds up a replica that is starting ("kooch-leader" folded into 63 bits).
ELECTION_LOCK = 0x6B6F6F63686C64
#: How often a replica that is not the leader tries for the lock, and how often the leader checks
#: that its session is still there. A dead leader's lock is free as soon as the server notices the
#: session is gone; a replica takes it within this interval after.
RETRY_S = 2.0

WriteOp = Callable[[Database], Awaitable[Any]]


class Fenced(Exception):
    """This process is no longer the leader: its write was not made."""


def replica_name() -> str:
    """What the ``leader`` row and the logs call this process: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class SoleLeader:
    """SQLite's one process: always the leader, of the one term there is."""

    is_leader = True
    epoch: int | None = 1

    def __init__(self, name: str | None = None) -> None:
        self.name = name or replica_name()
        self._never = asyncio.Event()

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._never.set()

    async def wait_until_leader(self) -> int:
        return 1

    async def wait_until_follower(self) -> None:
        """Returns only at :meth:`close` (the one process leads for as long as it runs)."""
        await self._never.wait()

    def fenced(self, op: WriteOp) -> WriteOp:
        return op


class PgLeader:
    """A candidate for leadership over the PostgreSQL database at ``url``.

    :meth:`start` begins trying; :attr:`is_leader` and :attr:`epoch` say where it stands;
    :meth:`wait_until_leader` returns once it leads; :meth:`close` gives the lock up (another
    replica takes over at its next try).
    """

    def __init__(
        self, url: str, name: str | None = None, *, clock: Clock = SYSTEM, retry_s: float = RETRY_S
    ) -> None:
        self.url = url
        self.name = name or replica_name()
        self.clock = clock
        self.retry_s = retry_s
        self.epoch: int | None = None
        self._conn: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = asyncio.Event()
        self._changed = asyncio.Condition()

    @property
    def is_leader(self) -> bool:
        return self.epoch is not None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._campaign(), name="kooch-leader-election")

    async def close(self) -> None:
        self._closed.set()
        if self._task is not None:
            await self._task
        await self._drop_connection()
        await self._set_epoch(None)

    async def wait_until_leader(self) -> int:
        """The epoch, once this replica leads (at once if it does)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.epoch is not None)
            assert self.epoch is not None
            return self.epoch

    async def wait_until_follower(self) -> None:
        """Returns once this replica does not lead (at once if it does not)."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.epoch is None)

    def fenced(self, op: WriteOp) -> WriteOp:
        """``op`` made only while this replica's term lasts: run it through ``Store.write``. Raises
        :class:`Fenced` (the store's ``WriteFailed``) when the epoch is no longer ours."""
        epoch = self.epoch

        async def guarded(db: Database) -> Any:
            current = await db.fetchval("SELECT epoch FROM leader WHERE id = 1 FOR SHARE")
            if epoch is None or current != epoch:
                raise Fenced(f"{self.name} is not the leader (its term {epoch}, the current {current})")
            return await op(db)

        return guarded

    # ----------------------------------------------------------------------------- the election

    async def _campaign(self) -> None:
        while not self._closed.is_set():
            try:
                await self._round()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                # The session is gone, and the lock with it (or the server is away): follow.
                if self.is_leader:
                    log.warning("%s lost the leadership: %s", self.name, exc)
                await self._drop_connection()
                await self._set_epoch(None)
            except Exception as exc:
                # Anything else from the driver (seen: InternalClientError, "another operation is
                # in progress", on a session the server had just ended under load) leaves the
                # session in doubt, so the lock too: follow, rather than let this task die and
                # the replica believe it leads for ever.
                log.warning("%s: the election session failed (%r): following", self.name, exc)
                await self._drop_connection()
                await self._set_epoch(None)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), self.retry_s)

    async def _round(self) -> None:
        if self._conn is None:
            self._conn = await asyncpg.connect(self.url)
        if self.is_leader:
            await self._conn.fetchval("SELECT 1")  # still our session, so still our lock
            return
        if not await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", ELECTION_LOCK):
            return
        epoch = await self._conn.fetchval(
            "INSERT INTO leader (id, epoch, holder, since) VALUES (1, 1, $1, $2)"
            " ON CONFLICT (id) DO UPDATE SET epoch = leader.epoch + 1, holder = excluded.holder,"
            " since = excluded.since RETURNING epoch",
            self.name,
            self.clock.now(),
        )
        log.info("%s leads, term %d", self.name, epoch)
        await self._set_epoch(int(epoch))

    async def _set_epoch(self, epoch: int | None) -> None:
        async with self._changed:
            self.epoch = epoch
            self._changed.notify_all()

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), self.retry_s)
            if not conn.is_closed():
                conn.terminate()


#: Either kind: what the composition root holds and the web server reports.
Leader = SoleLeader | PgLeader
