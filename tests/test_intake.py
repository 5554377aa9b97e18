"""The polling intake: what it confirms to Telegram, what it hands again after a crash, and the one
poller per token (the SIGKILL mid-flood case is in test_ack_flood.py)."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from kooch.app.runner import App, intake_of
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from kooch.simulator.methods.callbacks import QUERY_TOO_OLD
from kooch.telegram.intake import Ledger
from tests.kit import announce, base_config, running_bot, say, start_bot_process, write_config

# ------------------------------------------------------------------------------- the ledger

#: A step: (method, argument, what it returns; None: not checked).
Step = tuple[str, Any, Any]

LEDGER_CASES: list[tuple[str, int, list[Step], int, int, list[int]]] = [
    # (name, start offset, steps, then: offset, held, spool rows to drop)
    ("nothing fetched", 0, [], 0, 0, []),
    (
        "a spooled batch is confirmed at once, handled or not",
        0,
        [("admit", [10, 11, 12], [10, 11, 12]), ("spooled", [10, 11, 12], None)],
        13,
        3,
        [],
    ),
    (
        "what finishes after it was spooled leaves the spool",
        0,
        [("admit", [10, 11], None), ("spooled", [10, 11], None), ("finished", 11, True)],
        12,
        1,
        [11],
    ),
    (
        "what finished before its spool write committed leaves the spool too",
        0,
        [
            ("admit", [10, 11], None),
            ("finished", 10, False),
            ("finished", 11, False),
            ("spooled", [10, 11], None),
        ],
        12,
        0,
        [10, 11],
    ),
    (
        "unspooled: the lowest unfinished update holds the offset",
        0,
        [("admit", [10, 11, 12], None), ("finished", 11, False), ("finished", 12, False)],
        10,
        1,
        [],
    ),
    (
        "unspooled: the watermark jumps once the lowest finishes",
        0,
        [
            ("admit", [10, 11, 12], None),
            ("finished", 12, False),
            ("finished", 11, False),
            ("finished", 10, False),
        ],
        13,
        0,
        [],
    ),
    (
        "re-delivered updates in hand are skipped",
        0,
        [("admit", [10, 11], [10, 11]), ("admit", [10, 11, 12], [12])],
        10,
        3,
        [],
    ),
    (
        "a re-delivered update that finished meanwhile is not handled again",
        0,
        [
            ("admit", [10, 11], None),
            ("finished", 11, False),
            ("admit", [10, 11, 12], [12]),
        ],
        10,
        2,
        [],
    ),
    (
        "ids below the offset are confirmed already",
        20,
        [("admit", [18, 19, 20, 21], [20, 21])],
        20,
        2,
        [],
    ),
    (
        "gaps between ids are updates that do not exist",
        0,
        [("admit", [10, 15, 40], None), ("finished", 10, False), ("finished", 15, False)],
        16,
        1,
        [],
    ),
    (
        "a spooled update behind an unspooled unfinished one does not move the offset",
        0,
        [("admit", [10, 11], None), ("spooled", [11], None)],
        10,
        2,
        [],
    ),
    (
        "the offset a spool write saves counts its own batch as spooled",
        0,
        [
            ("admit", [10, 11, 12], None),
            ("finished", 10, False),
            ("frontier", [], 11),
            ("frontier", [11], 12),
            ("frontier", [12], 11),
            ("frontier", [11, 12], 13),
        ],
        11,
        2,
        [],
    ),
    (
        "restored from the spool: held, confirmed, dropped when finished",
        5,
        [
            ("restore", [3, 4], None),
            ("admit", [3, 4, 5], [5]),
            ("finished", 3, True),
            ("finished", 3, False),
        ],
        5,
        2,
        [3],
    ),
    (
        "a restored update above the saved offset moves it",
        0,
        [("restore", [7], None)],
        8,
        1,
        [],
    ),
    (
        "an update that is not the intake's (a webhook's) is ignored",
        0,
        [("finished", 99, False)],
        0,
        0,
        [],
    ),
]


@pytest.mark.parametrize(
    ("start", "steps", "offset", "held", "forgotten"),
    [case[1:] for case in LEDGER_CASES],
    ids=[case[0] for case in LEDGER_CASES],
)
def test_ledger(start: int, steps: list[Step], offset: int, held: int, forgotten: list[int]) -> None:
    ledger = Ledger(start)
    for method, argument, expected in steps:
        if method == "frontier":
            result: Any = ledger.frontier(assume_spooled=set(argument))
        else:
            result = getattr(ledger, method)(argument)
        if expected is not None:
            assert result == expected, f"{method}({argument!r})"
    assert ledger.offset == offset
    assert ledger.held == held
    assert sorted(ledger.take_forgotten()) == forgotten
    assert ledger.take_forgotten() == []


def test_ledger_gives_back_rows_whose_delete_failed() -> None:
    ledger = Ledger()
    ledger.admit([1, 2])
    ledger.spooled([1, 2])
    ledger.finished(1)
    taken = ledger.take_forgotten()
    ledger.finished(2)
    ledger.give_back(taken)
    assert ledger.take_forgotten() == [1, 2]


# ------------------------------------------------------------------------------- end to end


def acks_of(db: Path, user_id: int) -> int:
    with closing(sqlite3.connect(db)) as conn, conn:
        row = conn.execute("SELECT COUNT(*) FROM acks WHERE user_id = ?", (user_id,)).fetchone()
    return int(row[0])


def inbox_count(db: Path) -> int:
    with closing(sqlite3.connect(db)) as conn, conn:
        return int(conn.execute("SELECT COUNT(*) FROM inbox").fetchone()[0])


def leave_in_inbox(db: Path, bot_id: int, updates: list[dict[str, Any]], next_offset: int) -> None:
    """What a crash leaves: updates spooled (their offset saved) whose handling did not finish."""
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.executemany(
            "INSERT INTO inbox (bot_id, update_id, body, spooled_at) VALUES (?, ?, ?, 0)",
            [(bot_id, u["update_id"], json.dumps(u)) for u in updates],
        )
        conn.execute(
            "INSERT INTO intake_offsets VALUES (?, ?)"
            " ON CONFLICT (bot_id) DO UPDATE SET next_offset = excluded.next_offset",
            (bot_id, next_offset),
        )


async def test_taps_handled_again_after_a_crash_are_stored_once_and_their_late_answers_dropped_quietly(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, config_file: Path, tmp_path: Path
) -> None:
    db = tmp_path / "kooch.db"
    early, late = sim.add_user("Early", "fa"), sim.add_user("Late", "fa")
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1):
        await announce(sim, operator)
        post = sim.messages(channel.id)[0].message_id
        answer = await sim.wait_for_answer(await sim.press_button(early, channel.id, post, "ack:demo"))
        assert answer.answered
    assert inbox_count(db) == 0  # a clean stop leaves nothing to handle again
    stored_and_answered = next(
        u for u in sim.delivered_updates if u.get("callback_query", {}).get("from", {}).get("id") == early.id
    )
    # Tapped while the bot was down; the crash came after it was spooled, before it was stored.
    await sim.press_button(late, channel.id, post, "ack:demo")
    pending = sim._updates[-1][1]
    assert pending["callback_query"]["from"]["id"] == late.id
    leave_in_inbox(db, sim.bot.id, [stored_and_answered, pending], pending["update_id"] + 1)
    operator_messages = len(sim.messages(operator.id))
    answers = len(sim.answers)
    delivered = len(sim.delivered_updates)
    sim.inject_fault(
        "answerCallbackQuery", count=2, error_code=400, description=f"Bad Request: {QUERY_TOO_OLD}"
    )

    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1):
        await sim.wait_until(lambda: inbox_count(db) == 0, timeout=30, what="the inbox handled")
        await sim.wait_until(lambda: sim.pending_updates == 0, timeout=30, what="the offset confirmed")
        # Alive and well afterwards: a /start is answered.
        await say(sim, operator, "/start")
    assert acks_of(db, early.id) == 1
    assert acks_of(db, late.id) == 1
    refused = [c for c in sim.calls_of("answerCallbackQuery") if c.error_code == 400]
    assert len(refused) == 2  # both answers were tried, and refused as too old
    assert len(sim.answers) == answers
    # Nothing told the operators of an error: the only new messages are the /start exchange (an
    # operator's /start is answered twice: what an operator does first, then the subscribers' links).
    new = sim.messages(operator.id)[operator_messages:]
    assert [m.text for m in new if m.from_bot and "error" in (m.text or "").lower()] == []
    assert len(new) == 3
    # The spooled tap came from the inbox, not again from Telegram (the saved offset confirmed it).
    assert all(u["update_id"] != pending["update_id"] for u in sim.delivered_updates[delivered:])


async def test_a_second_kooch_polling_the_same_token_exits_69_and_the_first_keeps_running(
    sim: BotAPISimulator, operator: SimUser, bot: App, tmp_path: Path
) -> None:
    await start_a_second_kooch_and_expect_exit_69(sim, tmp_path)
    # The first one still polls and answers.
    reply = await say(sim, operator, "/start")
    assert reply.from_bot
    assert not intake_of(bot).failed.is_set()


async def test_the_running_kooch_keeps_polling_when_the_newcomer_ends_its_very_first_long_poll(
    sim: BotAPISimulator, operator: SimUser, config_file: Path, tmp_path: Path
) -> None:
    # A 30 s poll is still waiting when the second Kooch arrives: no poll of the running one has
    # ended normally yet, which must not make it take itself for the newcomer.
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=30) as app:
        await start_a_second_kooch_and_expect_exit_69(sim, tmp_path)
        reply = await say(sim, operator, "/start")
        assert reply.from_bot
        assert not intake_of(app).failed.is_set()


async def start_a_second_kooch_and_expect_exit_69(sim: BotAPISimulator, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    config = write_config(other / "config.yaml", base_config(other))
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": sim.token, "TELEGRAM_API_URL": sim.url}
    second = await start_bot_process(config, env, stderr=asyncio.subprocess.PIPE)
    try:
        _, stderr = await asyncio.wait_for(second.communicate(), 60)
    finally:
        if second.returncode is None:
            second.kill()
            await second.wait()
    assert second.returncode == 69  # EX_UNAVAILABLE: another poller has the token (kooch/exits.py)
    last_line = stderr.decode().strip().splitlines()[-1]
    assert last_line.startswith("kooch: another process is taking this bot's updates"), last_line
    assert "Traceback" not in stderr.decode()


async def test_updates_are_spooled_as_telegram_sent_them() -> None:
    """The getUpdates transport keeps the last answer's updates as sent, so the spool writes them
    without turning the parsed Update back into JSON; what it writes parses to the same Update."""
    from telegram import Bot, Update

    from kooch.metrics import Metrics
    from kooch.simulator.inprocess import InProcessTelegram, tap_update
    from kooch.telegram.request import UpdatesRequest

    sent = [tap_update(700 + i, 9_000 + i, "ack:demo") for i in range(3)]
    sent[0]["callback_query"]["a_field_of_a_newer_bot_api"] = {"kept": True}
    transport = InProcessTelegram(sent)
    transport.release()
    updates_request = UpdatesRequest(transport, Metrics())
    async with Bot("123:TEST", request=InProcessTelegram([]), get_updates_request=updates_request) as bot:
        updates = await bot.get_updates(timeout=0)
    assert [u.update_id for u in updates] == [700, 701, 702]
    for update, original in zip(updates, sent, strict=True):
        body = updates_request.as_sent(update.update_id)
        assert body is not None and json.loads(body) == original
        assert Update.de_json(json.loads(body), bot) == update
    assert updates_request.as_sent(700) is None  # taken once; only the last answer is kept
