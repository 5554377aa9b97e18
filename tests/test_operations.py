"""Kooch as an administrator runs it: one version everywhere, exit codes a supervisor can act on,
logs in any case and as JSON, SIGHUP, secrets in files, and the way back from a backup.

Most of these run ``bot.py`` as a subprocess, as systemd or a container runtime would."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client import generate_latest

from kooch import version as version_module
from kooch.app.runner import App
from kooch.exits import Exit
from kooch.metrics import Metrics
from kooch.simulator import BotAPISimulator, SimUser
from kooch.store import migrate
from kooch.store.backup import backup_database, key_copy
from kooch.store.migrations import discover
from kooch.version import build
from tests.bidi_kit import assert_reads_right
from tests.kit import CHANNEL, OPERATOR_ID, base_config, say, write_config
from tests.test_cli import ROOT, run
from tests.web_kit import serving, web_config

PYPROJECT_VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def head_revision() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


# ------------------------------------------------------------------------------------------ version


def test_version_is_pyproject_s_with_the_commit() -> None:
    result = run("--version")
    assert result.returncode == Exit.OK
    assert result.stdout == f"kooch {PYPROJECT_VERSION} ({head_revision()})\n"
    # An image has no .git: the revision is given at build time.
    built = run("--version", env={"KOOCH_REVISION": "0123abc"})
    assert built.stdout == f"kooch {PYPROJECT_VERSION} (0123abc)\n"


def test_installed_without_a_checkout_the_version_is_the_package_metadata_s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wheel in site-packages has no pyproject.toml beside it: importlib.metadata says it."""
    site = tmp_path / "site-packages"
    (site / "kooch-9.8.7.dist-info").mkdir(parents=True)
    (site / "kooch-9.8.7.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: kooch\nVersion: 9.8.7\n"
    )
    monkeypatch.setattr(version_module, "_CHECKOUTS", (tmp_path / "elsewhere",))
    monkeypatch.setattr(sys, "path", [str(site), *sys.path])
    monkeypatch.delenv("KOOCH_REVISION", raising=False)
    version_module.build.cache_clear()
    version_module.version.cache_clear()
    try:
        assert str(version_module.build()) == "9.8.7"  # no revision known: the version alone
        assert version_module.build().revision == "unknown"
        monkeypatch.setenv("KOOCH_REVISION", "feed123")
        version_module.build.cache_clear()
        assert str(version_module.build()) == "9.8.7 (feed123)"
    finally:
        version_module.build.cache_clear()
        version_module.version.cache_clear()


def test_build_info_metric_is_1_with_the_version_and_revision() -> None:
    text = generate_latest(Metrics().registry).decode()
    b = build()
    assert f'kooch_build_info{{revision="{b.revision}",version="{PYPROJECT_VERSION}"}} 1.0' in text


async def test_healthz_says_the_version(tmp_path: Path) -> None:
    async with serving(web_config(tmp_path), tmp_path) as web, httpx.AsyncClient(base_url=web.url) as client:
        body = (await client.get("/healthz")).json()
    assert body["version"] == PYPROJECT_VERSION
    assert body["revision"] == build().revision


async def test_status_ends_with_the_version_in_the_reader_s_language(
    sim: BotAPISimulator, operator: SimUser, bot: App, config_file: Path, tmp_path: Path
) -> None:
    revision = build().revision
    english = await say(sim, operator, "/status")
    assert english.text is not None
    assert (
        english.text.splitlines()[-1]
        == f"🏷 Kooch \u2066{PYPROJECT_VERSION}\u2069 (commit \u2066{revision}\u2069)"
    )
    persian = sim.add_user("گرداننده", "fa", user_id=OPERATOR_ID + 1)
    config = base_config(tmp_path)
    config["operators"].append(persian.id)
    await asyncio.to_thread(write_config, config_file, config)
    await say(sim, operator, "/reload")
    farsi = await say(sim, persian, "/status")
    assert farsi.text is not None
    last = farsi.text.splitlines()[-1]
    assert "کوچ، نگارش" in last and PYPROJECT_VERSION in last and revision in last
    assert_reads_right([farsi.text])


# ------------------------------------------------------------------------------------------ exit codes


@pytest.mark.parametrize(
    ("case", "code", "expected"),
    [
        ("bad-flag", Exit.USAGE, "unrecognized arguments: --bogus"),
        ("invalid-config", Exit.CONFIG, "the config is invalid"),
        ("check-invalid-config", Exit.CONFIG, "is invalid (1 error(s))"),
        ("no-token", Exit.CONFIG, "TELEGRAM_BOT_TOKEN is not set"),
        ("bad-log-level", Exit.CONFIG, "KOOCH_LOG_LEVEL='loud' is not a log level; use one of debug,"),
        ("bad-log-format", Exit.CONFIG, "KOOCH_LOG_FORMAT='xml' is not a log format; use one of text, json"),
        ("token-twice", Exit.CONFIG, "both TELEGRAM_BOT_TOKEN and TELEGRAM_BOT_TOKEN_FILE are set"),
        ("newer-database", Exit.UNAVAILABLE, "was migrated by a newer Kooch (unknown migration 9999_future)"),
        ("unreachable-api", Exit.TEMPFAIL, "cannot reach the Bot API at http://127.0.0.1:9"),
        ("unusable-database", Exit.TEMPFAIL, "cannot create the database folder"),
        ("unhealthy", Exit.FAILED, "unhealthy: there is no database at"),
    ],
)
def test_each_documented_exit_code(tmp_path: Path, case: str, code: Exit, expected: str) -> None:
    config = base_config(tmp_path)
    env = {"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_API_URL": "http://127.0.0.1:9"}
    args = ["--config", str(tmp_path / "config.yaml")]
    if case == "bad-flag":
        args.append("--bogus")
    elif case in ("invalid-config", "check-invalid-config"):
        config["services"][0]["url"] = "javascript:alert(1)"
        if case == "check-invalid-config":
            args.insert(0, "check")
    elif case == "no-token":
        env = {}
    elif case == "bad-log-level":
        env["KOOCH_LOG_LEVEL"] = "loud"
    elif case == "bad-log-format":
        env["KOOCH_LOG_FORMAT"] = "xml"
    elif case == "token-twice":
        (tmp_path / "token").write_text("123:abc\n")
        env["TELEGRAM_BOT_TOKEN_FILE"] = str(tmp_path / "token")
    elif case == "newer-database":
        migrate(tmp_path / "kooch.db")
        with closing(sqlite3.connect(tmp_path / "kooch.db")) as conn, conn:
            conn.execute("INSERT INTO schema_migrations VALUES ('9999_future', 0)")
    elif case == "unusable-database":
        (tmp_path / "a_file").write_text("not a folder")
        config["storage"]["sqlite_path"] = str(tmp_path / "a_file" / "kooch.db")
    elif case == "unhealthy":
        args.insert(0, "health")
    write_config(tmp_path / "config.yaml", config)
    result = run(*args, env=env)
    assert result.returncode == code, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert "123:abc" not in result.stderr


@asynccontextmanager
async def bot_process(
    tmp_path: Path, sim: BotAPISimulator, config: Path, env: dict[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python bot.py --config CONFIG`` against the simulator; killed at the end if still running."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "KOOCH_"))}
    full.update({"TELEGRAM_BOT_TOKEN": sim.token, "TELEGRAM_API_URL": sim.url, **(env or {})})
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "bot.py",
        "--config",
        str(config),
        cwd=ROOT,
        env=full,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@pytest.mark.slow
@pytest.mark.parametrize("case", ["token-refused", "another-poller"])
async def test_unavailable_exits_69(tmp_path: Path, case: str) -> None:
    async with BotAPISimulator() as sim:
        sim.add_channel(username=CHANNEL)
        path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
        env = {}
        if case == "token-refused":
            env["TELEGRAM_BOT_TOKEN"] = "999:not-the-simulator-s"
        else:
            sim.inject_fault("getUpdates", 1, 409, "Conflict: terminated by other getUpdates request")
        async with bot_process(tmp_path, sim, path, env) as proc:
            _, stderr = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == Exit.UNAVAILABLE, stderr.decode()
    said = stderr.decode()
    assert ("Telegram rejected TELEGRAM_BOT_TOKEN" if case == "token-refused" else "getUpdates") in said
    assert "Traceback" not in said


# ------------------------------------------------------------------------------------ logs, SIGHUP, secrets


@pytest.mark.slow
async def test_sighup_reloads_the_config_and_logs_are_json(tmp_path: Path) -> None:
    """The config is a symlink swapped to a new file, as Kubernetes updates a mounted ConfigMap:
    the file watcher (it watches the file the link pointed to) sees nothing; SIGHUP reads it again.
    Meanwhile every log line is one JSON object with the same fields, at debug level written in
    lower case, and no line carries the subscriber's id, name or the token (given as a file)."""
    async with BotAPISimulator() as sim:
        operator = sim.add_user("Operator", "en", user_id=OPERATOR_ID)
        persian = sim.add_user("گرداننده", "fa", user_id=OPERATOR_ID + 1)
        sim.add_channel(username=CHANNEL)
        versions = tmp_path / "versions"
        versions.mkdir()
        first = base_config(tmp_path)
        # Told without an update of theirs: in the language the config gives them.
        first["operators"].append({"id": persian.id, "language": "fa"})
        second = base_config(tmp_path)
        second["operators"].append({"id": persian.id, "language": "fa"})
        second["services"].append(
            {"key": "eitaa", "name": {"fa": "ایتا", "en": "Eitaa"}, "url": "https://eitaa.com/kooch_demo"}
        )
        write_config(versions / "v1.yaml", first)
        write_config(versions / "v2.yaml", second)
        config = tmp_path / "config.yaml"
        config.symlink_to(versions / "v1.yaml")
        (tmp_path / "token").write_text(sim.token + "\n")
        env = {
            "KOOCH_LOG_LEVEL": "debug",
            "KOOCH_LOG_FORMAT": "json",
            "TELEGRAM_BOT_TOKEN": "",
            "TELEGRAM_BOT_TOKEN_FILE": str(tmp_path / "token"),
        }
        async with bot_process(tmp_path, sim, config, env) as proc:
            helped = await say(sim, operator, "/help", timeout=30)  # the operators' chats are open
            helped_fa = await say(sim, persian, "/help", timeout=30)
            sara = sim.add_user("Sara Secretname", "en")
            before = await say(sim, sara, "/start", timeout=30)
            assert "Eitaa" not in str(before.buttons)
            swapped = tmp_path / "config.yaml.new"
            swapped.symlink_to(versions / "v2.yaml")
            swapped.replace(config)
            proc.send_signal(signal.SIGHUP)
            report = await sim.wait_for_message(operator.id, after=helped.message_id, timeout=30)
            report_fa = await sim.wait_for_message(persian.id, after=helped_fa.message_id, timeout=30)
            after = await say(sim, sara, "/start", timeout=30)
            proc.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == Exit.OK
    assert report.text is not None
    assert "reloaded (the signal \u2066SIGHUP\u2069)" in report.text
    assert report_fa.text is not None and "سیگنال \u2066SIGHUP\u2069" in report_fa.text
    assert_reads_right([report_fa.text])
    assert "Eitaa" in str(after.buttons)
    lines = stderr.decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert all(list(r) == ["time", "level", "logger", "message", "exception"] for r in records)
    messages = [r["message"] for r in records]
    assert any(m.startswith("SIGHUP: config applied") for m in messages), messages
    # debug opens Kooch's own loggers only: the libraries' debug lines print updates and SQL.
    assert all(r["logger"].startswith(("kooch", "handlers")) for r in records if r["level"] == "DEBUG")
    assert any(m.startswith("Kooch is running as @") for m in messages)
    leaks = [
        (r["logger"], r["message"][:200])
        for r in records
        if any(s in json.dumps(r, ensure_ascii=False) for s in (str(sara.id), "Secretname", sim.token))
    ]
    assert not leaks


@pytest.mark.parametrize("level", ["debug", "Debug", "DEBUG"])
def test_log_level_in_any_case(tmp_path: Path, level: str) -> None:
    path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    migrate(tmp_path / "kooch.db")
    result = run("health", "--config", str(path), env={"KOOCH_LOG_LEVEL": level})
    assert result.returncode == Exit.OK, result.stderr
    assert "Traceback" not in result.stderr


def test_secrets_from_files(tmp_path: Path) -> None:
    """Each *_FILE is read (one trailing newline dropped); unreadable is refused by its name."""
    from kooch.secrets import SecretError, load_file_secrets, secret

    (tmp_path / "url").write_text("postgresql://kooch:pw@db/kooch\n")
    (tmp_path / "bale").write_text("bale-token\r\n")
    env = {"KOOCH_DATABASE_URL_FILE": str(tmp_path / "url"), "BALE_TOKEN_FILE": str(tmp_path / "bale")}
    assert load_file_secrets(env) == ["KOOCH_DATABASE_URL"]
    assert env["KOOCH_DATABASE_URL"] == "postgresql://kooch:pw@db/kooch"
    assert secret("BALE_TOKEN", env) == "bale-token"  # a destination's token_env
    assert secret("NOT_SET", env) is None
    with pytest.raises(
        SecretError, match=r"^KOOCH_WEBHOOK_SECRET_FILE: cannot read .*/missing: No such file"
    ):
        load_file_secrets({"KOOCH_WEBHOOK_SECRET_FILE": str(tmp_path / "missing")})
    with pytest.raises(SecretError, match="both KOOCH_PSEUDONYM_KEY and KOOCH_PSEUDONYM_KEY_FILE are set"):
        load_file_secrets(
            {"KOOCH_PSEUDONYM_KEY": "x" * 20, "KOOCH_PSEUDONYM_KEY_FILE": str(tmp_path / "url")}
        )


def test_check_counts_a_destination_token_given_as_a_file(tmp_path: Path) -> None:
    config: dict[str, Any] = base_config(tmp_path)
    config["services"][0]["arrivals"] = {
        "api": "https://tapi.bale.ai",
        "chat": "@kooch_bale",
        "token_env": "BALE_TOKEN",
    }
    path = write_config(tmp_path / "config.yaml", config)
    unset = run("check", "--config", str(path))
    assert "BALE_TOKEN is not set in the environment" in unset.stderr
    (tmp_path / "bale").write_text("123:bale\n")
    given = run("check", "--config", str(path), env={"BALE_TOKEN_FILE": str(tmp_path / "bale")})
    assert given.returncode == Exit.OK, given.stderr
    assert "BALE_TOKEN" not in given.stderr
    unreadable = run("check", "--config", str(path), env={"BALE_TOKEN_FILE": str(tmp_path / "nope")})
    assert "BALE_TOKEN_FILE: cannot read" in unreadable.stderr


# ------------------------------------------------------------------------------------------ backup, restore


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn, conn:
        return conn.execute(sql).fetchall()


def test_backup_keeps_the_pseudonym_key_and_restore_brings_both_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = base_config(tmp_path)
    config["storage"]["sqlite_path"] = str(data / "kooch.db")
    path = write_config(tmp_path / "config.yaml", config)
    data.mkdir()
    migrate(data / "kooch.db")
    with closing(sqlite3.connect(data / "kooch.db")) as conn, conn:
        conn.execute("CREATE TABLE probe (x TEXT)")
        conn.execute("INSERT INTO probe VALUES ('before the backup')")
    (data / "pseudonym.key").write_text("a" * 64 + "\n")

    made = run("backup", "--config", str(path), str(tmp_path / "kooch-backup.db"))
    assert made.returncode == Exit.OK, made.stderr
    assert f"with the pseudonym key: {tmp_path / 'kooch-backup.db.pseudonym.key'}" in made.stdout
    assert key_copy(tmp_path / "kooch-backup.db").read_text() == "a" * 64 + "\n"
    assert oct(key_copy(tmp_path / "kooch-backup.db").stat().st_mode & 0o777) == "0o600"

    # After the backup: more data, another key (a reinstall made a new one).
    with closing(sqlite3.connect(data / "kooch.db")) as conn, conn:
        conn.execute("INSERT INTO probe VALUES ('after the backup')")
    (data / "pseudonym.key").write_text("b" * 64 + "\n")

    restored = run("restore", "--config", str(path), str(tmp_path / "kooch-backup.db"))
    assert restored.returncode == Exit.OK, restored.stderr
    assert rows(data / "kooch.db", "SELECT x FROM probe") == [("before the backup",)]
    assert (data / "pseudonym.key").read_text() == "a" * 64 + "\n"
    kept = [p for p in data.iterdir() if p.name.startswith("kooch.db.before-restore-")]
    assert len(kept) == 1 and f"kept as {kept[0]}" in restored.stdout
    assert rows(kept[0], "SELECT x FROM probe") == [("before the backup",), ("after the backup",)]
    assert [p.name for p in data.iterdir() if p.name.startswith("pseudonym.key.before-restore-")]
    assert not [p for p in data.iterdir() if "partial" in p.name]
    # The bot starts on it: the health check reads it as the running bot would.
    assert run("health", "--config", str(path)).returncode == Exit.OK


def test_restore_refuses_what_is_not_a_good_backup(tmp_path: Path) -> None:
    config = base_config(tmp_path)
    path = write_config(tmp_path / "config.yaml", config)
    migrate(tmp_path / "kooch.db")
    before = (tmp_path / "kooch.db").read_bytes()
    (tmp_path / "text.db").write_bytes(b"not a database at all" * 200)
    newer = tmp_path / "newer.db"
    migrate(newer)
    with closing(sqlite3.connect(newer)) as conn, conn:
        conn.execute("INSERT INTO schema_migrations VALUES ('9999_future', 0)")
    damaged = tmp_path / "damaged.db"
    backup_database(tmp_path / "kooch.db", damaged)
    raw = bytearray(damaged.read_bytes())
    raw[4096 + 8 : 8192] = b"\x07" * (4096 - 8)  # the second page's cells: a table's b-tree
    damaged.write_bytes(bytes(raw))
    for backup, said in [
        (tmp_path / "missing.db", "there is no backup at"),
        (tmp_path / "text.db", "is not a Kooch database"),
        (newer, "was made by a newer Kooch (unknown migration 9999_future)"),
        (damaged, "failed its integrity check"),
    ]:
        result = run("restore", "--config", str(path), str(backup))
        assert result.returncode == Exit.FAILED, (backup, result.stderr)
        assert "kooch: nothing restored: " in result.stderr and said in result.stderr, result.stderr
        assert (tmp_path / "kooch.db").read_bytes() == before


async def test_restore_refuses_while_the_bot_runs(bot: App, config_file: Path, tmp_path: Path) -> None:
    backup = tmp_path / "b.db"
    await asyncio.to_thread(backup_database, tmp_path / "kooch.db", backup)
    result = await asyncio.to_thread(run, "restore", "--config", str(config_file), str(backup))
    assert result.returncode == Exit.FAILED
    assert "is in use: is the bot running? Stop it first" in result.stderr
    left = await asyncio.to_thread(lambda: [p.name for p in tmp_path.iterdir()])
    assert not [name for name in left if "before-restore" in name or "partial" in name]


def test_json_logs_hold_warnings_and_an_uncaught_exception_too() -> None:
    """What would otherwise reach stderr as plain text goes through the same JSON lines."""
    script = (
        "import os, warnings; from kooch.logs import configure_logging; "
        "configure_logging(os.environ, 20); warnings.warn('careful'); raise RuntimeError('boom')"
    )
    env = {**os.environ, "KOOCH_LOG_FORMAT": "json", "PYTHONWARNINGS": "default"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(r["level"], r["logger"]) for r in records] == [("WARNING", "py.warnings"), ("CRITICAL", "kooch")]
    assert records[1]["exception"].endswith("RuntimeError: boom")


def test_restore_onto_a_new_machine_where_no_database_is_yet(tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    migrate(old / "kooch.db")
    (old / "pseudonym.key").write_text("c" * 64 + "\n")
    backup_database(old / "kooch.db", tmp_path / "b.db", key_file=old / "pseudonym.key")
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    config = base_config(fresh)
    path = write_config(fresh / "config.yaml", config)
    result = run("restore", "--config", str(path), str(tmp_path / "b.db"))
    assert result.returncode == Exit.OK, result.stderr
    assert "replaced" not in result.stdout
    assert sorted(p.name for p in fresh.iterdir()) == ["config.yaml", "kooch.db", "pseudonym.key"]
    assert (fresh / "pseudonym.key").read_text() == "c" * 64 + "\n"
    assert rows(fresh / "kooch.db", "SELECT COUNT(*) FROM schema_migrations")[0][0] == len(discover())
