"""Numbered ``migrations/NNNN_name.sql`` files, applied in order, each atomically with its record.

SQLite's migrations are the files directly in ``migrations/``; PostgreSQL's are their twins of the
same name in ``migrations/postgresql/`` (the same schema said in PostgreSQL's words), so that both
record the same names and ``migrate-db`` can tell that an SQLite file and a PostgreSQL database are
at the same version. A new migration is two files: ``migrations/NNNN_x.sql`` and
``migrations/postgresql/NNNN_x.sql``; a PostgreSQL start refuses (naming the file) while a twin is
missing, and a test checks that every SQLite migration has one. PostgreSQL's are applied by
:mod:`kooch.store.postgresql`.

The files ship inside the package (``kooch/migrations`` is a link to the top-level ``migrations/``
in the checkout, and a folder of the installed wheel), found with :mod:`importlib.resources`. A
missing folder or one without a migration is an error, never an empty database.

Runs once at start-up, before the bot takes any update, with the standard ``sqlite3`` module:
nothing else touches the file yet, and a plain synchronous function is the simplest thing to test.

``sqlite3.executescript`` would COMMIT before running the script, so the statements are split with
``sqlite3.complete_statement`` and run one by one inside our own ``BEGIN IMMEDIATE`` … ``COMMIT``:
a failing migration leaves the database exactly as it was.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kooch.clock import SYSTEM, Clock

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# Kooch runs from files, not from a zip: the package's resources are a folder on disk.
MIGRATIONS_DIR = Path(str(resources.files("kooch").joinpath("migrations")))
POSTGRESQL_DIR = MIGRATIONS_DIR / "postgresql"


class MigrationError(Exception):
    """The database cannot be brought to this Kooch's schema; the message says why and what to do."""


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in ``directory``, in order; a misnamed or duplicate-numbered file is an error,
    and so is a missing folder or one without a migration (a broken install, not an empty schema)."""
    if not directory.is_dir():
        raise MigrationError(f"no migrations folder at {directory}: this Kooch is installed incompletely")
    found: list[Migration] = []
    numbers: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
        match = MIGRATION_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files must be named NNNN_name.sql")
        if match.group(1) in numbers:
            raise MigrationError(f"{path.name} and {numbers[match.group(1)]} share a number")
        numbers[match.group(1)] = path.name
        found.append(Migration(path.stem, path.read_text(encoding="utf-8")))
    if not found:
        raise MigrationError(f"no migrations in {directory}: this Kooch is installed incompletely")
    return found


def discover_postgresql(directory: Path = POSTGRESQL_DIR, sqlite: Path = MIGRATIONS_DIR) -> list[Migration]:
    """PostgreSQL's migrations, in order: the twins of SQLite's, one for each, and no other."""
    found = discover(directory)
    names = {m.name for m in found}
    wanted = {m.name for m in discover(sqlite)}
    missing = sorted(wanted - names)
    if missing:
        raise MigrationError(
            f"no PostgreSQL twin of migration {', '.join(missing)}: write "
            + ", ".join(f"{directory / name}.sql" for name in missing)
        )
    extra = sorted(names - wanted)
    if extra:
        raise MigrationError(f"{', '.join(extra)} in {directory} has no SQLite migration of that name")
    return found


def split_statements(sql: str) -> list[str]:
    """Split a script into complete statements (comments and semicolons in strings respected).

    Cut after each ``;`` where ``sqlite3.complete_statement`` agrees the text so far is whole, so
    two statements on one line are two statements.
    """
    statements: list[str] = []
    start = 0
    for i, char in enumerate(sql):
        if char == ";" and sqlite3.complete_statement(sql[start : i + 1]):
            statement = sql[start : i + 1].strip()
            if _has_code(statement):
                statements.append(statement)
            start = i + 1
    rest = sql[start:]
    if _has_code(rest):
        raise MigrationError(f"incomplete SQL statement at the end: {rest.strip()[:80]!r}")
    return statements


def _has_code(text: str) -> bool:
    """True if ``text`` holds more than blank lines and ``--`` comments."""
    return any(line.strip() and not line.strip().startswith("--") for line in text.splitlines())


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ( name TEXT PRIMARY KEY, applied_at REAL NOT NULL)"
    )
    return [row[0] for row in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]


def migrate(db_path: Path, migrations: list[Migration] | None = None, *, clock: Clock = SYSTEM) -> list[str]:
    """Bring the database at ``db_path`` up to date; return the names applied now.

    Raises :class:`MigrationError` when a migration fails (the database is left as it was) or when
    the database records a migration this Kooch does not know (it was used by a newer Kooch, and
    running an older one against it could lose data).
    """
    migrations = discover() if migrations is None else migrations
    known = {m.name for m in migrations}
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        # A migration that rebuilds a table frees the old one's pages: zero them (see engine.py).
        conn.execute("PRAGMA secure_delete=ON")
        done = applied_migrations(conn)
        unknown = [name for name in done if name not in known]
        if unknown:
            raise MigrationError(
                f"{db_path} was migrated by a newer Kooch (unknown migration {', '.join(unknown)}). "
                "Run that newer Kooch, or restore a backup made before the upgrade."
            )
        applied: list[str] = []
        for migration in migrations:
            if migration.name in done:
                continue
            _apply(conn, migration, clock.now())
            applied.append(migration.name)
        return applied
    finally:
        conn.close()


def _apply(conn: sqlite3.Connection, migration: Migration, at: float) -> None:
    statements = split_statements(migration.sql)
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in statements:
            conn.execute(statement)
        conn.execute(
            "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
            (migration.name, at),
        )
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        conn.execute("ROLLBACK")
        raise MigrationError(
            f"migration {migration.name} failed and was rolled back: {exc}. "
            "The database is unchanged; fix the migration or report it."
        ) from exc
