"""asyncpg against psycopg 3 (async) on the two things Kooch asks of a PostgreSQL driver.

1. The taps' group commit: a batch of 500 taps as one ``INSERT … SELECT FROM unnest(…) ON CONFLICT
   DO NOTHING RETURNING`` in its own transaction, as :mod:`kooch.store.postgresql` sends it.
2. A small read, one row by primary key (``has_acked``: what every tap's answer and /stats do).

Both drivers run in the same process against the same throw-away cluster (tests/pg.py: a Unix
socket, fsync off), one after the other, twice each, best of the two kept; the figures are bound by
the CPU (2 cores shared with other work) and each driver's protocol handling, not by a disk. The
ratio is asyncpg's speed over psycopg's: above 1, asyncpg is faster.

    python -m bench.pg_driver [--batches 200] [--reads 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable

import asyncpg

from bench.extras import require
from kooch.testing.pg import cluster

TABLE = (
    "CREATE TABLE acks (channel TEXT NOT NULL, user_id BIGINT NOT NULL, first_name TEXT,"
    " language TEXT, source TEXT NOT NULL, service TEXT, acked_at DOUBLE PRECISION NOT NULL,"
    " PRIMARY KEY (channel, user_id))"
)
INSERT = (
    "INSERT INTO acks (channel, user_id, first_name, language, source, service, acked_at)"
    " SELECT * FROM unnest({0}::text[], {1}::bigint[], {2}::text[], {3}::text[], {4}::text[],"
    " {5}::text[], {6}::float8[]) ON CONFLICT (channel, user_id) DO NOTHING RETURNING channel, user_id"
)
READ = "SELECT 1 FROM acks WHERE channel = {0} AND user_id = {1}"
BATCH = 500


def columns(batch: int, first_user: int) -> list[list[object]]:
    users = range(first_user, first_user + batch)
    return [
        ["demo"] * batch,
        list(users),
        [f"Name {u}" for u in users],
        ["fa"] * batch,
        ["post"] * batch,
        ["gap"] * batch,
        [1.7e9 + u for u in users],
    ]


async def best_of_two(run: Callable[[], Awaitable[float]]) -> float:
    return min([await run(), await run()])


async def bench_asyncpg(url: str, batches: int, reads: int, table: str) -> tuple[float, float]:
    conn = await asyncpg.connect(url)
    await conn.execute(TABLE.replace("acks", table, 1))
    insert = INSERT.replace("acks", table, 1).format(*(f"${i}" for i in range(1, 8)))
    read = READ.replace("acks", table, 1).format("$1", "$2")
    state = {"next": 0}

    async def inserts() -> float:
        start = time.perf_counter()
        for _ in range(batches):
            async with conn.transaction():
                await conn.fetch(insert, *columns(BATCH, state["next"]))
            state["next"] += BATCH
        return time.perf_counter() - start

    async def lookups() -> float:
        start = time.perf_counter()
        for i in range(reads):
            await conn.fetchrow(read, "demo", i)
        return time.perf_counter() - start

    try:
        return await best_of_two(inserts), await best_of_two(lookups)
    finally:
        await conn.close()


async def bench_psycopg(url: str, batches: int, reads: int, table: str) -> tuple[float, float]:
    import psycopg  # requirements-bench.txt

    # libpq reads the socket folder from ``host=`` in the query as asyncpg does: the same URL.
    conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
    await conn.execute(TABLE.replace("acks", table, 1))
    insert = INSERT.replace("acks", table, 1).format(*(["%s"] * 7))
    read = READ.replace("acks", table, 1).format("%s", "%s")
    state = {"next": 0}

    async def inserts() -> float:
        start = time.perf_counter()
        for _ in range(batches):
            async with conn.transaction():
                cursor = await conn.execute(insert, columns(BATCH, state["next"]))
                await cursor.fetchall()
            state["next"] += BATCH
        return time.perf_counter() - start

    async def lookups() -> float:
        start = time.perf_counter()
        for i in range(reads):
            cursor = await conn.execute(read, ("demo", i), prepare=True)
            await cursor.fetchone()
        return time.perf_counter() - start

    try:
        return await best_of_two(inserts), await best_of_two(lookups)
    finally:
        await conn.close()


async def run(url: str, batches: int, reads: int) -> dict[str, float]:
    a_insert, a_read = await bench_asyncpg(url, batches, reads, "acks_asyncpg")
    p_insert, p_read = await bench_psycopg(url, batches, reads, "acks_psycopg")
    rows = batches * BATCH
    return {
        "asyncpg_tap_rows_per_s": rows / a_insert,
        "psycopg_tap_rows_per_s": rows / p_insert,
        "tap_batch_ratio": p_insert / a_insert,
        "asyncpg_read_us": a_read / reads * 1e6,
        "psycopg_read_us": p_read / reads * 1e6,
        "read_ratio": p_read / a_read,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200, help="batches of 500 taps per round")
    parser.add_argument("--reads", type=int, default=5000, help="primary-key reads per round")
    args = parser.parse_args()
    require("bench/pg_driver.py", "psycopg")
    with cluster() as pg:
        figures = asyncio.run(run(pg.url(), args.batches, args.reads))
    print(
        f"taps, {BATCH} per statement, {args.batches} batches: asyncpg "
        f"{figures['asyncpg_tap_rows_per_s']:,.0f} rows/s, psycopg 3 {figures['psycopg_tap_rows_per_s']:,.0f}"
        f" rows/s (asyncpg {figures['tap_batch_ratio']:.2f}x)"
    )
    print(
        f"one-row read, {args.reads} in a row: asyncpg {figures['asyncpg_read_us']:.0f} µs, psycopg 3 "
        f"{figures['psycopg_read_us']:.0f} µs (asyncpg {figures['read_ratio']:.2f}x)"
    )
    print(json.dumps({k: round(v, 2) for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
