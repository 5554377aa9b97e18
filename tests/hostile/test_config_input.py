"""Hostile config files: alias bombs, endless and deep nesting, huge files, links without a host,
control characters and ids past 64 bits are refused with a message naming the file and line,
never with a traceback, a stall or gigabytes; a running bot keeps its config and keeps answering.

Only deterministic things are asserted (messages, lines, how many values were built, a generous
bound on the memory traced); the times are in bench/config_bombs.py.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml

from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.config import ConfigInvalid, load_config, parse_config, yaml_positions
from kooch.config.load import MAX_CONFIG_BYTES
from kooch.config.model import CONTROL_RE, ConfigError
from kooch.config.reload import OutcomeKind, Reloader
from kooch.config.yaml_positions import ALIAS_BUDGET, MAX_DEPTH, Located, read_yaml
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from kooch.store import Store, StoreUnavailable
from tests.bidi_kit import plain
from tests.hostile.kit import HANG_GUARD_S
from tests.kit import announce, base_config, say, write_config

ROOT = Path(__file__).resolve().parents[2]
DEPTH = f"lists and mappings are nested more than {MAX_DEPTH} levels deep"


def bomb(levels: int, width: int = 9) -> str:
    """The "billion laughs": ``a0`` is ``width`` texts, each next level ``width`` aliases of the last."""
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def mapping_bomb(levels: int) -> str:
    """The same with mappings of mappings."""
    lines = ["m0: &m0 {" + ", ".join(f"k{j}: lol" for j in range(9)) + "}"]
    for i in range(1, levels):
        lines.append(f"m{i}: &m{i} {{" + ", ".join(f"k{j}: *m{i - 1}" for j in range(9)) + "}")
    return "\n".join(lines) + "\n"


def alias_chain(levels_each: int, links: int) -> str:
    """Each anchor nests ``levels_each`` levels around the previous alias: deep only once expanded."""
    lines = ["b0: &b0 " + "[" * levels_each + "x" + "]" * levels_each]
    for i in range(1, links):
        lines.append(f"b{i}: &b{i} " + "[" * levels_each + f"*b{i - 1}" + "]" * levels_each)
    return "\n".join(lines) + "\n"


def refusal(text: str) -> ConfigError:
    with pytest.raises(ConfigInvalid) as caught:
        read_yaml(text, "hostile.yaml")
    assert len(caught.value.errors) == 1
    return caught.value.errors[0]


class BuildCounter:
    """Counts the values :meth:`Located.build` builds, however the loader got there."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        original = Located.build

        def counting(located: Located, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return original(located, *args, **kwargs)

        monkeypatch.setattr(yaml_positions.Located, "build", counting)


BUDGET = f"repeat more than {ALIAS_BUDGET:,} values in all; write the values out, or repeat less"


@pytest.mark.parametrize(
    ("name", "text", "message", "line", "column"),
    [
        ("9^5", bomb(5), f"the aliases (*a3 here) {BUDGET}", 5, 10),
        ("9^6", bomb(6), f"the aliases (*a3 here) {BUDGET}", 5, 10),
        ("9^7", bomb(7), f"the aliases (*a3 here) {BUDGET}", 5, 10),
        ("9^9", bomb(9), f"the aliases (*a3 here) {BUDGET}", 5, 10),
        ("2^30", bomb(30, width=2), f"the aliases (*a10 here) {BUDGET}", 12, 12),
        ("mappings", mapping_bomb(6), f"the aliases (*m2 here) {BUDGET}", 4, 59),
        (
            "loop",
            "loop: &l [*l]\n",
            "the alias *l is inside the value it repeats (&l), so it would never end",
            1,
            11,
        ),
        (
            "loop in a mapping",
            "a:\n  loop: &l\n    again: *l\n",
            "the alias *l is inside the value it repeats (&l), so it would never end",
            3,
            12,
        ),
        ("50,000 [", "[" * 50_000, DEPTH, 1, 51),
        ("50,000 {", "{a: " * 50_000, DEPTH, 1, 201),
        ("200 nested lists", "".join("  " * i + "-\n" for i in range(200)), DEPTH, 51, 101),
        ("200 nested mappings", "".join("  " * i + f"k{i}:\n" for i in range(200)), DEPTH, 51, 101),
        (
            "deep through aliases",
            alias_chain(20, 4),
            f"the alias *b1 nests lists and mappings more than {MAX_DEPTH} levels deep",
            3,
            29,
        ),
    ],
)
def test_hostile_yaml_is_refused_at_its_line_before_anything_is_built(
    name: str, text: str, message: str, line: int, column: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = BuildCounter(monkeypatch)
    tracemalloc.start()
    try:
        error = refusal(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (error.file, error.path, error.message, error.line, error.column) == (
        "hostile.yaml",
        "",
        message,
        line,
        column,
    ), name
    # Refused while composing: not one value was built, and memory stayed small (a 9^7 bomb
    # used to take 1.3 GB; the bound is generous for any machine).
    assert built.calls == 0
    assert peak < 100 * 1024 * 1024


def test_aliases_within_the_budget_are_built_and_no_more(monkeypatch: pytest.MonkeyPatch) -> None:
    built = BuildCounter(monkeypatch)
    raw, _ = read_yaml(bomb(4), "ok.yaml")  # 9^4 = 6,561 texts: a big file, not a bomb
    assert len(raw["a3"]) == 9 and raw["a3"][0][0][0] == ["lol"] * 9
    written_out = 1 + 4 * 2  # the top mapping, then each level's value and its "lol"s
    assert built.calls <= written_out + 9 * ALIAS_BUDGET


def test_merge_keys_and_aliases_an_admin_writes_still_work() -> None:
    raw, located = read_yaml("d: &d {a: 1, b: [1, 2]}\ne: {<<: *d, c: 3}\nf: [*d, *d]\n", "ok.yaml")
    assert raw["e"] == {"a": 1, "b": [1, 2], "c": 3}
    assert raw["f"] == [raw["d"], raw["d"]]
    assert located.marks["e.c"] == (2, 16)


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH])
def test_nesting_up_to_the_limit_is_read(depth: int) -> None:
    raw, _ = read_yaml("[" * depth + "1" + "]" * depth, "ok.yaml")
    for _ in range(depth):
        raw = raw[0]
    assert raw == 1


def test_one_level_past_the_limit_is_refused() -> None:
    assert refusal("[" * (MAX_DEPTH + 1) + "1" + "]" * (MAX_DEPTH + 1)).message == DEPTH


# ----------------------------------------------------------------------------------- file size


def test_a_file_over_1_mb_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * MAX_CONFIG_BYTES + "\n", encoding="utf-8")
    with pytest.raises(ConfigInvalid) as caught:
        load_config(path)
    assert [str(e) for e in caught.value.errors] == [
        f"{path}: is 1,000,003 bytes; a config file is at most 1 MB (1,000,000 bytes)"
    ]


def test_an_endless_file_is_read_only_up_to_the_cap() -> None:
    with pytest.raises(ConfigInvalid) as caught:
        load_config("/dev/zero")
    assert [str(e) for e in caught.value.errors] == [
        "/dev/zero: is larger than that; a config file is at most 1 MB (1,000,000 bytes)"
    ]


def test_text_over_1_mb_is_refused_by_parse_config_too() -> None:
    with pytest.raises(ConfigInvalid) as caught:
        parse_config("a: " + "é" * (MAX_CONFIG_BYTES // 2), "big.yaml")
    assert caught.value.errors[0].message.startswith("is 1,000,003 bytes; a config file is at most 1 MB")


def test_a_file_of_exactly_1_mb_is_read(tmp_path: Path) -> None:
    path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "#" * (MAX_CONFIG_BYTES - len(text.encode()) - 1) + "\n", encoding="utf-8")
    assert path.stat().st_size == MAX_CONFIG_BYTES
    assert load_config(path).operators


# ------------------------------------------------------------------------------ values that pass YAML


def with_change(tmp_path: Path, change: Any) -> str:
    raw = base_config(tmp_path)
    change(raw)
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (
            lambda c: c["services"][0].update(url="https://"),
            "services[0].url",
            "'https://' has no host after https:// (e.g. https://splus.ir/kooch_demo); "
            "Telegram refuses such a button",
        ),
        (
            lambda c: c["services"][0].update(url="https://:443/x"),
            "services[0].url",
            "'https://:443/x' has no host after https:// (e.g. https://splus.ir/kooch_demo); "
            "Telegram refuses such a button",
        ),
        (
            lambda c: c["services"][0].update(android="tg://"),
            "services[0].android",
            "'tg://' has no host after tg:// (e.g. https://splus.ir/kooch_demo); "
            "Telegram refuses such a button",
        ),
        (
            lambda c: c["services"][0].update(url="https://[::1/x"),
            "services[0].url",
            "'https://[::1/x' has no host after https:// (e.g. https://splus.ir/kooch_demo); "
            "Telegram refuses such a button",
        ),
        (
            lambda c: c["services"][0].update(url="https://splus.ir/a\x00b"),
            "services[0].url",
            "'https://splus.ir/a\x00b' must not contain control characters",
        ),
        (
            lambda c: c["services"][0].update(url="https://splus.ir/\r\nX-Injected: 1"),
            "services[0].url",
            "'https://splus.ir/\r\nX-Injected: 1' must not contain spaces",
        ),
        (
            lambda c: c["services"][0].update(name="Sor\x00oush"),
            "services[0].name",
            "'Sor\x00oush' must not contain control characters (a line break, a tab, NUL)",
        ),
        (
            lambda c: c["services"][0].update(name={"fa": "سروش", "en": "Sor\noush"}),
            "services[0].name.en",
            "'Sor\noush' must not contain control characters (a line break, a tab, NUL)",
        ),
        (
            lambda c: c["services"][0].update(handle="@kooch\x1b[2J"),
            "services[0].handle",
            "'@kooch\x1b[2J' must not contain control characters (a line break, a tab, NUL)",
        ),
        (
            lambda c: c["channels"][0].update(moved_title_suffix=" | moved\u2028"),
            "channels[0].moved_title_suffix",
            "' | moved\u2028' must not contain control characters (a line break, a tab, NUL)",
        ),
        (
            lambda c: c.update(operators=[10**30]),
            "operators[0]",
            f"{10**30} is too long for a Telegram user id (ids fit in 64 bits)",
        ),
        (
            lambda c: c.update(operators=[2**63]),
            "operators[0]",
            f"{2**63} is too long for a Telegram user id (ids fit in 64 bits)",
        ),
        (
            lambda c: c["channels"][0].update(chat=-(10**30), key="demo"),
            "channels[0].chat",
            f"{-(10**30)} is too long for a Telegram chat id (ids fit in 64 bits)",
        ),
        (
            lambda c: c["channels"][0].update(chat=f"-{10**30}", key="demo"),
            "channels[0].chat",
            f"{-(10**30)} is too long for a Telegram chat id (ids fit in 64 bits)",
        ),
    ],
)
def test_values_telegram_would_refuse_are_refused_with_their_path(
    change: Any, path: str, message: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(with_change(tmp_path, change), "config.yaml", tmp_path)
    assert [(e.path, e.message) for e in caught.value.errors] == [(path, message)]
    shown = str(caught.value.errors[0])
    # Shown escaped: one line, no terminal escapes, nothing that splits the operator's message.
    assert CONTROL_RE.search(shown) is None
    assert len(shown.splitlines()) == 1


def test_the_largest_ids_are_accepted(tmp_path: Path) -> None:
    def change(c: dict[str, Any]) -> None:
        c["operators"] = [2**63 - 1]
        c["channels"][0].update(chat=-(2**63), key="demo")

    config = parse_config(with_change(tmp_path, change), "config.yaml", tmp_path)
    assert config.operators == {2**63 - 1}
    assert config.channels[0].chat == -(2**63)


def test_an_error_shows_control_characters_escaped() -> None:
    error = ConfigError("config.yaml", "services[0].url", "'https://a\r\nb\x00\x1b\u2028' must not", 3, 8)
    assert (
        str(error)
        == "config.yaml: services[0].url: 'https://a\\r\\nb\\x00\\x1b\\u2028' must not (line 3, column 8)"
    )


# ----------------------------------------------------------------------------------------- CLI


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "bot.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
        check=False,
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (bomb(9), f"the aliases (*a3 here) {BUDGET} (line 5, column 10)"),
        (
            "loop: &l [*l]\n",
            "the alias *l is inside the value it repeats (&l), so it would never end (line 1, column 11)",
        ),
        ("[" * 50_000, f"{DEPTH} (line 1, column 51)"),
    ],
)
def test_check_and_health_of_a_hostile_config_exit_with_one_clear_line(
    text: str, error: str, tmp_path: Path
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    check = run("check", "--config", str(path))
    assert check.returncode == 78  # EX_CONFIG (kooch/exits.py)
    assert check.stderr.splitlines() == [f"✗ {path} is invalid (1 error(s)):", f"  {path}: {error}"]
    health = run("health", "--config", str(path))
    assert health.returncode == 1
    assert health.stderr == f"unhealthy: the config is invalid: {path}: {error}\n"
    assert health.stdout == ""


# ---------------------------------------------------------------------------------- the database


@pytest.mark.parametrize(
    ("damage", "sqlite_says"),
    [
        (lambda good: b"this is not SQLite at all " * 200, "file is not a database"),
        (lambda good: good[: len(good) // 2], "database disk image is malformed"),
        (lambda good: good[:100], "database disk image is malformed"),
    ],
)
async def test_a_damaged_database_says_to_restore_a_backup(
    damage: Any, sqlite_says: str, tmp_path: Path
) -> None:
    good_path = tmp_path / "good.db"
    store = await Store.open(good_path)
    await store.close()
    path = tmp_path / "kooch.db"
    path.write_bytes(damage(good_path.read_bytes()))
    with pytest.raises(StoreUnavailable) as caught:
        await Store.open(path)
    assert str(caught.value) == (
        f"the database file {path} is damaged ({sqlite_says}): restore the latest backup "
        "(made with `python bot.py backup`), see README Backups"
    )


def test_health_of_a_damaged_database_says_to_restore_a_backup(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    (tmp_path / "kooch.db").write_bytes(b"\x00garbage" * 512)
    health = run("health", "--config", str(config), "--no-web")
    assert health.returncode == 1
    assert health.stderr == (
        f"unhealthy: the database file {tmp_path / 'kooch.db'} is damaged (file is not a database): "
        "restore the latest backup (made with `python bot.py backup`), see README Backups\n"
    )


# ----------------------------------------------------------------------------------- a running bot


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def save(path: Path, text: str) -> None:
    """Save as an editor would: the whole file at once."""
    path.write_text(text, encoding="utf-8")


async def watcher_handled(reloader: Reloader, seen: int, kind: OutcomeKind) -> None:
    """Wait until the watcher has handled a change after the first ``seen`` with this outcome."""
    async with asyncio.timeout(HANG_GUARD_S):
        while True:
            outcome = await reloader.wait_watched(seen)
            seen = reloader.watched
            if outcome is not None and outcome.kind == kind:
                return


async def taps_answered(sim: BotAPISimulator, channel: SimChat, post: int, users: list[SimUser]) -> list[str]:
    answers = []
    for user in users:
        query_id = await sim.press_button(user, channel.id, post, "ack:demo")
        answers.append((await sim.wait_for_answer(query_id, timeout=HANG_GUARD_S)).text or "")
    return answers


async def test_a_bomb_saved_into_the_running_bots_config_is_reported_once_and_taps_are_answered(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, bot: App, config_file: Path
) -> None:
    await say(sim, operator, "/status")  # operators have talked to the bot: it may write to them
    await announce(sim, operator)
    post = sim.messages(channel.id)[0].message_id
    good = read(config_file)
    users = [sim.add_user(f"U{i}", "fa") for i in range(20)]
    in_force = services_of(bot).reloader.holder.current.version

    # Taps go on while the bomb is saved and the watcher reads it.
    tapping = asyncio.create_task(taps_answered(sim, channel, post, users))
    save(config_file, good + bomb(9))
    error = await sim.wait_for_message(operator.id, lambda m: "error" in (m.text or ""), timeout=HANG_GUARD_S)
    answers = await tapping
    assert len(answers) == 20 and all(answers)
    line = len(good.splitlines()) + 5
    assert plain(error.text or "") == (
        f"❌ {config_file} has 1 error (the file changed); nothing changed, the config in force stays:\n"
        f"• the aliases (*a3 here) {BUDGET} (line {line})"
    )

    # The old config is in force and answers taps as before; saved again, the bomb is not re-reported.
    reloader = services_of(bot).reloader
    assert reloader.holder.current.version == in_force
    assert (await taps_answered(sim, channel, post, [sim.add_user("Late", "fa")]))[0]
    seen = reloader.watched
    save(config_file, good + bomb(9))
    await watcher_handled(reloader, seen, "invalid-again")
    errors = [m for m in sim.messages(operator.id) if m.from_bot and "has 1 error" in (m.text or "")]
    assert len(errors) == 1


async def test_reload_of_a_recursive_config_answers_with_the_config_error(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, bot: App, config_file: Path
) -> None:
    good = read(config_file)
    save(config_file, good + "loop: &l [*l]\n")
    line = len(good.splitlines()) + 1
    reply = await say(sim, operator, "/reload", timeout=HANG_GUARD_S)
    assert reply.text is not None
    assert "Kooch hit an error" not in reply.text
    assert plain(reply.text).startswith(f"❌ {config_file} has 1 error (/reload by")
    # The notice names the file once in its first line, then each mistake with its line.
    assert plain(reply.text).endswith(
        f"• the alias *l is inside the value it repeats (&l), so it would never end (line {line})"
    )
    # Still in force: /preview answers with the old config.
    header = await say(sim, operator, "/preview demo")
    assert header.text is not None and "@kooch_demo" in header.text
