"""``bot.py migrate-db``: copy an SQLite database into an empty PostgreSQL one, every table, checked.

The SQLite file is first brought to this Kooch's schema (as a start would), then read in one read
transaction, so that a bot still running meanwhile cannot make the copy half of two moments. The
target is migrated to the same schema (the same migration names are recorded) and must hold no
row; the whole copy is one transaction, and before it commits each table's row count is compared
with the source's: a difference rolls everything back, and the target is left as empty as it was.

Tables are copied in the order SQLite created them (the migrations' order), which is also the order
their foreign keys need. A table fed by triggers (the aggregates of migration 0005) is emptied just
before its own rows are copied: what the triggers counted while the earlier tables were copied is
replaced by the source's counts, which also hold what the retention job archived.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from kooch.clock import SYSTEM, Clock
from kooch.store.migrations import migrate as migrate_sqlite
from kooch.store.postgresql import connect, redacted
from kooch.store.postgresql import migrate as migrate_postgresql

#: Rows sent to PostgreSQL per COPY round trip.
COPY_CHUNK = 10_000
#: Tables the copy never carries over: the migrations' record is written by the target's own run.
SKIPPED = {"schema_migrations"}


class CopyRefused(Exception):
    """The copy did not start or was rolled back: the message says why; the target is unchanged."""


@dataclass(frozen=True)
class CopyReport:
    #: (table, rows) in the order copied.
    tables: tuple[tuple[str, int], ...]
    migrations: int

    @property
    def rows(self) -> int:
        return sum(n for _, n in self.tables)


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    ).fetchall()
    return [str(r[0]) for r in rows if r[0] not in SKIPPED]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [str(r[1]) for r in conn.execute(f'PRAGMA table_info("{table}")')]


#: How a value read from SQLite becomes what the PostgreSQL column takes (SQLite stores what it is
#: given; PostgreSQL's binary COPY wants the column's own type).
_CASTS: dict[str, Callable[[Any], Any]] = {
    "bigint": int,
    "integer": int,
    "smallint": int,
    "double precision": float,
    "real": float,
    "text": str,
}


#: Told as a table is copied: (table, rows copied so far, rows it has), at its start, after each
#: :data:`COPY_CHUNK` rows and at its end.
Progress = Callable[[str, int, int], None]


def _silent(_table: str, _done: int, _total: int) -> None:
    return None


def copy_database(
    sqlite_path: Path, url: str, *, clock: Clock = SYSTEM, progress: Progress = _silent
) -> CopyReport:
    """Copy the SQLite database at ``sqlite_path`` into the empty PostgreSQL database at ``url``,
    telling ``progress`` as it goes. Blocking, with an event loop of its own (a command, or a
    worker thread).

    Raises :class:`CopyRefused` (the target holds rows, or its schema is not this Kooch's, or a
    count differs after the copy), :class:`~kooch.store.engine.StoreUnavailable` (no connection)
    or :class:`~kooch.store.migrations.MigrationError`.
    """
    if not sqlite_path.is_file():
        raise CopyRefused(f"there is no SQLite database at {sqlite_path} (storage.sqlite_path)")
    migrate_sqlite(sqlite_path, clock=clock)  # bring it to this Kooch's schema, as a start would
    with closing(sqlite3.connect(f"{sqlite_path.resolve().as_uri()}?mode=ro", uri=True)) as source:
        source.execute("BEGIN")  # one snapshot for every table
        tables = _tables(source)
        names = [str(r[0]) for r in source.execute("SELECT name FROM schema_migrations ORDER BY name")]
        return asyncio.run(_connect_and_copy(source, tables, names, url, clock, progress))


async def _connect_and_copy(
    source: sqlite3.Connection,
    tables: list[str],
    names: list[str],
    url: str,
    clock: Clock,
    progress: Progress,
) -> CopyReport:
    target = await connect(url)
    try:
        return await _copy(source, target, tables, names, url, clock, progress)
    finally:
        await target.close()


async def _copy(
    source: sqlite3.Connection,
    target: asyncpg.Connection,
    tables: list[str],
    names: list[str],
    url: str,
    clock: Clock,
    progress: Progress = _silent,
) -> CopyReport:
    where = redacted(url)
    present = {
        str(r[0])
        for r in await target.fetch("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    }
    foreign = sorted(present - set(tables) - SKIPPED)
    if foreign:
        raise CopyRefused(
            f"{where} is not empty: it has tables Kooch does not know ({', '.join(foreign[:5])}). "
            "Give migrate-db a new, empty database (createdb)."
        )
    await migrate_postgresql(target, clock=clock)
    recorded = [str(r[0]) for r in await target.fetch("SELECT name FROM schema_migrations ORDER BY name")]
    if recorded != names:
        raise CopyRefused(
            f"the schemas differ: {where} records {len(recorded)} migrations, the SQLite file "
            f"{len(names)}. Run migrate-db with the same Kooch version that uses the SQLite file."
        )
    for table in tables:
        n = await target.fetchval(f'SELECT COUNT(*) FROM "{table}"')
        if n:
            raise CopyRefused(
                f"{where} is not empty: table {table} holds {n} rows. migrate-db copies into an "
                "empty database only, so that nothing there is mixed with or lost under the copy."
            )
    copied: list[tuple[str, int]] = []
    async with target.transaction():
        for table in tables:
            copied.append((table, await _copy_table(source, target, table, progress)))
        for table, n in copied:
            there = int(await target.fetchval(f'SELECT COUNT(*) FROM "{table}"'))
            if there != n:
                raise CopyRefused(f"table {table}: {n} rows read, {there} in {where}; rolled back")
        given = _sequences(source)
        for table in tables:
            await _advance_identity(target, table, given.get(table, 0))
    return CopyReport(tuple(copied), len(names))


async def _copy_table(
    source: sqlite3.Connection, target: asyncpg.Connection, table: str, progress: Progress = _silent
) -> int:
    columns = _columns(source, table)
    types = {
        str(r[0]): str(r[1])
        for r in await target.fetch(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = $1",
            table,
        )
    }
    missing = [c for c in columns if c not in types]
    if missing:
        raise CopyRefused(f"table {table}: PostgreSQL has no column {', '.join(missing)}")
    casts = [_CASTS.get(types[c], lambda v: v) for c in columns]
    # Rows a trigger put here while earlier tables were copied: the source's own rows replace them.
    await target.execute(f'DELETE FROM "{table}"')
    quoted = ", ".join(f'"{c}"' for c in columns)
    size = int(source.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
    progress(table, 0, size)
    cursor = source.execute(f'SELECT {quoted} FROM "{table}"')
    total = 0
    while rows := cursor.fetchmany(COPY_CHUNK):
        records = [
            tuple(None if v is None else cast(v) for v, cast in zip(row, casts, strict=True)) for row in rows
        ]
        await target.copy_records_to_table(table, records=records, columns=columns)
        total += len(records)
        if total < size:
            progress(table, total, size)
    progress(table, total, size)
    return total


def _sequences(source: sqlite3.Connection) -> dict[str, int]:
    """The highest id SQLite ever gave in each AUTOINCREMENT table (``pending_actions``): its row
    may be gone, its number must not come again."""
    if source.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone() is None:
        return {}
    return {str(name): int(seq) for name, seq in source.execute("SELECT name, seq FROM sqlite_sequence")}


async def _advance_identity(target: asyncpg.Connection, table: str, given: int = 0) -> None:
    """An identity column continues after the highest id copied or ever given (``given``, from
    SQLite's AUTOINCREMENT), not from 1."""
    identity = await target.fetchval(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = $1 AND column_name = 'id' AND is_identity = 'YES'",
        table,
    )
    if identity:
        sequence = await target.fetchval("SELECT pg_get_serial_sequence($1, 'id')", table)
        await target.execute(
            f'SELECT setval($1, GREATEST(COALESCE((SELECT MAX(id) FROM "{table}"), 0), $2) + 1, false)',
            sequence,
            given,
        )
