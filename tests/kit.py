"""Shared pieces for end-to-end tests: the operator's and subscribers' moves, and (from
:mod:`kooch.testing`, shared with bench/) the demo config, free ports, HAProxy and eventually().

Everything here talks to the Bot API simulator exactly as a person would: send a message, wait
for the bot's reply, press a button, wait for its answer.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from contextlib import AbstractAsyncContextManager, closing
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from kooch.simulator import BotAPISimulator, CallbackAnswer, SimMessage, SimUser
from kooch.store import Store
from kooch.store.db import numbered

# What tests share with the benches lives in kooch.testing; it is re-exported here, so a test
# imports its kit from one place.
from kooch.testing.demo import CHANNEL as CHANNEL
from kooch.testing.demo import GAP_URL as GAP_URL
from kooch.testing.demo import OPERATOR_ID as OPERATOR_ID
from kooch.testing.demo import SOROUSH_URL as SOROUSH_URL
from kooch.testing.demo import base_config as base_config
from kooch.testing.demo import write_config as write_config
from kooch.testing.haproxy import HAPROXY as HAPROXY
from kooch.testing.haproxy import haproxy_cache_front as haproxy_cache_front
from kooch.testing.haproxy import shipped_cache as shipped_cache
from kooch.testing.ports import free_port as free_port
from kooch.testing.waiting import HANG_GUARD_S as HANG_GUARD_S
from kooch.testing.waiting import eventually as eventually


async def say(sim: BotAPISimulator, user: SimUser, text: str, timeout: float = 10) -> SimMessage:
    """Send ``text`` in the user's private chat and return the bot's first reply."""
    sent = await sim.send_text(user, text)
    return await sim.wait_for_message(user.id, after=sent.message_id, timeout=timeout)


async def say_and_collect(
    sim: BotAPISimulator, user: SimUser, text: str, count: int, timeout: float = 10
) -> list[SimMessage]:
    """Send ``text`` and wait until the bot has sent ``count`` messages after it."""
    sent = await sim.send_text(user, text)

    def replies() -> list[SimMessage]:
        return [m for m in sim.messages(user.id) if m.from_bot and m.message_id > sent.message_id]

    await sim.wait_until(lambda: len(replies()) >= count, timeout=timeout, what=f"{count} replies")
    return replies()


def callback_of(message: SimMessage, prefix: str) -> str:
    """The callback data of the message's button starting with ``prefix``."""
    for _, data in message.callback_buttons():
        if data.startswith(prefix):
            return data
    raise AssertionError(f"no button {prefix}… in {message.callback_buttons()!r}")


async def press(
    sim: BotAPISimulator, user: SimUser, chat_id: int, message: SimMessage | int, data: str
) -> CallbackAnswer:
    message_id = message if isinstance(message, int) else message.message_id
    query_id = await sim.press_button(user, chat_id, message_id, data)
    return await sim.wait_for_answer(query_id, timeout=10)


async def ask_announce(sim: BotAPISimulator, operator: SimUser, args: str = "") -> SimMessage:
    """/announce [args]; returns the confirmation question (the message with the buttons)."""
    sent = await sim.send_text(operator, f"/announce {args}".strip())
    return await sim.wait_for_message(
        operator.id,
        lambda m: any(d.startswith("announce:") for _, d in m.callback_buttons()),
        after=sent.message_id,
        timeout=10,
    )


async def announce(sim: BotAPISimulator, operator: SimUser, args: str = "") -> SimMessage:
    """The whole /announce → confirm flow; returns the edited report message."""
    question = await ask_announce(sim, operator, args)
    answer = await press(sim, operator, operator.id, question, callback_of(question, "announce:confirm:"))
    assert answer.text == "Posting…"
    return await sim.wait_for_message(
        operator.id,
        lambda m: m.message_id == question.message_id and not m.callback_buttons(),
        timeout=10,
    )


async def committed(store: Store, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """What is committed, read with a separate plain connection to the store's database (SQLite
    file or PostgreSQL), in portable SQL with ``?`` placeholders."""
    if store.url is None:
        return await asyncio.to_thread(query, store.path, sql, params)
    conn = await asyncpg.connect(store.url)
    try:
        return [tuple(r) for r in await conn.fetch(numbered(sql), *params)]
    finally:
        await conn.close()


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the file with a separate plain connection: what is there is what was committed."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


ROOT = Path(__file__).resolve().parents[1]


async def start_bot_process(
    config: Path, env: dict[str, str], *, stderr: int = asyncio.subprocess.DEVNULL
) -> asyncio.subprocess.Process:
    """``bot.py --config config`` as its own process (to be killed, or stopped, by the test);
    ``stderr=asyncio.subprocess.PIPE`` to read what it says."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "bot.py",
        "--config",
        str(config),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=stderr,
    )


async def announce_via(
    sim: BotAPISimulator, operator: SimUser, channel_id: int, *, question_timeout: float = 60
) -> None:
    """/announce and confirm, waiting generously: the bot subprocess is still starting."""
    sent = await sim.send_text(operator, "/announce")
    question = await sim.wait_for_message(
        operator.id,
        lambda m: bool(m.callback_buttons()) and "Post" in m.callback_buttons()[0][0],
        after=sent.message_id,
        timeout=question_timeout,
    )
    data = question.callback_buttons()[0][1]
    await sim.wait_for_answer(
        await sim.press_button(operator, operator.id, question.message_id, data), timeout=30
    )
    await sim.wait_until(lambda: any(m.from_bot for m in sim.messages(channel_id)), timeout=30, what="posted")


def haproxy_or_skip() -> str:
    """HAProxy's path; a failure under CI (.ci/run installs it), else a skip."""
    if HAPROXY is None:
        if os.environ.get("CI") == "true":
            pytest.fail("haproxy is needed under CI: .ci/run must `apt-get install haproxy`")
        pytest.skip("haproxy is not installed (apt-get install haproxy)")
    return HAPROXY


# issue 24 (root): running_bot takes one Settings; the tests' shorthand builds it from the three
# things every test has and the fields it changes (a misspelt field is a TypeError from Settings).
def running_bot(
    config_path: Path, token: str, api_url: str, **fields: Any
) -> AbstractAsyncContextManager[Any]:
    """:func:`kooch.bot.running_bot` with ``Settings(config_path, token, api_url, **fields)``."""
    from kooch.app.settings import Settings
    from kooch.bot import running_bot as real_running_bot

    return real_running_bot(Settings(config_path, token, api_url, **fields))
