"""A reload's report is what the reload applied, read by two operators in two languages: every
changed section named, services by their name in the reader's language, a new reminder in the
schedule (and /campaigns) at once.

The real bot against the Bot API simulator, a real SQLite file; an English operator reloads, a
Persian one (language chosen in the config) is told.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from kooch.app.runner import App
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import OPERATOR_ID, base_config, running_bot, say, write_config

FA_OPERATOR_ID = 4343
REMINDER_AT = "2031-03-01T09:00"


def two_operators(tmp_path: Path) -> dict[str, Any]:
    config = base_config(tmp_path)
    config["operators"] = [OPERATOR_ID, {"id": FA_OPERATOR_ID, "language": "fa"}]
    return config


@pytest.fixture
def fa_operator(sim: BotAPISimulator) -> SimUser:
    return sim.add_user("Parisa", "fa", user_id=FA_OPERATOR_ID, started=True)


@pytest.fixture
async def kooch(
    sim: BotAPISimulator, operator: SimUser, fa_operator: SimUser, channel: SimChat, tmp_path: Path
) -> AsyncIterator[App]:
    path = write_config(tmp_path / "config.yaml", two_operators(tmp_path))
    async with running_bot(path, sim.token, sim.url, poll_timeout=1) as app:
        yield app


async def reload_with(
    sim: BotAPISimulator, operator: SimUser, fa_operator: SimUser, tmp_path: Path, config: dict[str, Any]
) -> tuple[str, str]:
    """Save ``config``, /reload as the English operator; the report each operator reads, as a
    client lays them out checked, then as plain words. (The file watcher may apply the file
    before the /reload does: then both operators are told by it, and /reload says "no change".)"""
    write_config(tmp_path / "config.yaml", config)
    seen = {u.id: len(notices(sim, u)) for u in (operator, fa_operator)}
    await say(sim, operator, "/reload")

    def told() -> bool:
        return all(len(notices(sim, u)) > seen[u.id] for u in (operator, fa_operator))

    await sim.wait_until(told, timeout=10, what="both operators told")
    en, fa = notices(sim, operator)[-1].text, notices(sim, fa_operator)[-1].text
    assert en is not None and fa is not None
    assert_reads_right([en, fa])
    return plain(en), plain(fa)


def notices(sim: BotAPISimulator, user: SimUser) -> list[SimMessage]:
    return [m for m in sim.messages(user.id) if m.from_bot and "🔄" in (m.text or "")]


@pytest.mark.parametrize(
    ("change", "en_line", "fa_line"),
    [
        # Today: "nothing that Kooch uses (comments or formatting only)".
        (
            lambda c: c.update(campaigns={"rate_per_s": 5}),
            "• ✏️ campaigns.rate_per_s: 25 → 5",
            "• ✏️ campaigns.rate_per_s: ۲۵ ← ۵",
        ),
        # A service by the name each reader sees on its button, not by its key.
        (
            lambda c: c["services"].append(
                {"key": "bale", "name": {"fa": "بله", "en": "Bale"}, "url": "https://ble.ir/kooch_demo"}
            ),
            "• ➕ service Bale added: https://ble.ir/kooch_demo",
            "• ➕ پیام‌رسان بله افزوده شد: https://ble.ir/kooch_demo",
        ),
        (
            lambda c: c["services"][1].update(enabled=False),
            "• ⏸ service Gap disabled",
            "• ⏸ پیام‌رسان گپ غیرفعال شد",
        ),
        (
            lambda c: c.update(reminders=[{"at": REMINDER_AT, "text": "سلام دوباره"}]),
            "• ⏰ reminder added: 2031-03-01 09:00, to:unmoved; it is sent at that time"
            " (/campaigns lists it)",
            "• ⏰ یادآوری تازه: ۱۴۰۹-۱۲-۱۰ ۰۹:۰۰، to:unmoved؛ در همان زمان فرستاده می‌شود"
            " (در /campaigns آمده است)",
        ),
        (
            lambda c: c.update(privacy={"retention_days": 30}),
            "• ✏️ privacy.retention_days: (default) → 30",
            "• ✏️ privacy.retention_days:",
        ),
        (
            lambda c: c.update(web={"listen": "127.0.0.1:0"}),
            "• ✏️ web: changed (takes effect after a restart)",
            "• ✏️ web:",
        ),
        (
            lambda c: c["channels"][0].update(counter=True),
            "• ✏️ channel @kooch_demo: counter off → on",
            "• ✏️ کانال @kooch_demo:",
        ),
    ],
    ids=["campaigns", "services-added", "services-disabled", "reminders", "privacy", "web", "channels"],
)
async def test_a_reload_of_each_section_is_reported_in_each_operators_language(
    sim: BotAPISimulator,
    operator: SimUser,
    fa_operator: SimUser,
    kooch: App,
    tmp_path: Path,
    change: Any,
    en_line: str,
    fa_line: str,
) -> None:
    config = two_operators(tmp_path)
    change(config)
    en, fa = await reload_with(sim, operator, fa_operator, tmp_path, config)
    assert en_line in en.splitlines()
    assert any(line.startswith(fa_line) for line in fa.splitlines()), fa
    assert "nothing that Kooch uses" not in en
    # Each reader in their own language.
    assert "reloaded" in en.splitlines()[0]
    assert "reloaded" not in fa


async def test_the_new_pace_is_what_the_next_remind_says(
    sim: BotAPISimulator, operator: SimUser, fa_operator: SimUser, kooch: App, tmp_path: Path
) -> None:
    await say(sim, sim.add_user("Reader", "fa"), "/start")
    config = two_operators(tmp_path)
    config["campaigns"] = {"rate_per_s": 5}
    await reload_with(sim, operator, fa_operator, tmp_path, config)
    sent = await sim.send_text(operator, "/remind hello")
    question = await sim.wait_for_message(
        operator.id,
        lambda m: bool(m.callback_buttons()) and "Send the reminder" in (m.text or ""),
        after=sent.message_id,
    )
    assert "At 5 messages/s it takes under a minute." in plain(question.text or "")


async def test_a_new_reminder_is_listed_by_campaigns_right_after_the_reload(
    sim: BotAPISimulator, operator: SimUser, fa_operator: SimUser, kooch: App, tmp_path: Path
) -> None:
    before = plain((await say(sim, operator, "/campaigns")).text or "")
    assert before.endswith("⏰ Scheduled reminders (config.yaml → reminders):\nnone")
    config = two_operators(tmp_path)
    config["reminders"] = [{"at": REMINDER_AT, "text": "سلام دوباره"}]
    await reload_with(sim, operator, fa_operator, tmp_path, config)
    # No waiting for the reminder timer's next round: the reload put it in the schedule.
    listed = plain((await say(sim, operator, "/campaigns")).text or "")
    assert "⏰ 2031-03-01 09:00 (Tehran time) — users who started the bot and have not tapped" in listed
    assert listed.endswith("— scheduled")
    listed_fa = (await say(sim, fa_operator, "/campaigns")).text
    assert listed_fa is not None and "۱۴۰۹-۱۲-۱۰ ۰۹:۰۰" in plain(listed_fa)
