"""Fixtures: the Bot API simulator, a config file in tmp_path, and the real bot running against
the simulator over loopback HTTP (long polling, as in production)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from kooch.app.runner import App
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from kooch.simulator.world import World
from kooch.store import Store
from kooch.store.postgresql import migrate as migrate_postgresql
from tests.bidi_kit import misread
from tests.kit import CHANNEL, OPERATOR_ID, base_config, running_bot, write_config
from tests.pg import Cluster, cluster

#: The database every test's PostgreSQL database is copied from: migrated once per session.
TEMPLATE = "kooch_template"
_databases = itertools.count(1)


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-telegram-bot's durations as timedelta in every test, as bot.py's running_bot opts in
    to; set per test (and undone after it) so no test depends on which ran before it."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


#: A text laid out once per session: toasts and posts repeat by the thousand in the flood tests.
_misread = functools.cache(misread)


@pytest.fixture(autouse=True)
def laid_out_right() -> Iterator[None]:
    """Every text the bot showed in this test, through any simulator (the ``sim`` fixture's or one
    the test built itself), laid out as a Telegram client draws it (tests/bidi_kit.py): each
    message and caption with its edits, button labels, callback toasts, descriptions and command
    menus. Handles, URLs, commands, numbers and dates must read whole and in reading order, in
    every language (a Persian line and an English one alike)."""
    worlds: list[World] = []
    World.on_create.append(worlds.append)
    try:
        yield
    finally:
        World.on_create.remove(worlds.append)
    problems = [
        f"{where}: {problem}\n    {text!r}"
        for world in worlds
        for where, text in world.shown()
        for problem in _misread(text)
    ]
    assert not problems, "the bot sent text that a client draws out of order:\n" + "\n".join(problems)


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


@pytest.fixture(scope="session")
def postgresql() -> Iterator[Cluster]:
    """A throw-away PostgreSQL cluster for the session, with a migrated template database."""
    with cluster() as pg:

        async def prepare() -> None:
            admin = await asyncpg.connect(pg.url())
            try:
                await admin.execute(f"CREATE DATABASE {TEMPLATE}")
            finally:
                await admin.close()
            conn = await asyncpg.connect(pg.url(TEMPLATE))
            try:
                await migrate_postgresql(conn)
            finally:
                await conn.close()

        # In a thread of its own: the first test to need the cluster may ask for it from inside its
        # event loop (the parametrised store fixture), where asyncio.run cannot run.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, prepare()).result()
        yield pg


@contextlib.asynccontextmanager
async def pg_database(pg: Cluster, template: str | None = TEMPLATE) -> AsyncIterator[str]:
    """A PostgreSQL database of the test's own: a copy of the migrated template, or empty (not
    even the migrations' record) with ``template=None``; dropped after."""
    name = f"kooch_test_{next(_databases)}"
    admin = await asyncpg.connect(pg.url())
    try:
        await admin.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        yield pg.url(name)
        await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def postgresql_url(postgresql: Cluster) -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database of the test's own."""
    async with pg_database(postgresql) as url:
        yield url


@pytest.fixture
async def empty_postgresql_url(postgresql: Cluster) -> AsyncIterator[str]:
    """A PostgreSQL database with nothing in it."""
    async with pg_database(postgresql, None) as url:
        yield url


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    """The store on a real SQLite file, ``k.db`` in the test's folder: for what only SQLite has
    (the file, its WAL, secure_delete)."""
    store = await Store.open(tmp_path / "k.db")
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """The store on each backend in turn: a real SQLite file (``k.db`` in the test's folder), then
    a real PostgreSQL database of the test's own. Every test that takes ``store`` runs on both."""
    async with contextlib.AsyncExitStack() as stack:
        if request.param == "sqlite":
            store = await Store.open(tmp_path / "k.db")
        else:
            pg: Cluster = request.getfixturevalue("postgresql")  # sync and session-wide
            url = await stack.enter_async_context(pg_database(pg))
            store = await Store.open_postgresql(url, tmp_path)
        stack.push_async_callback(store.close)
        yield store
