"""What only PostgreSQL has, against a real PostgreSQL server: its migrations (the twins of SQLite's,
applied once however many processes start at once, atomically, a newer database refused), and
``migrate-db``, the copy of an SQLite database into an empty PostgreSQL one.

What both backends share (the engine, the repositories) runs on both in the other store tests."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import asyncpg
import pytest

import kooch.testing.pg
import tests.pg
from bot import main
from kooch.announce.store import AnnouncementStore
from kooch.app.services import services_of
from kooch.campaigns.model import Audience
from kooch.campaigns.store import CampaignStore
from kooch.cli.health import check_health
from kooch.config.texts import DEFAULT_TEXTS
from kooch.insight.clicks import Click, ClickLog
from kooch.insight.store import InsightStore
from kooch.operators.audit import AuditLog, Record, Step
from kooch.operators.pending import PendingActions
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from kooch.store import MigrationError, Store
from kooch.store import copy as copy_module
from kooch.store.copy import CopyRefused, copy_database
from kooch.store.inbox import Inbox
from kooch.store.migrations import Migration, discover, discover_postgresql
from kooch.store.postgresql import migrate, redacted
from kooch.subscribers.store import SubscriberStore
from tests.bidi_kit import plain
from tests.kit import announce, base_config, press, query, running_bot, say, say_and_collect, write_config
from tests.pg import Cluster

NOW = 1_750_000_000.0
DAY = 86400.0


# ------------------------------------------------------------------------------------------ migrations


def test_every_sqlite_migration_has_its_postgresql_twin() -> None:
    assert [m.name for m in discover_postgresql()] == [m.name for m in discover()]


def test_a_missing_twin_is_named(tmp_path: Path) -> None:
    sqlite, postgresql = tmp_path / "m", tmp_path / "m" / "postgresql"
    postgresql.mkdir(parents=True)
    (sqlite / "0001_a.sql").write_text("CREATE TABLE a (x INTEGER);")
    (sqlite / "0002_b.sql").write_text("CREATE TABLE b (x INTEGER);")
    (postgresql / "0001_a.sql").write_text("CREATE TABLE a (x BIGINT);")

    with pytest.raises(MigrationError, match="no PostgreSQL twin of migration 0002_b") as info:
        discover_postgresql(postgresql, sqlite)
    assert str(postgresql / "0002_b.sql") in str(info.value)


async def test_several_processes_starting_at_once_migrate_once(empty_postgresql_url: str) -> None:
    """Each connection is a server session of its own, as each process's would be: the advisory
    lock lets one apply the migrations while the others wait, then find nothing left to do."""
    conns = [await asyncpg.connect(empty_postgresql_url) for _ in range(4)]
    try:
        applied = await asyncio.gather(*(migrate(conn) for conn in conns))
        records = await conns[0].fetch("SELECT name FROM schema_migrations ORDER BY name")
    finally:
        for conn in conns:
            await conn.close()

    names = [m.name for m in discover_postgresql()]
    assert sorted(applied, key=len) == [[], [], [], names]
    assert [r[0] for r in records] == names


async def test_a_failing_migration_rolls_back_with_its_record(empty_postgresql_url: str) -> None:
    migrations = [
        Migration("0001_good", "CREATE TABLE good (x BIGINT);"),
        Migration("0002_bad", "CREATE TABLE half (x BIGINT);\nINSERT INTO nowhere VALUES (1);"),
    ]
    conn = await asyncpg.connect(empty_postgresql_url)
    try:
        with pytest.raises(MigrationError, match="migration 0002_bad failed and was rolled back"):
            await migrate(conn, migrations)
        tables = {
            r[0] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        records = [r[0] for r in await conn.fetch("SELECT name FROM schema_migrations")]
    finally:
        await conn.close()
    assert tables == {"good", "schema_migrations"}  # no "half": its migration left nothing
    assert records == ["0001_good"]


async def test_a_database_of_a_newer_kooch_is_refused(postgresql_url: str, tmp_path: Path) -> None:
    conn = await asyncpg.connect(postgresql_url)
    try:
        await conn.execute("INSERT INTO schema_migrations VALUES ('9999_future', 0)")
    finally:
        await conn.close()

    with pytest.raises(MigrationError, match="newer Kooch"):
        await Store.open_postgresql(postgresql_url, tmp_path)


def test_a_password_is_left_out_of_what_is_shown() -> None:
    assert redacted("postgresql://kooch:hunter2@db:5433/k") == "postgresql://kooch:***@db:5433/k"
    assert redacted("postgresql://kooch@db/k") == "postgresql://kooch@db/k"


# ------------------------------------------------------------------------------------------ migrate-db


async def populate(path: Path) -> None:
    """A database used for a while: through the real repositories, old rows archived by the
    retention job, an update spooled, a campaign sent."""
    store = await Store.open(path)
    try:
        subscribers = SubscriberStore(store)
        for i in range(40):
            at = NOW - 40 * DAY + i * DAY
            await subscribers.add_ack("demo", 1000 + i, f"U{i} ✓", "fa", "post", at=at, service="gap")
            await subscribers.record_start(1000 + i, "fa", "channel_demo", at=at)
        await subscribers.add_ack("news", 7, None, None, "site", at=NOW)
        await InsightStore(store).delete_older_than(NOW - 20 * DAY)  # archives counts in the buckets
        audit = AuditLog(store, lambda user_id: f"p{user_id}")
        await audit.add(4242, "stats", "/stats", "ok", at=NOW)
        await audit.refused(99, "announce", at=NOW)
        approved = Record("announce", Step.APPROVED, 2, 4242, ("demo:pinned",), (5,))
        await audit.add(4343, "approval:approve", "approval:approve:2", approved, at=NOW)
        pending = PendingActions(store)
        await pending.take(await pending.create("announce", 4242, {"a": [1]}, at=NOW), "announce", "done")
        await pending.create("schedule", 4242, {"b": "ب"}, at=NOW)
        posts = AnnouncementStore(store)
        await posts.add_announcement("demo", -100, 5, posted_by=4242, content_hash="h", pinned=True, at=NOW)
        await posts.mark_synced(1, "t", "m", at=NOW)
        await posts.save_originals("demo", -100, "Old title", "Old description", 4242, at=NOW)
        await posts.schedule(["demo"], NOW + DAY, 4242)
        campaigns = CampaignStore(store)
        campaign = await campaigns.create({"*": "come"}, Audience(), 4242, at=NOW, progress=(4242, 77))
        await campaigns.start(campaign, at=NOW)
        clicks = ClickLog(store)
        clicks.record(Click(NOW, "gap", "demo", "post", "android", False))
        clicks.record(Click(NOW + 1, "gap", None, None, "other", True))
        await clicks.flush()
        await Inbox(store, 12345).save([(1, '{"update_id": 1}')], 2, [])
    finally:
        await store.close()


def sqlite_tables(path: Path) -> list[str]:
    return [
        r[0]
        for r in query(
            path,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
    ]


def normalised(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows comparable across the backends: numbers as floats (SUM's Decimal, REAL's 0 vs 0.0)."""
    return sorted(
        (
            tuple(float(v) if isinstance(v, int | float) or hasattr(v, "as_integer_ratio") else v for v in r)
            for r in rows
        ),
        key=repr,
    )


async def test_migrate_db_copies_every_table_row_for_row(tmp_path: Path, empty_postgresql_url: str) -> None:
    source = tmp_path / "k.db"
    await populate(source)

    report = await asyncio.to_thread(copy_database, source, empty_postgresql_url)

    tables = [t for t in sqlite_tables(source) if t != "schema_migrations"]
    assert sorted(t for t, _ in report.tables) == tables
    conn = await asyncpg.connect(empty_postgresql_url)
    try:
        for table in tables:
            columns = [r[1] for r in query(source, f'PRAGMA table_info("{table}")')]
            listed = ", ".join(columns)
            expected = query(source, f"SELECT {listed} FROM {table}")
            copied = [tuple(r) for r in await conn.fetch(f"SELECT {listed} FROM {table}")]
            assert dict(report.tables)[table] == len(expected), table
            assert normalised(copied) == normalised(expected), table  # every row, every column
        assert report.rows > 100
        assert dict(report.tables)["ack_buckets"] > 0
        recorded = [r[0] for r in await conn.fetch("SELECT name FROM schema_migrations ORDER BY name")]
        assert recorded == [r[0] for r in query(source, "SELECT name FROM schema_migrations ORDER BY name")]
    finally:
        await conn.close()

    # The copy is a working database: counts as before (archived ones too), new ids after the old.
    store = await Store.open_postgresql(empty_postgresql_url, tmp_path)
    try:
        subscribers = SubscriberStore(store)
        counts = await subscribers.ack_counts(["demo", "news"], now=NOW)
        assert (counts["demo"].total, counts["news"].total) == (40, 1)
        assert await subscribers.started_count() == 40
        assert await subscribers.add_ack("demo", 1039, None, None, "post") is False  # kept: recent
        new_id = await PendingActions(store).create("announce", 4242, {}, at=NOW)
        assert new_id == 3
        # A gated action's audit row reads back as the record it was (issue 23, 0013).
        last = (await AuditLog(store).recent(10))[-1]
        assert last.record == Record("announce", Step.APPROVED, 2, 4242, ("demo:pinned",), (5,))
    finally:
        await store.close()


async def test_migrate_db_refuses_a_target_that_holds_rows(tmp_path: Path, postgresql_url: str) -> None:
    source = tmp_path / "k.db"
    await populate(source)
    store = await Store.open_postgresql(postgresql_url, tmp_path)
    try:
        await SubscriberStore(store).add_ack("demo", 1, None, None, "post", at=NOW)
    finally:
        await store.close()

    with pytest.raises(CopyRefused, match="is not empty: table acks holds 1 rows"):
        await asyncio.to_thread(copy_database, source, postgresql_url)

    conn = await asyncpg.connect(postgresql_url)
    try:
        assert await conn.fetchval("SELECT COUNT(*) FROM acks") == 1  # left as it was
        assert await conn.fetchval("SELECT COUNT(*) FROM subscribers") == 0
    finally:
        await conn.close()


async def test_migrate_db_refuses_a_database_of_something_else(
    tmp_path: Path, empty_postgresql_url: str
) -> None:
    source = tmp_path / "k.db"
    await populate(source)
    conn = await asyncpg.connect(empty_postgresql_url)
    try:
        await conn.execute("CREATE TABLE invoices (id BIGINT)")
    finally:
        await conn.close()

    with pytest.raises(CopyRefused, match=r"tables Kooch does not know \(invoices\)"):
        await asyncio.to_thread(copy_database, source, empty_postgresql_url)


def tables(url: str) -> list[str]:
    """The tables of the database at ``url``."""

    async def read() -> list[str]:
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        finally:
            await conn.close()
        return sorted(str(r[0]) for r in rows)

    return asyncio.run(read())


def fresh_database(postgresql: Cluster, name: str) -> str:
    """An empty database for a test that runs no event loop of its own (a command's test)."""

    async def create() -> None:
        admin = await asyncpg.connect(postgresql.url())
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await admin.execute(f"CREATE DATABASE {name}")
        finally:
            await admin.close()

    asyncio.run(create())
    return postgresql.url(name)


def test_migrate_db_command(
    tmp_path: Path, postgresql: Cluster, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python bot.py migrate-db`` with the URL from the environment; a second run is refused."""
    config = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    asyncio.run(populate(tmp_path / "kooch.db"))
    monkeypatch.setenv("KOOCH_DATABASE_URL", fresh_database(postgresql, "kooch_cli"))

    assert main(["migrate-db", "--config", str(config)]) == 0
    out = capsys.readouterr()
    assert "  acks: 21 rows" in out.out  # 40 taps, 20 of them older than the retention's cutoff
    assert "every count checked" in out.out

    assert main(["migrate-db", "--config", str(config)]) == 1
    assert "is not empty" in capsys.readouterr().err


def test_migrate_db_tells_its_progress_table_by_table(
    tmp_path: Path, postgresql: Cluster, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A line as each table starts, one per chunk of rows (10,000; 8 here), one as it ends."""
    config = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    asyncio.run(populate(tmp_path / "kooch.db"))
    monkeypatch.setattr(copy_module, "COPY_CHUNK", 8)
    assert main(["migrate-db", "--config", str(config), fresh_database(postgresql, "kooch_progress")]) == 0
    lines = capsys.readouterr().out.splitlines()
    acks = [line for line in lines if line.startswith("  acks: ")]
    assert acks == [
        "  acks: 21 rows to copy",
        "  acks: 8 of 21 rows (38 %)",
        "  acks: 16 of 21 rows (76 %)",
        "  acks: 21 rows copied",
    ]
    assert lines[0] == f"copying {tmp_path / 'kooch.db'} into PostgreSQL …"
    assert lines[-1].startswith("copied ")


def test_health_and_backup_follow_the_database_url(
    tmp_path: Path, postgresql: Cluster, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``health`` checks the PostgreSQL database the bot would use (reading it only: the migrations
    are the bot's to apply), without the password; ``backup`` says to use pg_dump instead."""
    config = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    url = fresh_database(postgresql, "kooch_health")
    monkeypatch.setenv("KOOCH_DATABASE_URL", url.replace("@", ":not-shown@", 1))  # trust: ignored

    health = check_health(config, probe_web=False)

    assert health.ok, health.line
    assert "database postgresql://kooch-pg:***@/kooch_health" in health.line
    assert f"{len(discover_postgresql())} migration(s) to apply at the next start" in health.line
    assert tables(url) == []  # read only: nothing created, nothing migrated
    assert not (tmp_path / "kooch.db").exists()
    assert main(["backup", "--config", str(config), str(tmp_path / "b.db")]) == 2
    assert "back it up with its own tools (pg_dump)" in capsys.readouterr().err

    monkeypatch.setenv("KOOCH_DATABASE_URL", "postgresql://nobody@/none?host=/nonexistent&port=1")
    broken = check_health(config, probe_web=False)
    assert not broken.ok and "cannot connect to the PostgreSQL database" in broken.line


def test_migrate_db_without_a_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    assert main(["migrate-db", "--config", str(config)]) == 2
    assert "migrate-db needs the PostgreSQL database" in capsys.readouterr().err


def test_the_sqlite_file_is_untouched_by_the_copy(tmp_path: Path) -> None:
    """migrate-db reads the file only: refusing leaves it as it was (here: no server at all)."""
    source = tmp_path / "k.db"
    asyncio.run(populate(source))
    before = query(source, "SELECT COUNT(*) FROM acks")
    with pytest.raises(Exception, match="cannot connect to the PostgreSQL database"):
        copy_database(source, "postgresql://nobody@/none?host=/nonexistent&port=1")
    with closing(sqlite3.connect(source)) as conn:
        assert conn.execute("SELECT COUNT(*) FROM acks").fetchall() == before


# ------------------------------------------------------------------------------------------ the bot on it


async def test_the_bot_runs_on_postgresql_end_to_end(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    config_file: Path,
    postgresql_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """KOOCH_DATABASE_URL chooses PostgreSQL in the composition root: the real bot posts, takes
    taps (the batched lane), answers /stats from the aggregates and /forget erases, with no SQLite
    file made."""
    monkeypatch.setenv("KOOCH_DATABASE_URL", postgresql_url)
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1) as app:
        assert services_of(app).store.dialect == "postgresql"
        await announce(sim, operator)
        post = sim.messages(channel.id)[0]
        users = [sim.add_user(f"P{i}", "fa") for i in range(30)]
        answers = await asyncio.gather(*(press(sim, u, channel.id, post, "ack:demo") for u in users))
        assert {plain(a.text) for a in answers} == {DEFAULT_TEXTS["fa"]["thanks"]}
        again = await press(sim, users[0], channel.id, post, "ack:demo")
        assert plain(again.text) == DEFAULT_TEXTS["fa"]["already_moved"]
        text, _chart = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
        assert text.text is not None and "moved: 30" in text.text
        await say(sim, users[1], "/start demo")
        assert plain((await say(sim, users[1], "/forget")).text) == DEFAULT_TEXTS["fa"]["forgotten"]

    conn = await asyncpg.connect(postgresql_url)
    try:
        assert await conn.fetchval("SELECT COUNT(*) FROM acks") == 29
        assert await conn.fetchval("SELECT COUNT(*) FROM acks WHERE user_id = $1", users[1].id) == 0
        assert await conn.fetchval("SELECT COUNT(*) FROM subscribers WHERE user_id = $1", users[1].id) == 0
        assert await conn.fetchval("SELECT COUNT(*) FROM announcements") == 1
        assert await conn.fetchval("SELECT COUNT(*) FROM inbox") == 0  # every update handled
    finally:
        await conn.close()
    assert not (tmp_path / "kooch.db").exists()


# ------------------------------------------------------------------------------------------ the test cluster


def test_a_machine_without_postgresql_fails_under_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kooch.testing.pg, "BIN_DIRS", [])
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="PostgreSQL is needed under CI"), tests.pg.cluster():
        pass
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="apt-get install postgresql"), tests.pg.cluster():
        pass


async def test_migrate_db_never_gives_again_an_id_sqlite_gave(
    tmp_path: Path, empty_postgresql_url: str
) -> None:
    """The newest pending action deleted on SQLite (a /forget): PostgreSQL's sequence starts after
    it, not after the highest id left in the table."""
    source = tmp_path / "k.db"
    store = await Store.open(source)
    try:
        pending = PendingActions(store)
        kept = await pending.create("approval", 111, {"action": "announce"}, at=NOW)
        gone = await pending.create("approval", 4242, {"action": "schedule"}, at=NOW)
        await store.write(lambda db: db.execute("DELETE FROM pending_actions WHERE id = ?", (gone,)))
    finally:
        await store.close()

    await asyncio.to_thread(copy_database, source, empty_postgresql_url)

    store = await Store.open_postgresql(empty_postgresql_url, tmp_path)
    try:
        assert kept < gone < await PendingActions(store).create("approval", 111, {}, at=NOW)
    finally:
        await store.close()
