"""A read-only snapshot for a worker thread: what the export reads both of its files from.

On SQLite, a read-only ``sqlite3`` connection inside one read transaction; on PostgreSQL, a
``REPEATABLE READ READ ONLY`` transaction read through server-side cursors
(:class:`kooch.store.postgresql.PgSnapshot`). Either way the rows stream a chunk at a time and the
store's own connections stay free for /stats meanwhile.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from kooch.store.db import Row


class Snapshot(Protocol):
    def rows(self, sql: str, params: Sequence[Any], chunk: int) -> Iterator[list[Row]]:
        """The rows of ``sql`` (``?`` placeholders), ``chunk`` at a time."""
        ...

    def close(self) -> None: ...


class SqliteSnapshot:
    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.execute("BEGIN")

    def rows(self, sql: str, params: Sequence[Any], chunk: int) -> Iterator[list[Row]]:
        cursor = self._conn.execute(sql, tuple(params))
        try:
            while rows := cursor.fetchmany(chunk):
                yield rows
        finally:
            cursor.close()

    def close(self) -> None:
        self._conn.close()


def open_snapshot(path: Path, url: str | None = None) -> Snapshot:
    """A snapshot of the PostgreSQL database at ``url``, or else of the SQLite file at ``path``.
    Blocking: call it in the worker thread that reads it."""
    if url:
        from kooch.store.postgresql import PgSnapshot

        return PgSnapshot(url)
    return SqliteSnapshot(path)
