"""Is the database usable? For ``/healthz``: a cheap read, and the file still where it was opened."""

from __future__ import annotations

import asyncio
import sqlite3

from kooch.store.engine import Store

PING_TIMEOUT_S = 2.0


async def database_problem(store: Store) -> str | None:
    """None when the database answers; otherwise what is wrong, in a few words.

    A database file deleted under a running process still answers through the open connections,
    but every write would vanish at the next restart: that counts as unreachable too.
    """
    if store.dialect == "sqlite" and not store.path.exists():
        return f"the database file {store.path} is gone"
    try:
        async with asyncio.timeout(PING_TIMEOUT_S):
            await store.reader.fetchval("SELECT COUNT(*) FROM schema_migrations")
    except TimeoutError:
        return f"the database did not answer within {PING_TIMEOUT_S:g} s"
    except (sqlite3.Error, ValueError) as exc:  # ValueError: the connection is closed
        return f"the database cannot be read: {exc}"
    except Exception as exc:
        # PostgreSQL's errors (asyncpg's, or OSError from a lost socket): the store layer is the
        # one place that knows them, and any of them means the same here.
        if store.dialect != "postgresql":
            raise
        return f"the database cannot be read: {exc}"
    return None
