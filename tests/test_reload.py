"""config.yaml reloaded while the bot runs: what changed is summarised once; a broken file keeps the
old config and is reported once per version, with its line; fixing it applies; /reload."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml

from kooch.announce.changes import diff_configs
from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.config import Config, parse_config
from kooch.config.reload import OutcomeKind, Reloader
from kooch.i18n import embed
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from tests.bidi_kit import plain
from tests.kit import OPERATOR_ID, announce, base_config, say, write_config


def parse(raw: dict[str, Any], tmp_path: Path) -> Config:
    return parse_config(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "config.yaml", tmp_path)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda c: c["services"][0].update(url="https://splus.ir/new"),
            [
                "🔗 service soroush: URL https://splus.ir/kooch_demo → https://splus.ir/new",
                "📝 announcement changed for: @kooch_demo",
            ],
        ),
        (
            lambda c: c["services"].append({"key": "bale", "name": "بله", "url": "https://ble.ir/x"}),
            # A right-to-left name keeps its own direction inside the English line.
            [
                f"➕ service bale added: {embed('بله', 'en')} https://ble.ir/x",
                "📝 announcement changed for: @kooch_demo",
            ],
        ),
        (
            lambda c: c["services"][1].update(enabled=False),
            ["⏸ service gap disabled", "📝 announcement changed for: @kooch_demo"],
        ),
        (
            lambda c: c["services"][1].update(name={"fa": "گپ‌نو", "en": "Gap"}),
            [
                f"✏️ service gap: name {embed('گپ / Gap', 'en')} → {embed('گپ‌نو / Gap', 'en')}",
                "📝 announcement changed for: @kooch_demo",
            ],
        ),
        (
            lambda c: c["channels"].append({"chat": "@kooch_english", "language": "en"}),
            ["➕ channel @kooch_english added (English)"],
        ),
        (
            lambda c: c.update(texts={"fa": {"announcement": "کوچ!"}}),
            [
                "✏️ texts.fa: announcement changed",
                "📝 announcement changed for: @kooch_demo",
            ],
        ),
        (
            lambda c: c.update(operators=[OPERATOR_ID, 77]),
            ["➕ operators added: 77"],
        ),
        (lambda c: c["channels"][0].update(counter=True), ["✏️ channel @kooch_demo: counter off → on"]),
        (lambda c: c.update(counter_interval_s=30), ["✏️ counter_interval_s: 60.0 → 30.0"]),
    ],
    ids=[
        "url",
        "service-added",
        "service-disabled",
        "name",
        "channel-added",
        "text",
        "operator",
        "counter",
        "interval",
    ],
)
def test_diff_configs_names_each_change(change: Any, expected: list[str], tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    old = parse(raw, tmp_path)
    change(raw)
    assert plain(diff_configs(old, parse(raw, tmp_path))) == plain(expected)


def test_diff_configs_says_a_new_database_needs_a_restart(tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    old = parse(raw, tmp_path)
    raw["storage"]["sqlite_path"] = str(tmp_path / "other.db")
    (line,) = diff_configs(old, parse(raw, tmp_path))
    assert line.startswith("⚠️ storage.sqlite_path: ")
    assert plain(
        f"takes effect only after a restart; until then Kooch keeps using {tmp_path / 'kooch.db'}"
    ) in plain(line)


def test_identical_configs_have_no_differences(tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    assert diff_configs(parse(raw, tmp_path), parse(raw, tmp_path)) == []


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def save(path: Path, text: str) -> None:
    """Save as an editor would: the whole file at once."""
    path.write_text(text, encoding="utf-8")


def reports(sim: BotAPISimulator, operator: SimUser, word: str) -> list[SimMessage]:
    return [m for m in sim.messages(operator.id) if m.from_bot and word in plain(m.text or "")]


async def watcher_handled(reloader: Reloader, seen: int, kind: OutcomeKind) -> None:
    """Wait until the watcher has handled a change after the first ``seen`` with this outcome
    (and so has said whatever it says about it)."""
    async with asyncio.timeout(10):
        while True:
            outcome = await reloader.wait_watched(seen)
            seen = reloader.watched
            if outcome is not None and outcome.kind == kind:
                return


async def test_broken_file_keeps_the_old_config_reports_once_and_fixing_it_applies(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    config_file: Path,
    tmp_path: Path,
) -> None:
    await say(sim, operator, "/status")  # operators have talked to the bot: it may write to them
    good = read(config_file)
    broken = good.replace("url: https://gap.im/kooch_demo", "url: gap.im/kooch_demo")
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "gap.im" in text)
    save(config_file, broken)
    error = await sim.wait_for_message(operator.id, lambda m: "error" in plain(m.text or ""))
    assert error.text is not None
    assert plain(error.text).startswith(f"❌ {config_file} has 1 error (the file changed); nothing changed")
    wrong = "services[1].url: gap.im/kooch_demo must start with http://, https:// or tg://"
    assert wrong in plain(error.text)
    assert error.text.endswith(f"(line {line})")

    # The old config is still in force: the announcement carries the old link.
    await announce(sim, operator)
    assert "https://gap.im/kooch_demo" in (sim.messages(channel.id)[0].text or "")

    # The same broken version saved again (or touched) is not reported again.
    reloader = services_of(bot).reloader
    seen = reloader.watched
    save(config_file, broken)
    await watcher_handled(reloader, seen, "invalid-again")
    assert len(reports(sim, operator, "has 1 error")) == 1
    # /reload answers the operator who asked, even for the same broken version.
    again = await say(sim, operator, "/reload")
    assert again.text is not None and plain(again.text).startswith(
        f"❌ {config_file} has 1 error (/reload by"
    )

    # Undoing the broken edit: said once, and /status no longer shows the errors.
    save(config_file, good)
    back = await sim.wait_for_message(operator.id, lambda m: "back to the version" in plain(m.text or ""))
    assert plain(back.text) == plain(
        f"✅ {config_file} is back to the version in force; its errors are gone."
    )
    save(config_file, broken)
    await sim.wait_until(
        lambda: len(reports(sim, operator, "has 1 error (the file")) == 2, timeout=10, what="2nd"
    )

    # Fixed: applied, summarised, and the post follows.
    save(config_file, good.replace("gap.im/kooch_demo", "gap.im/fixed"))
    applied = await sim.wait_for_message(operator.id, lambda m: "reloaded" in plain(m.text or ""))
    assert applied.text is not None
    assert "🔗 service gap: URL https://gap.im/kooch_demo → https://gap.im/fixed" in plain(applied.text)
    await sim.wait_until(
        lambda: "https://gap.im/fixed" in (sim.messages(channel.id)[0].text or ""), timeout=10, what="edit"
    )
    status = await say(sim, operator, "/status")
    assert status.text is not None and "is invalid" not in plain(status.text)


async def test_reload_command_says_no_change_and_applies_a_change(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    config_file: Path,
    tmp_path: Path,
) -> None:
    reply = await say(sim, operator, "/reload")
    assert plain(reply.text) == f"No change: {config_file} is the version in force."
    raw = base_config(tmp_path)
    raw["storage"]["sqlite_path"] = str(tmp_path / "elsewhere.db")
    raw["channels"][0]["language"] = "en"
    reloader = services_of(bot).reloader
    seen = reloader.watched
    write_config(config_file, raw)
    reply = await say(sim, operator, "/reload")
    assert reply.text is not None
    assert plain(reply.text).startswith(f"🔄 {config_file} reloaded (/reload by Operator)")
    assert "✏️ channel @kooch_demo: language 'fa' → 'en'" in plain(reply.text)
    assert "takes effect only after a restart" in plain(reply.text)
    # The new language is in force at once; the store is still the one opened at start.
    header = await say(sim, operator, "/preview demo")
    assert plain(header.text) == "Preview for @kooch_demo (English):"
    # The watcher sees the version /reload put in force: nothing more is said.
    await watcher_handled(reloader, seen, "unchanged")
    assert len(reports(sim, operator, "reloaded")) == 1
    assert not (tmp_path / "elsewhere.db").exists()


async def test_only_operators_may_reload(
    sim: BotAPISimulator,
    channel: SimChat,
    operator: SimUser,
    bot: App,
) -> None:
    stranger = sim.add_user("Stranger", "en")
    for command in ("/reload", "/status", "/moved", "/schedule"):
        reply = await say(sim, stranger, command)
        assert reply.text == "This command is for the channel's operators only."


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            lambda c: c.update(counter_interval_s=0),
            "counter_interval_s: must be a number from 0.1 to 86400, not 0",
        ),
        (
            lambda c: c.update(schedule_grace_s="soon"),
            "schedule_grace_s: must be a number from 0 to 604800, not 'soon'",
        ),
        (
            lambda c: c["channels"][0].update(counter="yes"),
            "channels[0].counter: must be true or false, not a text",
        ),
        (
            lambda c: c["channels"][0].update(moved_title_suffix="x" * 128),
            "channels[0].moved_title_suffix: is 128 characters; a chat title is at most 128 with it",
        ),
        (
            lambda c: c["channels"][0].update(moved_description="x" * 256),
            "channels[0].moved_description: is 256 characters; Telegram allows 255 in a description",
        ),
    ],
    ids=["interval", "grace", "counter", "suffix", "description"],
)
def test_living_keys_are_validated_with_their_path_and_line(change: Any, error: str, tmp_path: Path) -> None:
    from kooch.config import ConfigInvalid

    raw = base_config(tmp_path)
    change(raw)
    with pytest.raises(ConfigInvalid) as caught:
        parse(raw, tmp_path)
    (found,) = caught.value.errors
    assert str(found).startswith(f"config.yaml: {error} (line ")


def test_living_keys_have_defaults(tmp_path: Path) -> None:
    config = parse(base_config(tmp_path), tmp_path)
    assert (config.counter_interval_s, config.schedule_grace_s) == (60.0, 900.0)
    channel = config.channels[0]
    assert (channel.counter, channel.moved_title_suffix, channel.moved_description) == (
        False,
        " | کوچ کرد",
        None,
    )
