"""Fixtures: the Bot API simulator, a config file in tmp_path, and the real bot running against
the simulator over loopback HTTP (long polling, as in production)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import running_bot
from kooch.app.runner import App
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from kooch.store import Store
from tests.kit import CHANNEL, OPERATOR_ID, base_config, write_config


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-telegram-bot's durations as timedelta in every test, as bot.py's running_bot opts in
    to; set per test (and undone after it) so no test depends on which ran before it."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def sim() -> AsyncIterator[BotAPISimulator]:
    async with BotAPISimulator() as simulator:
        yield simulator


@pytest.fixture
def operator(sim: BotAPISimulator) -> SimUser:
    return sim.add_user("Operator", "en", user_id=OPERATOR_ID)


@pytest.fixture
def channel(sim: BotAPISimulator) -> SimChat:
    return sim.add_channel(username=CHANNEL, title="Kooch demo", member_count=1000)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write_config(tmp_path / "config.yaml", base_config(tmp_path))


@pytest.fixture
async def bot(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, config_file: Path
) -> AsyncIterator[App]:
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1) as app:
        yield app


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """The store on a real SQLite file, ``k.db`` in the test's folder (a test file may override)."""
    store = await Store.open(tmp_path / "k.db")
    try:
        yield store
    finally:
        await store.close()
