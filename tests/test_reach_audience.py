"""Departures and reactions in the funnel (issue 26), the real bot against the Bot API simulator:
``chat_member`` and ``message_reaction_count`` updates injected through the simulator's player API
(the control API's /sim/members and /sim/reactions call the same), counted (never a list of
people), and shown in /stats, its chart's funnel and /export's daily file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import announce, eventually, press, query, running_bot, say_and_collect

DB = "kooch.db"
HANDLED = [
    "callback_query",
    "channel_post",
    "chat_member",
    "edited_channel_post",
    "message",
    "message_reaction_count",
]


def audience(tmp_path: Path) -> tuple[int, int, int]:
    (row,) = query(
        tmp_path / DB,
        "SELECT COALESCE(SUM(joined), 0), COALESCE(SUM(left_channel), 0),"
        " COALESCE(SUM(left_after_moving), 0) FROM audience_days",
    )
    return int(row[0]), int(row[1]), int(row[2])


def reports(tmp_path: Path) -> list[int]:
    return [int(r[0]) for r in query(tmp_path / DB, "SELECT total FROM reaction_counts ORDER BY at, total")]


def keep_png(name: str, data: bytes) -> None:
    """The chart as the operator got it, to look at (not committed)."""
    folder = Path("/tmp/reach")
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)


def csv_rows(message: SimMessage) -> list[dict[str, str]]:
    assert message.document is not None
    return list(csv.DictReader(io.StringIO(message.document.data.decode("utf-8-sig"))))


async def test_kooch_asks_telegram_for_exactly_the_updates_it_handles(
    sim: BotAPISimulator, channel: SimChat, bot: App
) -> None:
    await sim.wait_until(lambda: any(c.method == "getUpdates" for c in sim.calls), timeout=10)
    asked = [c.params.get("allowed_updates") or [] for c in sim.calls if c.method == "getUpdates"]
    assert asked and all(sorted(a) == HANDLED for a in asked)


async def test_leavers_joiners_and_reactions_are_counted_and_shown(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, bot: App, tmp_path: Path
) -> None:
    await announce(sim, operator)
    post = next(m for m in sim.messages(channel.id) if m.from_bot)
    moved = [sim.add_user(f"M{i}", "fa") for i in range(3)]
    for user in moved:
        await press(sim, user, channel.id, post, "ack:demo")
    stayed = sim.add_user("S", "fa")
    newcomer = sim.add_user("N", "fa")

    # Two who had tapped leave, and one who had not; one joins; a promotion would change nothing.
    for user in (moved[0], moved[1], stayed):
        assert sim.member_leaves(user, channel.id) is not None
    sim.member_joins(newcomer, channel.id)
    await eventually(
        lambda: audience(tmp_path),
        "the departures stored",
        until=lambda v: v == (1, 3, 2),
        on=services_of(bot).store,
    )
    # No person is kept: the table holds counts per channel and day only.
    assert [r[0] for r in query(tmp_path / DB, "SELECT channel FROM audience_days")] == ["demo"]

    sim.reaction_count(channel.id, post.message_id, {"👍": 12, "❤️": 5})
    sim.reaction_count(channel.id, post.message_id, {"👍": 20, "❤️": 6})
    # Two reports in the same second: the later total stands for that moment.
    await eventually(
        lambda: reports(tmp_path),
        "the reactions stored",
        until=lambda v: v == [26],
        on=services_of(bot).store,
    )

    text, chart = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
    assert text.text is not None
    said = plain(text.text)
    assert "❤️ reactions on the announcement: 26" in said
    assert '🚪 left: 3, of whom 2 had tapped "I\'ve moved"; joined: 1' in said
    assert "🔻 funnel: 998 members → 26 reactions → ? clicks → 3 moved → 2 left after moving" in said
    assert chart.photo is not None
    keep_png("stats-chart-en.png", chart.photo.data)
    assert_reads_right([text.text])

    exported = await say_and_collect(sim, operator, "/export", 3, timeout=30)
    files = [m for m in exported if m.document is not None]
    assert [(m.document.filename or "").split("-")[-1] for m in files if m.document] == [
        "acks.csv",
        "day.csv",
        "day.csv",
    ]
    daily = csv_rows(files[2])
    assert len(daily) == 1
    assert {k: v for k, v in daily[0].items() if k != "day"} == {
        "channel": "demo",
        "joined": "1",
        "left": "3",
        "left_after_moving": "2",
        "reactions": "26",
    }


async def test_a_persian_operators_stats_read_right_with_departures(
    sim: BotAPISimulator, channel: SimChat, tmp_path: Path
) -> None:

    from tests.kit import base_config, write_config

    operator = sim.add_user("Operator", "fa", user_id=4242)
    config = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    async with running_bot(config, sim.token, sim.url, poll_timeout=1) as app:
        await announce_fa(sim, operator)
        post = next(m for m in sim.messages(channel.id) if m.from_bot)
        user = sim.add_user("M", "fa")
        await press(sim, user, channel.id, post, "ack:demo")
        sim.member_leaves(user, channel.id)
        sim.reaction_count(channel.id, post.message_id, {"👍": 1234})
        await eventually(
            lambda: (audience(tmp_path), reports(tmp_path)),
            "the departure and the reactions stored",
            until=lambda v: v == ((0, 1, 1), [1234]),
            on=services_of(app).store,
        )
        text, chart = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
    assert text.text is not None and chart.photo is not None
    keep_png("stats-chart-fa.png", chart.photo.data)
    assert "۱٬۲۳۴" in text.text
    assert_reads_right([text.text])


async def announce_fa(sim: BotAPISimulator, operator: SimUser) -> None:
    from tests.kit import callback_of

    sent = await sim.send_text(operator, "/announce")
    question = await sim.wait_for_message(
        operator.id,
        lambda m: any(d.startswith("announce:") for _, d in m.callback_buttons()),
        after=sent.message_id,
        timeout=10,
    )
    await press(sim, operator, operator.id, question, callback_of(question, "announce:confirm:"))
    await sim.wait_until(lambda: any(m.from_bot for m in sim.messages(-1001000000001)), timeout=10)


async def test_the_webhook_asks_for_exactly_the_updates_kooch_handles(
    sim: BotAPISimulator, operator: SimUser, tmp_path: Path
) -> None:
    from tests.web_kit import running_web_bot

    async with running_web_bot(sim, tmp_path, webhook=True):
        params = sim.calls_of("setWebhook")[-1].params
    assert sorted(params["allowed_updates"]) == HANDLED
