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
    if not store.path.exists():
        return f"the database file {store.path} is gone"
    try:
        async with asyncio.timeout(PING_TIMEOUT_S):
            async with store.reader.execute("SELECT COUNT(*) FROM schema_migrations") as cursor:
                await cursor.fetchone()
    except TimeoutError:
        return f"the database did not answer within {PING_TIMEOUT_S:g} s"
    except (sqlite3.Error, ValueError) as exc:  # ValueError: the connection is closed
        return f"the database cannot be read: {exc}"
    return None
