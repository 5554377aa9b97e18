"""Looking at a database without changing it: what ``health`` and ``restore`` read.

SQLite is opened with ``mode=ro`` (nothing is created, migrated or written; a missing file is an
error, not a new empty database); PostgreSQL in a ``READ ONLY`` transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from kooch.store.db import StoreUnavailable, damaged, damaged_database
from kooch.store.postgresql import connect, redacted


@dataclass(frozen=True)
class Schema:
    """What a database records of its migrations (empty: none, or no ``schema_migrations``)."""

    applied: tuple[str, ...]


def open_sqlite_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection to the existing database at ``path``; :class:`StoreUnavailable`
    naming the file if it is missing or cannot be opened."""
    if not path.is_file():
        raise StoreUnavailable(f"there is no database at {path} (storage.sqlite_path in the config)")
    # In WAL mode even a read-only connection makes the -wal and -shm files when they are missing
    # (no bot has the database open). Then nothing writes to it, and ``immutable`` reads the file
    # alone and creates nothing; with a -wal present a bot may be writing: plain ``mode=ro``.
    query = "mode=ro" if Path(f"{path}-wal").exists() else "mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True)
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        if damaged(exc):
            raise damaged_database(path, exc) from None
        raise StoreUnavailable(f"the database {path} cannot be read: {exc}") from None
    return conn


def sqlite_schema(conn: sqlite3.Connection) -> Schema:
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if has_table is None:
        return Schema(())
    return Schema(tuple(r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")))


async def postgresql_schema(url: str) -> Schema:
    """The migrations the PostgreSQL database at ``url`` records, read in a read-only transaction."""
    conn = await connect(url)
    try:
        async with conn.transaction(readonly=True):
            exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
            if not exists:
                return Schema(())
            rows = await conn.fetch("SELECT name FROM schema_migrations ORDER BY name")
    except Exception as exc:  # asyncpg's errors: the message names the database, not the password
        raise StoreUnavailable(f"the database {redacted(url)} cannot be read: {exc}") from None
    finally:
        await conn.close()
    return Schema(tuple(r[0] for r in rows))
