"""``bot.py health`` (the container's HEALTHCHECK) and ``bot.py backup`` (online backups)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from kooch.app.runner import App
from kooch.cli.health import check_health
from kooch.simulator import BotAPISimulator, SimUser
from kooch.store import migrate
from kooch.store.backup import BackupFailed, backup_database
from kooch.store.migrations import discover
from tests.kit import base_config, say, write_config
from tests.web_kit import serving, web_config

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "bot.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


# ------------------------------------------------------------------------------------------- health


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder``, byte for byte (and so which files there are)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_health_changes_nothing_in_the_data_folder(tmp_path: Path) -> None:
    config = base_config(tmp_path)
    data = tmp_path / "data"
    config["storage"]["sqlite_path"] = str(data / "kooch.db")
    path = write_config(tmp_path / "config.yaml", config)
    # Never started: the database is missing, and health says so rather than making one.
    missing = run("health", "--config", str(path))
    assert missing.returncode == 1
    assert missing.stderr == (
        f"unhealthy: there is no database at {data / 'kooch.db'} (storage.sqlite_path in the config)\n"
    )
    assert not data.exists()
    # Migrated up to an older schema (as a previous Kooch left it): health reads, migrates nothing.
    data.mkdir()
    migrate(data / "kooch.db", discover()[:-2])
    (data / "pseudonym.key").write_bytes(b"k" * 32)
    before = snapshot(data)
    result = run("health", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"ok: config {path} valid, database {data / 'kooch.db'} writable, "
        "2 migration(s) to apply at the next start\n"
    )
    assert result.stderr == ""
    assert snapshot(data) == before


def test_health_of_an_unreadable_database_says_so(tmp_path: Path) -> None:
    config = base_config(tmp_path)
    (tmp_path / "kooch.db").write_bytes(b"this is not a database, it is a text file" * 100)
    path = write_config(tmp_path / "config.yaml", config)
    result = run("health", "--config", str(path))
    assert result.returncode == 1
    # A file that is not a database: the read-only check gives the bot's own advice (restore a backup).
    assert result.stderr.startswith(f"unhealthy: the database file {tmp_path / 'kooch.db'} is damaged (")
    assert "restore the latest backup" in result.stderr
    assert "Traceback" not in result.stderr


def test_health_reads_kooch_config_from_the_environment_like_the_bot(tmp_path: Path) -> None:
    path = write_config(tmp_path / "elsewhere.yaml", base_config(tmp_path))
    migrate(tmp_path / "kooch.db")
    result = subprocess.run(
        [sys.executable, "bot.py", "health"],
        cwd=ROOT,
        env={**os.environ, "KOOCH_CONFIG": str(path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok: config {path} valid")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing-config", "unhealthy: the config is invalid: {config}: file not found"),
        ("invalid-config", "unhealthy: the config is invalid: {config}: services[0].url: "),
        ("two-errors", "(and 1 more; run `python bot.py check`)"),
        ("no-database", "unhealthy: there is no database at {tmp}/a_file/kooch.db"),
        ("newer-database", "was migrated by a newer Kooch (unknown migration 9999_future)"),
        (
            "web-not-answering",
            "unhealthy: the bot's web server does not answer at http://127.0.0.1:9/healthz",
        ),
    ],
)
def test_health_names_the_problem_in_one_line_and_exits_1(tmp_path: Path, case: str, expected: str) -> None:
    config = base_config(tmp_path)
    if case == "invalid-config":
        config["services"][0]["url"] = "javascript:alert(1)"
    elif case == "two-errors":
        config["services"][0]["url"] = "javascript:alert(1)"
        config["default_language"] = "xx"
    elif case == "no-database":
        (tmp_path / "a_file").write_text("not a folder")
        config["storage"]["sqlite_path"] = str(tmp_path / "a_file" / "kooch.db")
    elif case == "newer-database":
        migrate(tmp_path / "kooch.db")
        with closing(sqlite3.connect(tmp_path / "kooch.db")) as conn, conn:
            conn.execute("INSERT INTO schema_migrations VALUES ('9999_future', 0)")
    elif case == "web-not-answering":
        config["web"] = {"listen": "127.0.0.1:9"}
    path = tmp_path / "config.yaml"
    if case != "missing-config":
        write_config(path, config)
    result = run("health", "--config", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert expected.format(config=path, tmp=tmp_path) in result.stderr


def test_health_skips_the_web_probe_when_asked(tmp_path: Path) -> None:
    config = base_config(tmp_path) | {"web": {"listen": "127.0.0.1:9"}}
    path = write_config(tmp_path / "config.yaml", config)
    migrate(tmp_path / "kooch.db")
    result = run("health", "--no-web", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ok: config {path} valid, database {tmp_path / 'kooch.db'} writable\n"


async def test_health_probes_the_running_web_server(tmp_path: Path) -> None:
    async with serving(web_config(tmp_path), tmp_path) as web:
        config = web_config(tmp_path)
        config["web"]["listen"] = web.url.removeprefix("http://")
        path = write_config(tmp_path / "health.yaml", config)
        healthy = await asyncio.to_thread(check_health, path)
        # The database file deleted under the running server: /healthz says 503, and health says
        # so before its own database check could create a new, empty file.
        for suffix in ("", "-wal", "-shm"):
            await asyncio.to_thread(Path(f"{web.store.path}{suffix}").unlink, missing_ok=True)
        gone = await asyncio.to_thread(check_health, path)
    assert healthy.ok, healthy.line
    assert healthy.line == (
        f"ok: config {path} valid, web {web.url}/healthz ok, database {tmp_path / 'kooch.db'} writable"
    )
    assert not gone.ok
    assert gone.line == (
        f"unhealthy: {web.url}/healthz answered 503: the database file {tmp_path / 'kooch.db'} is gone"
    )
    assert not (tmp_path / "kooch.db").exists()


# ------------------------------------------------------------------------------------------- backup


async def test_backup_while_the_bot_runs_holds_every_committed_write(
    sim: BotAPISimulator, operator: SimUser, bot: App, config_file: Path, tmp_path: Path
) -> None:
    users = [sim.add_user(f"User {i}", "en") for i in range(5)]
    for user in users:
        await say(sim, user, "/start")
    result = await asyncio.to_thread(run, "backup", "--config", str(config_file), str(tmp_path / "b.db"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"backed up to {tmp_path / 'b.db'} (")
    assert result.stdout.rstrip().endswith("migrations)")
    with closing(sqlite3.connect(tmp_path / "b.db")) as conn, conn:
        rows = {r[0] for r in conn.execute("SELECT user_id FROM subscribers")}
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert rows == {u.id for u in users}
    assert not (tmp_path / "b.db-wal").exists()
    await say(sim, operator, "/help")  # the bot never noticed


def test_backup_into_a_folder_keeps_a_dated_copy_and_replaces_nothing(tmp_path: Path) -> None:
    migrate(tmp_path / "kooch.db")
    folder = tmp_path / "backups"
    folder.mkdir()
    first = backup_database(tmp_path / "kooch.db", folder)
    assert first.path.parent == folder
    assert first.path.name.startswith("kooch-") and first.path.suffix == ".db"
    assert first.migrations >= 1
    assert [p.name for p in folder.iterdir()] == [first.path.name]  # no partial file left


def test_backup_refuses_what_it_cannot_do_well(tmp_path: Path) -> None:
    with pytest.raises(BackupFailed, match="there is no database at"):
        backup_database(tmp_path / "none.db", tmp_path / "b.db")
    assert not (tmp_path / "none.db").exists()  # a backup never creates the database
    migrate(tmp_path / "kooch.db")
    with pytest.raises(BackupFailed, match="is the database itself"):
        backup_database(tmp_path / "kooch.db", tmp_path / "kooch.db")
    with pytest.raises(BackupFailed, match=r"the folder \S*missing-folder does not exist"):
        backup_database(tmp_path / "kooch.db", tmp_path / "missing-folder" / "b.db")


def test_backup_command_explains_a_missing_database(tmp_path: Path) -> None:
    path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    result = run("backup", "--config", str(path), str(tmp_path / "b.db"))
    assert result.returncode == 1  # FAILED (kooch/exits.py)
    assert (
        result.stderr
        == f"kooch: there is no database at {tmp_path / 'kooch.db'} (storage.sqlite_path in the config)\n"
    )
