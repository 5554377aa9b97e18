"""The one interface the repositories run SQL through, on SQLite (aiosqlite) or PostgreSQL (asyncpg).

Repositories write portable SQL with ``?`` placeholders and call :class:`Database`'s five methods;
the PostgreSQL side numbers the placeholders (``$1``, ``$2``, …) once per statement text and keeps
the result. What cannot be said the same way in both (JSON functions, the batched insert of the
taps, the export's snapshot, WAL truncation) stays in the store layer, which asks
:attr:`Database.dialect`.

Rows come back as plain tuples on both, so a repository's ``for channel, n in rows`` and a test's
``== [(1, "a")]`` read the same whichever database answered.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import aiosqlite

Dialect = Literal["sqlite", "postgresql"]
Row = tuple[Any, ...]
Params = Sequence[Any]
#: What a row of a batched insert may hold: it travels to SQLite as JSON.
Value = str | int | float | None


class StoreUnavailable(Exception):
    """The database cannot be opened or written; the message names the file and the fix."""


@dataclass(frozen=True)
class BatchedInsert:
    """An INSERT the writer runs once per transaction for every row waiting for it.

    ``sql`` takes one parameter, the waiting rows as a JSON array of arrays (read with
    ``json_each`` and ``json_extract(value, '$[i]')``), so a batch costs one call into SQLite however
    many rows it holds. It must skip a row whose key is taken (``ON CONFLICT … DO NOTHING``) and
    return (``RETURNING``) the key, the first ``key_width`` values, of each row it inserted: that is
    how each caller learns whether its row was the first. Key values must come back from SQLite
    as they went in (text and integers do).

    ``postgresql`` is the same INSERT for PostgreSQL: it takes one typed array per column
    (``unnest($1::text[], $2::bigint[], …)``), the batch's columns.
    """

    sql: str
    key_width: int
    postgresql: str = ""


class Database(Protocol):
    """What a repository may do with a connection: run a statement, fetch rows."""

    @property
    def dialect(self) -> Dialect: ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None: ...

    async def fetch(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetchrow(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row; None when there is no row."""
        ...


class SqliteDatabase:
    """:class:`Database` over one aiosqlite connection."""

    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        # One hop to aiosqlite's thread, as before this seam: the cursor is not closed explicitly
        # (another hop per statement, on the group commit's BEGIN, SAVEPOINT, RELEASE and COMMIT);
        # it is dropped with its last reference.
        cursor = await self.conn.execute(sql, tuple(params))
        return int(cursor.rowcount)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self.conn.executemany(sql, [tuple(r) for r in rows])

    async def fetch(self, sql: str, params: Params = ()) -> list[Row]:
        return [tuple(r) for r in await self.conn.execute_fetchall(sql, tuple(params))]

    async def fetchrow(self, sql: str, params: Params = ()) -> Row | None:
        async with self.conn.execute(sql, tuple(params)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else tuple(row)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchrow(sql, params)
        return None if row is None else row[0]


class PgExecutor(Protocol):
    """What asyncpg's ``Connection`` and ``Pool`` both offer."""

    async def execute(self, query: str, *args: Any) -> str: ...
    async def executemany(self, command: str, args: Iterable[Sequence[Any]]) -> None: ...
    async def fetch(self, query: str, *args: Any) -> list[Any]: ...
    async def fetchrow(self, query: str, *args: Any) -> Any: ...


class PgDatabase:
    """:class:`Database` over an asyncpg connection (the writer) or pool (the readers)."""

    dialect: Dialect = "postgresql"

    def __init__(self, conn: PgExecutor) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        status = await self.conn.execute(numbered(sql), *params)
        # "INSERT 0 3", "UPDATE 2", "DELETE 0"; "CREATE TABLE" changes no row.
        last = status.rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self.conn.executemany(numbered(sql), [tuple(r) for r in rows])

    async def fetch(self, sql: str, params: Params = ()) -> list[Row]:
        return [tuple(r) for r in await self.conn.fetch(numbered(sql), *params)]

    async def fetchrow(self, sql: str, params: Params = ()) -> Row | None:
        row = await self.conn.fetchrow(numbered(sql), *params)
        return None if row is None else tuple(row)

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchrow(sql, params)
        return None if row is None else row[0]


# A quoted string or identifier, a comment, or a placeholder: only the last is rewritten.
_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\?""")


@functools.lru_cache(maxsize=1024)
def numbered(sql: str) -> str:
    """``sql`` with each ``?`` outside quotes and comments turned into ``$1``, ``$2``, …"""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group(0) != "?":
            return match.group(0)
        count += 1
        return f"${count}"

    return _TOKENS.sub(number, sql)


def damaged(exc: Exception) -> bool:
    """SQLite's words for a file that is not (or no longer) a whole database: no permission or
    free space fixes it, a backup does."""
    text = str(exc)
    return "file is not a database" in text or "database disk image is malformed" in text


def damaged_database(path: object, exc: Exception) -> StoreUnavailable:
    """What to tell about a damaged database file: restore a backup (the bot and its health
    check say the same)."""
    return StoreUnavailable(
        f"the database file {path} is damaged ({exc}): restore the latest backup "
        "(made with `python bot.py backup`), see README Backups"
    )
