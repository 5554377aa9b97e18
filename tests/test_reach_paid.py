"""Paid broadcasts (issue 26), the real bot against the Bot API simulator with Telegram's limits
on (30 messages a second unpaid, 1,000 paid): a paid campaign at 200/s is sent with
allow_paid_broadcast, charged 0.1 Star a message and never refused; its preview says the cost and
the balance, and short of Stars it offers the free rate instead; the same campaign unpaid is
refused at config load with Telegram's reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kooch.announce.checks import parse_checked_config
from kooch.config import ConfigInvalid
from kooch.config.wording import error_line
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import base_config, callback_of, press, running_bot, write_config
from tests.test_campaigns import crowd, final_tally, seed, states

TEXT = "یادآوری: ما کوچ کرده‌ایم."
RECIPIENTS = 600


def paid_config(tmp_path: Path, **campaigns: Any) -> Path:
    config = base_config(tmp_path)
    config["campaigns"] = {"rate_per_s": 200, "paid": True, "progress_every_s": 1, **campaigns}
    return write_config(tmp_path / "config.yaml", config)


async def ask(sim: BotAPISimulator, operator: SimUser) -> SimMessage:
    """/remind; the confirmation question (the message with the confirm button)."""
    sent = await sim.send_text(operator, f"/remind {TEXT}")
    return await sim.wait_for_message(
        operator.id,
        lambda m: any(d.startswith("remind:confirm:") for _, d in m.callback_buttons()),
        after=sent.message_id,
        timeout=10,
    )


@pytest.mark.slow
async def test_a_paid_campaign_at_200_a_second_is_charged_and_never_refused(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    sim.set_rate_limits(global_per_s=30, per_chat_per_s=1)  # Telegram's: 30/s unpaid, 1,000/s paid
    sim.set_star_balance(100)
    users = crowd(sim, RECIPIENTS)
    await seed(tmp_path / "kooch.db", users)
    async with running_bot(paid_config(tmp_path), sim.token, sim.url, poll_timeout=1):
        question = await ask(sim, operator)
        assert question.text is not None
        assert "💫 A paid broadcast: 60.0 Stars (0.1 a message); the bot has 100.0." in plain(question.text)
        assert ("📨 Send to 600", callback_of(question, "remind:confirm:")) in plain(
            question.callback_buttons()
        )
        await press(sim, operator, operator.id, question, callback_of(question, "remind:confirm:"))
        tally = await final_tally(sim, operator, question.message_id)
    assert "✅ sent: 600 of 600" in tally
    assert states(tmp_path / "kooch.db") == {"sent": RECIPIENTS}
    reminders = [c for c in sim.calls if c.method == "sendMessage" and c.params.get("chat_id") != operator.id]
    assert len(reminders) == RECIPIENTS
    # None refused (429 or otherwise); the bot's own replies to the operator are paced apart.
    assert all(c.ok and c.params.get("allow_paid_broadcast") for c in reminders)
    assert sim.paid_messages == RECIPIENTS
    assert sim.star_balance == pytest.approx(100 - 60)


async def test_short_of_stars_the_preview_says_by_how_much_and_offers_the_free_rate(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    sim.set_rate_limits(global_per_s=30, per_chat_per_s=1)
    sim.set_star_balance(2.5)
    users = crowd(sim, 40)
    await seed(tmp_path / "kooch.db", users)
    async with running_bot(paid_config(tmp_path), sim.token, sim.url, poll_timeout=1):
        question = await ask(sim, operator)
        assert question.text is not None
        said = plain(question.text)
        assert "costs 4.0 Stars (0.1 a message); the bot has 2.5: 1.5 Stars short." in said
        assert "At 25 messages/s it takes under a minute." in said
        (label, data) = question.callback_buttons()[0]
        assert plain(label) == "📨 Send to 40 at the free rate"
        await press(sim, operator, operator.id, question, data)
        tally = await final_tally(sim, operator, question.message_id)
    assert "✅ sent: 40 of 40" in tally
    reminders = [c for c in sim.calls if c.method == "sendMessage" and c.params.get("chat_id") != operator.id]
    assert len(reminders) == 40
    assert all(c.ok and not c.params.get("allow_paid_broadcast") for c in reminders)
    assert sim.star_balance == pytest.approx(2.5)


async def test_a_persian_operator_reads_the_cost_right(
    sim: BotAPISimulator, tmp_path: Path, channel: SimChat
) -> None:
    operator = sim.add_user("Operator", "fa", user_id=4242)
    sim.set_star_balance(1)
    await seed(tmp_path / "kooch.db", crowd(sim, 20))
    async with running_bot(paid_config(tmp_path), sim.token, sim.url, poll_timeout=1):
        question = await ask(sim, operator)
    assert question.text is not None
    assert "۲٫۰" in question.text and "۱٫۰" in question.text
    assert_reads_right([question.text, *(label for label, _ in question.callback_buttons())])


@pytest.mark.parametrize("language", ["en", "fa"])
def test_unpaid_above_30_a_second_is_refused_at_config_load_with_telegrams_reason(
    tmp_path: Path, language: str
) -> None:
    path = paid_config(tmp_path, paid=False)
    with pytest.raises(ConfigInvalid) as caught:
        parse_checked_config(path.read_text(encoding="utf-8"))
    (error,) = caught.value.errors
    assert error.path == "campaigns.rate_per_s"
    assert error.line is not None
    assert "429 Too Many Requests above about 30 a second" in error.message
    assert "set campaigns.paid: true" in error.message
    line = error_line(error, language)
    assert_reads_right([line])
    if language == "fa":
        assert "۲۰۰ پیام در ثانیه" in line


def test_at_30_a_second_or_paid_the_rate_is_accepted(tmp_path: Path) -> None:
    assert (
        parse_checked_config(
            paid_config(tmp_path, paid=False, rate_per_s=30).read_text()
        ).campaigns.rate_per_s
        == 30
    )
    paid = parse_checked_config(paid_config(tmp_path).read_text()).campaigns
    assert paid.paid and paid.paid_broadcast
