"""Clicks on Kooch's redirect links (``/go/<service>``): batched writes and the /stats queries.

A redirect must not wait for a disk: :meth:`ClickLog.record` only appends to an in-memory buffer and
returns at once. A background task hands the buffer to the store's group commit every
``flush_interval`` seconds, or as soon as ``max_batch`` clicks are waiting, as one write (one
``executemany``). :meth:`ClickLog.close` flushes what is left, so a clean shutdown loses nothing;
a crash loses at most the last ``flush_interval`` of clicks, which is the price of not paying a
commit per redirect.

If a flush fails (disk full, database gone) the clicks go back to the buffer and are tried again
with the next flush; the buffer is bounded (``max_buffer``), and the oldest clicks are dropped, with
a warning and :attr:`dropped` counting them, rather than letting memory grow without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kooch.store.db import Database
from kooch.store.engine import Store, WriteFailed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Click:
    """One request to a redirect link, as stored in the ``clicks`` table."""

    at: float
    service: str
    channel: str | None
    source: str | None
    platform: str
    is_bot: bool


@dataclass(frozen=True)
class ServiceClicks:
    """Clicks on one service's link: people, and bots or link previews (counted apart)."""

    humans: int = 0
    bots: int = 0


class ClickLog:
    """Buffers clicks and writes them in batches through :meth:`Store.write`; answers /stats."""

    def __init__(
        self,
        store: Store,
        *,
        flush_interval: float = 0.5,
        max_batch: int = 500,
        max_buffer: int = 100_000,
        on_flush_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.store = store
        self.flush_interval = flush_interval
        self.max_batch = max_batch
        self.max_buffer = max_buffer
        self.on_flush_error = on_flush_error
        #: Clicks dropped because the buffer was full while the database failed.
        self.dropped = 0
        #: Clicks written so far by this log.
        self.written = 0
        self._buffer: list[Click] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    # ----------------------------------------------------------------------------- writing

    def start(self) -> None:
        """Start the background flusher (on the running loop)."""
        if self._task is None:
            self._task = asyncio.create_task(self._flush_loop(), name="kooch-click-flusher")

    def record(self, click: Click) -> None:
        """Queue a click; returns at once. It reaches the database with the next flush."""
        if self._closed:
            raise WriteFailed("the click log is closed")
        self._buffer.append(click)
        if len(self._buffer) > self.max_buffer:
            excess = len(self._buffer) - self.max_buffer
            del self._buffer[:excess]
            self.dropped += excess
            log.warning("click buffer full (database failing?): dropped the %d oldest clicks", excess)
        if len(self._buffer) >= self.max_batch:
            self._wake.set()

    @property
    def pending(self) -> int:
        """Clicks recorded but not yet committed."""
        return len(self._buffer)

    async def flush(self) -> int:
        """Write every buffered click now; return how many were committed (0 if the write failed)."""
        async with self._lock:
            if not self._buffer:
                return 0
            batch, self._buffer = self._buffer, []
            rows = [(c.at, c.service, c.channel, c.source, c.platform, int(c.is_bot)) for c in batch]

            async def op(db: Database) -> None:
                await db.executemany(
                    "INSERT INTO clicks (at, service, channel, source, platform, is_bot)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )

            try:
                await self.store.write(op)
            except WriteFailed as exc:
                # Put them back in front of anything recorded meanwhile; try again next time.
                self._buffer[:0] = batch
                log.error("could not store %d clicks (will retry): %s", len(batch), exc)
                if self.on_flush_error is not None:
                    self.on_flush_error(exc)
                return 0
            self.written += len(batch)
            return len(batch)

    async def _flush_loop(self) -> None:
        while not self._closed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.flush_interval)
            self._wake.clear()
            await self.flush()

    async def close(self) -> None:
        """Stop the flusher and write what is left. Call before :meth:`Store.close`."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._wake.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
        if self._buffer:
            log.error("%d clicks could not be stored at shutdown", len(self._buffer))

    # ----------------------------------------------------------------------------- reading

    async def by_service(self, channels: Iterable[str] | None = None) -> dict[str, ServiceClicks]:
        """Clicks per service (people and bots apart), over all clicks or those of ``channels``.

        Read from ``click_totals``, which triggers keep up to date (migration 0005): milliseconds
        at five million clicks, where a GROUP BY over ``clicks`` takes seconds.
        """
        sql = "SELECT service, SUM(humans), SUM(bots) FROM click_totals"
        params: tuple[str, ...] = ()
        if channels is not None:
            keys = tuple(channels)
            sql += f" WHERE channel IN ({', '.join('?' for _ in keys)})"
            params = keys
        sql += " GROUP BY service"
        return {
            str(service): ServiceClicks(int(humans or 0), int(bots or 0))
            for service, humans, bots in await self.store.reader.fetch(sql, params)
        }

    async def humans_by_channel(self) -> dict[str, int]:
        """Clicks by people per channel (clicks from outside a channel have no channel: left out)."""
        rows = await self.store.reader.fetch(
            "SELECT channel, SUM(humans) FROM click_totals WHERE channel <> '' GROUP BY channel"
        )
        return {str(channel): int(n or 0) for channel, n in rows}

    async def all_clicks(self) -> list[Click]:
        """Every stored click in order; for tests and small exports."""
        rows = await self.store.reader.fetch(
            "SELECT at, service, channel, source, platform, is_bot FROM clicks ORDER BY id"
        )
        return [Click(float(r[0]), str(r[1]), r[2], r[3], str(r[4]), bool(r[5])) for r in rows]
