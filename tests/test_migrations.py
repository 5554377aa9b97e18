"""Migrations: numbered .sql files, each applied atomically with its record, on real SQLite files."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from importlib import resources
from pathlib import Path

import pytest

from kooch.store.migrations import (
    MIGRATIONS_DIR,
    Migration,
    MigrationError,
    discover,
    migrate,
    split_statements,
)

TABLES = {"acks", "subscribers", "announcements", "pending_actions", "audit", "schema_migrations"}
#: The shipped migrations, in order (each feature adds its own numbered file).
SHIPPED = sorted(p.stem for p in MIGRATIONS_DIR.glob("*.sql"))


def tables(db: Path) -> set[str]:
    with closing(sqlite3.connect(db)) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def recorded(db: Path) -> list[str]:
    with closing(sqlite3.connect(db)) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]


def migrations_dir(tmp_path: Path, extra: dict[str, str]) -> Path:
    """A copy of Kooch's migrations plus ``extra`` files (name → SQL)."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        shutil.copy(path, folder / path.name)
    for name, sql in extra.items():
        (folder / name).write_text(sql, encoding="utf-8")
    return folder


def test_discover_finds_the_shipped_migrations() -> None:
    assert [m.name for m in discover()] == SHIPPED
    assert SHIPPED[0] == "0001_initial"


def test_migrate_an_empty_database(tmp_path: Path) -> None:
    db = tmp_path / "k.db"

    assert migrate(db) == SHIPPED

    assert tables(db) >= TABLES
    assert recorded(db) == SHIPPED
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_rerun_applies_nothing(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    migrate(db)

    assert migrate(db) == []
    assert recorded(db) == SHIPPED


def test_new_migration_is_applied_on_top(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    migrate(db)
    folder = migrations_dir(tmp_path, {"9002_notes.sql": "CREATE TABLE notes (a TEXT);\n"})

    assert migrate(db, discover(folder)) == ["9002_notes"]
    assert "notes" in tables(db)
    assert recorded(db) == [*SHIPPED, "9002_notes"]


@pytest.mark.parametrize(
    "broken_sql",
    [
        pytest.param("CREATE TABLE x (a);\nINSERT INTO nope VALUES (1);\n", id="second-statement-fails"),
        pytest.param("CREATE TABLE x(a); INSERT INTO nope VALUES (1);\n", id="both-on-one-line"),
        pytest.param(
            "CREATE TABLE x (a);\nINSERT INTO x VALUES (1);\nCREATE TABLE x (b);\n",
            id="third-statement-fails",
        ),
    ],
)
def test_failing_migration_rolls_back(tmp_path: Path, broken_sql: str) -> None:
    db = tmp_path / "k.db"
    migrate(db)
    folder = migrations_dir(tmp_path, {"9002_broken.sql": broken_sql})

    with pytest.raises(MigrationError, match=r"migration 9002_broken failed and was rolled back") as info:
        migrate(db, discover(folder))

    assert "database is unchanged" in str(info.value)
    assert "x" not in tables(db)
    assert recorded(db) == SHIPPED
    # Once fixed, it applies.
    (folder / "9002_broken.sql").write_text("CREATE TABLE x (a);\n")
    assert migrate(db, discover(folder)) == ["9002_broken"]


def test_failing_migration_names_the_sqlite_error(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    migrations = [
        *discover(),
        Migration("9002_broken", "CREATE TABLE x (a);\nINSERT INTO nope VALUES (1);\n"),
    ]

    with pytest.raises(MigrationError, match="no such table: nope"):
        migrate(db, migrations)

    # The shipped migrations went in; the broken one left nothing behind.
    assert tables(db) >= TABLES
    assert recorded(db) == SHIPPED


def test_database_from_a_newer_kooch(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    migrate(db)
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("INSERT INTO schema_migrations VALUES ('0002_future', 0)")

    with pytest.raises(MigrationError, match=r"newer Kooch \(unknown migration 0002_future\)") as info:
        migrate(db)

    assert str(db) in str(info.value)
    assert "restore a backup" in str(info.value)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        pytest.param(["1_initial.sql"], "must be named NNNN_name.sql", id="short-number"),
        pytest.param(["0001-initial.sql"], "must be named NNNN_name.sql", id="dash"),
        pytest.param(["0001_Initial.sql"], "must be named NNNN_name.sql", id="upper-case"),
        pytest.param(["initial.sql"], "must be named NNNN_name.sql", id="no-number"),
        pytest.param(
            ["0001_a.sql", "0001_b.sql"], "0001_b.sql and 0001_a.sql share a number", id="same-number"
        ),
    ],
)
def test_discover_rejects_misnamed_files(tmp_path: Path, files: list[str], message: str) -> None:
    for name in files:
        (tmp_path / name).write_text("CREATE TABLE t (a);\n")

    with pytest.raises(MigrationError, match=message):
        discover(tmp_path)


def test_discover_orders_by_number_and_ignores_other_files(tmp_path: Path) -> None:
    (tmp_path / "0002_b.sql").write_text("SELECT 2;\n")
    (tmp_path / "0001_a.sql").write_text("SELECT 1;\n")
    (tmp_path / "README.md").write_text("not a migration\n")

    assert discover(tmp_path) == [Migration("0001_a", "SELECT 1;\n"), Migration("0002_b", "SELECT 2;\n")]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        pytest.param("", [], id="empty"),
        pytest.param("-- nothing here\n\n", [], id="comments-only"),
        pytest.param(
            "CREATE TABLE t (a);\nCREATE INDEX ti ON t (a);\n",
            ["CREATE TABLE t (a);", "CREATE INDEX ti ON t (a);"],
            id="one-per-line",
        ),
        pytest.param(
            "CREATE TABLE t (\n    a TEXT,\n    b TEXT\n);\n",
            ["CREATE TABLE t (\n    a TEXT,\n    b TEXT\n);"],
            id="multi-line",
        ),
        pytest.param(
            "INSERT INTO t VALUES ('a;b');\nINSERT INTO t VALUES ('c');\n",
            ["INSERT INTO t VALUES ('a;b');", "INSERT INTO t VALUES ('c');"],
            id="semicolon-in-string",
        ),
        pytest.param(
            "INSERT INTO t VALUES ('a;\nb');\n",
            ["INSERT INTO t VALUES ('a;\nb');"],
            id="semicolon-at-end-of-line-in-string",
        ),
        pytest.param(
            "-- one; two\nCREATE TABLE t (a);\n",
            ["-- one; two\nCREATE TABLE t (a);"],
            id="semicolon-in-line-comment",
        ),
        pytest.param(
            "/* one;\ntwo; */\nCREATE TABLE t (a);\n",
            ["/* one;\ntwo; */\nCREATE TABLE t (a);"],
            id="semicolon-in-block-comment",
        ),
        pytest.param(
            "CREATE TABLE t (a); -- the table\n-- the end\n",
            ["CREATE TABLE t (a);"],
            id="trailing-comments",
        ),
        pytest.param(
            "CREATE TABLE x (a); CREATE TABLE y (b);\n",
            ["CREATE TABLE x (a);", "CREATE TABLE y (b);"],
            id="two-statements-on-one-line",
        ),
    ],
)
def test_split_statements(sql: str, expected: list[str]) -> None:
    assert split_statements(sql) == expected


def test_split_statements_keep_string_literals_intact() -> None:
    statements = split_statements(
        "CREATE TABLE t (a TEXT);\nINSERT INTO t VALUES ('a;b');\nINSERT INTO t VALUES ('c;\n-- d');\n"
    )

    with closing(sqlite3.connect(":memory:")) as conn:
        for statement in statements:
            conn.execute(statement)
        assert [r[0] for r in conn.execute("SELECT a FROM t ORDER BY rowid")] == ["a;b", "c;\n-- d"]


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("CREATE TABLE t (a)\n", id="missing-semicolon"),
        pytest.param("CREATE TABLE t (a);\nINSERT INTO t VALUES ('open\n", id="unclosed-string"),
    ],
)
def test_split_statements_rejects_an_incomplete_end(sql: str) -> None:
    with pytest.raises(MigrationError, match="incomplete SQL statement at the end"):
        split_statements(sql)


def test_incomplete_migration_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    migrate(db)

    with pytest.raises(MigrationError, match="incomplete SQL statement"):
        migrate(db, [*discover(), Migration("9002_cut", "CREATE TABLE x (a);\nCREATE TABLE y (b)")])

    assert "x" not in tables(db)
    assert recorded(db) == SHIPPED


def test_0014_keeps_the_pending_actions_and_never_gives_their_ids_again(tmp_path: Path) -> None:
    """Before 0014 SQLite numbered a pending action max(id) + 1, so deleting the newest gave its
    id to the next (issue 23). The rows survive the rebuild, ids and all, and from then on a
    deleted id stays used."""
    db = tmp_path / "k.db"
    before = [m for m in discover() if m.name < "0014"]
    migrate(db, before)
    with closing(sqlite3.connect(db)) as conn, conn:
        for n in (1, 2, 7):
            conn.execute(
                "INSERT INTO pending_actions (id, kind, operator_id, payload, created_at, state)"
                " VALUES (?, 'approval', 4242, '{}', ?, 'open')",
                (n, float(n)),
            )

    assert "0014_pending_ids_never_reused" in migrate(db)

    with closing(sqlite3.connect(db)) as conn, conn:
        assert conn.execute("SELECT id, created_at FROM pending_actions ORDER BY id").fetchall() == [
            (1, 1.0),
            (2, 2.0),
            (7, 7.0),
        ]
        conn.execute("DELETE FROM pending_actions WHERE id = 7")
        conn.execute(
            "INSERT INTO pending_actions (kind, operator_id, payload, created_at)"
            " VALUES ('approval', 1, '{}', 8)"
        )
        assert conn.execute("SELECT MAX(id) FROM pending_actions").fetchone() == (8,)


@pytest.mark.parametrize("make", [False, True], ids=["missing-folder", "empty-folder"])
def test_no_migrations_is_an_error_not_an_empty_schema(tmp_path: Path, make: bool) -> None:
    folder = tmp_path / "migrations"
    if make:
        folder.mkdir()
        (folder / "README.md").write_text("no migration here\n")

    with pytest.raises(MigrationError, match="installed incompletely"):
        discover(folder)


def test_the_migrations_are_read_from_the_package() -> None:
    """kooch/migrations (a link to migrations/ in the checkout) is what importlib.resources finds."""
    assert Path(str(resources.files("kooch").joinpath("migrations"))) == MIGRATIONS_DIR
    assert MIGRATIONS_DIR.resolve() == (Path(__file__).resolve().parents[1] / "migrations").resolve()
