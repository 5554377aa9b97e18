"""``bot.py`` as operators run it: subprocesses, exit codes, and what they print."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from kooch.simulator import BotAPISimulator
from kooch.store import migrate
from tests.kit import CHANNEL, OPERATOR_ID, base_config, say, write_config

ROOT = Path(__file__).resolve().parents[1]


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "bot.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_check_prints_each_announcement_with_its_buttons(tmp_path: Path) -> None:
    path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    result = run("check", "--config", str(path))
    assert result.returncode == 0, result.stderr
    assert f"✓ {path} is valid: 1 channel(s), 2 enabled service(s) of 2, 1 operator(s)" in result.stdout
    assert "── @kooch_demo · key demo · fa · pinned ──" in result.stdout
    assert "[سروش → https://splus.ir/kooch_demo] [گپ → https://gap.im/kooch_demo]" in result.stdout
    assert "[✅ کوچ کردم → callback ack:demo]" in result.stdout


def test_check_of_the_shipped_example_config() -> None:
    result = run("check")
    assert result.returncode == 0, result.stderr
    assert "@kooch_demo" in result.stdout


def test_check_lists_every_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "operators: [1]\n"
        "services:\n"
        "  - key: soroush\n"
        "    name: Soroush\n"
        "    url: ftp://splus.ir/x\n"
        "channels:\n"
        "  - chat: '@kooch_demo'\n"
        "    langauge: fa\n",
        encoding="utf-8",
    )
    result = run("check", "--config", str(path))
    assert result.returncode == 78  # EX_CONFIG (kooch/exits.py)
    assert "Traceback" not in result.stderr
    assert f"{path}: services[0].url: 'ftp://splus.ir/x' must start with http://" in result.stderr
    assert "(line 5, column 10)" in result.stderr
    assert "channels[0].langauge: unknown key (did you mean 'language'?)" in result.stderr


def test_missing_token_is_explained_without_a_traceback() -> None:
    result = run()
    assert result.returncode == 78
    assert "TELEGRAM_BOT_TOKEN is not set" in result.stderr
    assert "@BotFather" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("case", "code", "expected"),
    [
        ("invalid-config", 78, "the config is invalid"),
        ("unwritable-database", 75, "cannot create the database folder"),
        ("newer-database", 69, "was migrated by a newer Kooch (unknown migration 9999_future)"),
        ("unreachable-api", 75, "cannot reach the Bot API at http://127.0.0.1:9"),
    ],
)
def test_startup_problems_exit_with_their_code_and_the_fix(
    tmp_path: Path, case: str, code: int, expected: str
) -> None:
    config = base_config(tmp_path)
    env = {"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_API_URL": "http://127.0.0.1:9"}
    if case == "invalid-config":
        config["services"][0]["url"] = "javascript:alert(1)"
    elif case == "unwritable-database":
        (tmp_path / "a_file").write_text("not a folder")
        config["storage"]["sqlite_path"] = str(tmp_path / "a_file" / "kooch.db")
    elif case == "newer-database":
        db = tmp_path / "kooch.db"
        migrate(db)
        with closing(sqlite3.connect(db)) as conn, conn:
            conn.execute("INSERT INTO schema_migrations VALUES ('9999_future', 0)")
    path = write_config(tmp_path / "config.yaml", config)
    result = run("--config", str(path), env=env)
    assert result.returncode == code
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_rehearsal_runs_offline_and_checks_itself() -> None:
    result = run("rehearse", "--subscribers", "200", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    # The rehearsal's operator reads Persian: the report and /stats are in Persian, Persian digits,
    # the channel's @name kept whole by direction marks.
    assert "✅ @kooch_demo: فرستاده شد (پیام ۱) و سنجاق شد" in out
    assert re.search("📊 ربات کوچ — همهٔ کانال‌ها — [۰-۹]{4}-[۰-۹]{2}-[۰-۹]{2} ", out)
    assert "database rows for demo:" in out
    assert "rehearsal database: " in out
    assert out.rstrip().endswith("✓ rehearsal passed")
    # The Persian operator's /stats chart is written beside the database, to be looked at.
    (chart,) = re.findall(r"^the /stats chart: (\S+)$", out, flags=re.MULTILINE)
    assert chart.endswith("stats-fa.png")
    assert Path(chart).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_rehearsal_without_a_config_of_ones_own_rehearses_the_bundled_example(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = run("rehearse", "--subscribers", "30", env={"KOOCH_CONFIG": str(missing)}, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    # The example the package ships: in the checkout, config.yaml through the package's link to it.
    bundled = ROOT / "kooch" / "config.example.yaml"
    assert bundled.resolve() == (ROOT / "config.yaml").resolve()
    assert f"{missing} not found: rehearsing the bundled example {bundled}" in result.stdout
    assert result.stdout.rstrip().endswith("✓ rehearsal passed")


def test_example_prints_the_shipped_config_which_checks() -> None:
    result = run("example")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "config.yaml").read_text(encoding="utf-8")


def test_rehearsal_with_a_named_config_that_is_missing_says_so(tmp_path: Path) -> None:
    result = run("rehearse", "--config", str(tmp_path / "typo.yaml"), timeout=60)
    assert result.returncode == 78
    assert "bundled example" not in result.stdout
    assert "typo.yaml" in result.stderr


@pytest.mark.slow
async def test_live_bot_subprocess_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with BotAPISimulator() as sim:
        sim.add_user("Operator", "en", user_id=OPERATOR_ID)
        sim.add_channel(username=CHANNEL)
        path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
        env = {k: v for k, v in os.environ.items()}
        env.update({"TELEGRAM_BOT_TOKEN": sim.token, "TELEGRAM_API_URL": sim.url})
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "bot.py",
            "--config",
            str(path),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            user = sim.add_user("Sara", "en")
            reply = await say(sim, user, "/start", timeout=30)
            assert reply.text is not None
            assert reply.text.startswith("Hello!")
            proc.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(proc.communicate(), timeout=30)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert proc.returncode == 0, stderr.decode()
    assert "stopping: finishing the updates in hand and flushing writes" in stderr.decode()
    with closing(sqlite3.connect(tmp_path / "kooch.db")) as conn, conn:
        assert conn.execute("SELECT user_id FROM subscribers").fetchall() == [(user.id,)]
