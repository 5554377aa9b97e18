"""The link checks in the running bot, against the simulator: the previews' verdicts, the second
confirmation a broken link asks for, the periodic round's alert and /status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kooch.app.features.destinations import LINK_CHECK_JOB
from kooch.app.runner import App, services_of
from kooch.destinations.wording import POST_ANYWAY
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from tests.bidi_kit import plain
from tests.kit import (
    ask_announce,
    base_config,
    callback_of,
    press,
    running_bot,
    say_and_collect,
    write_config,
)
from tests.links_kit import Seen, serving
from tests.test_announce import audit_actions


@pytest.fixture
async def site() -> AsyncIterator[str]:
    async with serving(Seen()) as root:
        yield root


def links_config(tmp_path: Path, soroush: str, gap: str) -> Path:
    config = base_config(tmp_path)
    config["link_checks"] = True
    config["services"][0]["url"] = soroush
    config["services"][1]["url"] = gap
    return write_config(tmp_path / "config.yaml", config)


@pytest.fixture
async def checked_bot(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path, site: str
) -> AsyncIterator[App]:
    path = links_config(tmp_path, f"{site}/ok", f"{site}/status/404")
    async with running_bot(path, sim.token, sim.url, poll_timeout=1) as app:
        yield app


async def test_the_preview_shows_each_links_verdict(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, checked_bot: App, site: str
) -> None:
    header, _post, report = await say_and_collect(sim, operator, "/preview demo", 3)
    assert plain(header.text) == "Preview for @kooch_demo (Persian):"
    assert plain(report.text) == (
        plain(
            "🔗 Links, checked just now: 1 OK, 1 broken link\n"
            f"• Soroush (link) {site}/ok: ✅ OK\n"
            f"• Gap (link) {site}/status/404: ❌ HTTP 404"
        )
    )


async def test_a_broken_link_makes_the_confirm_button_say_so_and_ask_again(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, checked_bot: App, site: str, tmp_path: Path
) -> None:
    question = await ask_announce(sim, operator)
    assert [t for t, _ in question.callback_buttons()] == ["⚠️ 📢 Post despite 1 broken link", "Cancel"]
    (verdicts,) = [
        m for m in sim.messages(operator.id) if plain(m.text or "").startswith("🔗 Links, checked")
    ]
    assert verdicts.text is not None
    assert f"• Gap (link) {site}/status/404: ❌ HTTP 404" in plain(verdicts.text)

    answer = await press(sim, operator, operator.id, question, callback_of(question, "announce:confirm:"))
    assert answer.text == "Some links are broken: confirm again."
    again = await sim.wait_for_message(
        operator.id,
        lambda m: m.message_id == question.message_id and POST_ANYWAY in [t for t, _ in m.callback_buttons()],
    )
    assert again.text is not None
    assert plain(again.text).startswith("⚠️ The announcement has 1 broken link")
    assert f"• Gap (link) {site}/status/404: ❌ HTTP 404" in plain(again.text)
    assert sim.messages(channel.id) == []  # the first press posted nothing

    answer = await press(sim, operator, operator.id, again, callback_of(again, "announce:anyway:"))
    assert answer.text == "Posting…"
    report = await sim.wait_for_message(
        operator.id, lambda m: m.message_id == question.message_id and not m.callback_buttons()
    )
    assert report.text is not None and plain(report.text).startswith("✅ @kooch_demo: posted")
    assert len(sim.messages(channel.id)) == 1
    actions = await audit_actions(tmp_path / "kooch.db")
    assert ("announce:confirm", "announce asked #1 broken-links n=1") in actions
    assert ("announce:anyway", "announce done #1 demo:pinned ids 1") in actions


async def test_with_every_link_working_one_press_posts(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path, site: str
) -> None:
    path = links_config(tmp_path, f"{site}/ok", f"{site}/here")
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        question = await ask_announce(sim, operator)
        assert [t for t, _ in question.callback_buttons()] == ["📢 Post", "Cancel"]
        answer = await press(sim, operator, operator.id, question, callback_of(question, "announce:confirm:"))
        assert answer.text == "Posting…"
        await sim.wait_for_message(
            operator.id, lambda m: m.message_id == question.message_id and not m.callback_buttons()
        )
    assert len(sim.messages(channel.id)) == 1


async def test_the_periodic_round_alerts_once_and_status_shows_the_last_verdicts(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, checked_bot: App, site: str
) -> None:
    # The operator has started the bot (a bot writes only to who did).
    await say_and_collect(sim, operator, "/help", 1)
    links = services_of(checked_bot).links
    # The periodic job, run now (it may have run by itself already: either way, one round).
    assert checked_bot.job_queue is not None
    (job,) = checked_bot.job_queue.get_jobs_by_name(LINK_CHECK_JOB)
    await job.run(checked_bot)
    alert = await sim.wait_for_message(
        operator.id, lambda m: plain(m.text or "").startswith("🔗 Link broken")
    )
    assert plain(alert.text) == f"🔗 Link broken: Gap (link) {site}/status/404: ❌ HTTP 404"
    assert await links.run_round() == []  # still broken: no second alert
    (status,) = await say_and_collect(sim, operator, "/status", 1)
    assert status.text is not None
    assert "🔗 Links, last checked " in plain(status.text) and "(every hour): 1 broken link" in plain(
        status.text
    )
    assert f"  • Soroush (link) {site}/ok: ✅ OK" in plain(status.text)
    assert f"  • Gap (link) {site}/status/404: ❌ HTTP 404 (since " in plain(status.text)
    alerts = [m for m in sim.messages(operator.id) if plain(m.text or "").startswith("🔗 Link broken")]
    assert len(alerts) == 1
