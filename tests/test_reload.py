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
from kooch.config.diff import diff_configs as config_diff
from kooch.config.load import TOP_KEYS
from kooch.config.reload import OutcomeKind, Reloader
from kooch.i18n import embed
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import OPERATOR_ID, announce, base_config, say, write_config


def parse(raw: dict[str, Any], tmp_path: Path) -> Config:
    return parse_config(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), "config.yaml", tmp_path)


REMINDER_AT = "2031-03-01T09:00"

#: One change per section of config.yaml, and the report's lines for it (an English operator).
SECTIONS: list[tuple[str, Any, list[str]]] = [
    (
        "services-url",
        lambda c: c["services"][0].update(url="https://splus.ir/new"),
        [
            "🔗 service Soroush: URL https://splus.ir/kooch_demo → https://splus.ir/new",
            "📝 announcement changed for: @kooch_demo",
        ],
    ),
    (
        "services-added",
        lambda c: c["services"].append({"key": "bale", "name": "بله", "url": "https://ble.ir/x"}),
        # A right-to-left name keeps its own direction inside the English line.
        [
            f"➕ service {embed('بله', 'en')} added: https://ble.ir/x",
            "📝 announcement changed for: @kooch_demo",
        ],
    ),
    (
        "services-disabled",
        lambda c: c["services"][1].update(enabled=False),
        ["⏸ service Gap disabled", "📝 announcement changed for: @kooch_demo"],
    ),
    (
        "services-name",
        lambda c: c["services"][1].update(name={"fa": "گپ‌نو", "en": "Gap"}),
        [
            f"✏️ service Gap: name {embed('گپ / Gap', 'en')} → {embed('گپ‌نو / Gap', 'en')}",
            "📝 announcement changed for: @kooch_demo",
        ],
    ),
    (
        "services-removed",
        lambda c: c["services"].pop(1),
        ["➖ service Gap removed", "📝 announcement changed for: @kooch_demo"],
    ),
    (
        "services-arrivals",
        lambda c: c["services"][0].update(
            arrivals={"api": "https://tapi.bale.ai", "chat": "@kooch_demo", "token_env": "BALE_TOKEN"}
        ),
        ["✏️ service Soroush: arrivals changed"],
    ),
    (
        "channels-added",
        lambda c: c["channels"].append({"chat": "@kooch_english", "language": "en"}),
        ["➕ channel @kooch_english added (English)"],
    ),
    (
        "channels-counter",
        lambda c: c["channels"][0].update(counter=True),
        ["✏️ channel @kooch_demo: counter off → on"],
    ),
    (
        "texts",
        lambda c: c.update(texts={"fa": {"announcement": "کوچ!"}}),
        ["✏️ texts.fa: announcement changed", "📝 announcement changed for: @kooch_demo"],
    ),
    ("operators", lambda c: c.update(operators=[OPERATOR_ID, 77]), ["➕ operators added: 77"]),
    (
        "operators-language",
        lambda c: c.update(operators=[{"id": OPERATOR_ID, "language": "fa"}]),
        ["✏️ operator 4242: language (default) → 'fa'"],
    ),
    ("counter_interval_s", lambda c: c.update(counter_interval_s=30), ["✏️ counter_interval_s: 60 → 30"]),
    ("schedule_grace_s", lambda c: c.update(schedule_grace_s=60), ["✏️ schedule_grace_s: 900 → 60"]),
    (
        "timezone",
        lambda c: c.update(timezone="Europe/Berlin"),
        ["✏️ timezone: 'Asia/Tehran' → 'Europe/Berlin'"],
    ),
    (
        "arrivals_interval_s",
        lambda c: c.update(arrivals_interval_s=120),
        ["✏️ arrivals_interval_s: 600 → 120"],
    ),
    # Issue 27: move codes and the mirror (its destination: Soroush's arrivals).
    (
        "verify_arrivals",
        lambda c: c.update(verify_arrivals=True),
        ["✏️ verify_arrivals: off → on (takes effect after a restart)"],
    ),
    ("verify_code_ttl_s", lambda c: c.update(verify_code_ttl_s=3600), ["✏️ verify_code_ttl_s: 604800 → 3600"]),
    (
        "mirror",
        lambda c: (
            c["services"][0].update(
                arrivals={"api": "https://api.splus.ir", "chat": "@kooch_demo", "token_env": "SPLUS_TOKEN"}
            ),
            c.update(mirror={"until": "30d", "services": ["soroush"]}),
        ),
        ["✏️ service Soroush: arrivals changed", "✏️ mirror: off → on (takes effect after a restart)"],
    ),
    # Today's bug: "nothing that Kooch uses" while the next /remind runs at 5/s.
    ("campaigns", lambda c: c.update(campaigns={"rate_per_s": 5}), ["✏️ campaigns.rate_per_s: 25 → 5"]),
    (
        "reach",
        lambda c: c.update(reach={"copy_buttons": False}),
        ["✏️ reach.copy_buttons: on → off"],
    ),
    (
        "channel-reach",
        lambda c: c["channels"][0].update(reach={"open_bot_after_tap": True}),
        ["✏️ channel @kooch_demo: reach.open_bot_after_tap off → on"],
    ),
    (
        "campaigns-grace",
        lambda c: c.update(campaigns={"grace_minutes": 10}),
        ["✏️ campaigns.grace_minutes: 60 → 10"],
    ),
    (
        "reminders",
        lambda c: c.update(reminders=[{"at": REMINDER_AT, "text": "سلام", "language": "fa"}]),
        [
            "⏰ reminder added: 2031-03-01 09:00, to:unmoved lang:fa; it is sent at that time"
            " (/campaigns lists it)"
        ],
    ),
    (
        "privacy",
        lambda c: c.update(privacy={"retention_days": 30}),
        ["✏️ privacy.retention_days: (default) → 30"],
    ),
    (
        "web",
        lambda c: c.update(web={"listen": "127.0.0.1:0"}),
        ["✏️ web: changed (takes effect after a restart)"],
    ),
    (
        "storage-url",
        lambda c: c["storage"].update(url="postgresql://kooch@localhost/kooch"),
        ["⚠️ storage.url: changed; takes effect only after a restart"],
    ),
]


@pytest.mark.parametrize(("change", "expected"), [s[1:] for s in SECTIONS], ids=[s[0] for s in SECTIONS])
def test_diff_configs_names_each_change(change: Any, expected: list[str], tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    old = parse(raw, tmp_path)
    change(raw)
    new = parse(raw, tmp_path)
    assert plain(diff_configs(old, new)) == plain(expected)
    # The same diff read in Persian: as many lines, each laid out right to left as it should.
    persian = diff_configs(old, new, "fa")
    assert len(persian) == len(expected)
    assert_reads_right(persian)


def test_every_top_level_key_of_the_file_is_one_section_of_the_diff(tmp_path: Path) -> None:
    """Each changed section is named: no key of config.yaml changes what Kooch does unreported."""
    touched: set[str] = set()
    for _name, change, _lines in SECTIONS:
        raw = base_config(tmp_path)
        old = parse(raw, tmp_path)
        change(raw)
        touched |= config_diff(old, parse(raw, tmp_path)).sections
    # storage.sqlite_path: its own test below; link_checks and approval: test_destinations_config.
    elsewhere = {"default_language", "link_checks", "link_check_interval_s", "approval"}
    assert set(TOP_KEYS) - touched - elsewhere == set()


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
    assert "🔗 service Gap: URL https://gap.im/kooch_demo → https://gap.im/fixed" in plain(applied.text)
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


def test_a_reminders_text_change_and_removal_are_reported(tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    raw["reminders"] = [
        {"at": REMINDER_AT, "text": "سلام"},
        {"at": "2031-03-02T09:00", "text": {"en": "Hi"}, "audience": "all", "channel": "demo"},
    ]
    old = parse(raw, tmp_path)
    raw["reminders"] = [{"at": REMINDER_AT, "text": "سلام دوباره"}]
    new = parse(raw, tmp_path)
    assert [(c.kind, c.reminder.at_text) for c in config_diff(old, new).reminders] == [
        ("removed", "2031-03-02T09:00"),
        ("text", REMINDER_AT),
    ]
    assert plain(diff_configs(old, new)) == [
        "⏰ reminder removed: 2031-03-02 09:00, to:all channel:demo; it will not be sent",
        "⏰ reminder 2031-03-01 09:00, to:unmoved: text changed",
    ]
    assert_reads_right(diff_configs(old, new, "fa"))
