"""The store against real SQLite files: group commit, exactly-once confirmations, failures."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from kooch.store import AckCounts, MigrationError, Store, StoreUnavailable, WriteFailed

ROOT = Path(__file__).resolve().parents[1]
DAY = 86400.0
NOW = 1_700_000_000.0


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "k.db")
    try:
        yield store
    finally:
        await store.close()


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the file with a separate plain connection: what is there is what was committed."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


# ------------------------------------------------------------------------------------------ acks


async def test_a_name_with_a_lone_surrogate_is_stored_and_fails_no_one(store: Store, tmp_path: Path) -> None:
    """Telegram's JSON can carry a lone surrogate (\\ud800) that UTF-8 cannot encode: in a batch of
    301 taps it used to fail the whole commit, three times over."""
    names = [f"U{i}" for i in range(301)]
    names[150] = "bad\ud800name"
    results = await asyncio.gather(
        *(store.add_ack("demo", 1000 + i, name, "fa", "post", at=NOW) for i, name in enumerate(names))
    )
    assert results == [True] * 301
    assert query(tmp_path / "k.db", "SELECT first_name FROM acks WHERE user_id = 1150") == [
        ("bad\ufffdname",)
    ]


async def test_a_tap_that_breaks_its_batch_fails_alone(store: Store, tmp_path: Path) -> None:
    """A value that no rule makes storable (here a language code with a lone surrogate) fails its
    own write only: the batch is halved until the offending tap is alone, the others commit."""
    languages = ["fa"] * 64
    languages[17] = "f\udc80"
    outcomes = await asyncio.gather(
        *(store.add_ack("demo", 2000 + i, "N", lang, "post", at=NOW) for i, lang in enumerate(languages)),
        return_exceptions=True,
    )
    failed = [i for i, o in enumerate(outcomes) if isinstance(o, WriteFailed)]
    assert failed == [17]
    assert all(o is True for i, o in enumerate(outcomes) if i != 17)
    stored = {u for (u,) in query(tmp_path / "k.db", "SELECT user_id FROM acks")}
    assert stored == {2000 + i for i in range(64)} - {2017}


async def test_add_ack_first_then_repeat(store: Store) -> None:
    assert await store.add_ack("demo", 42, "Sara", "fa", "channel", at=NOW) is True
    assert await store.add_ack("demo", 42, "Sara", "fa", "start", at=NOW + 5) is False
    # The same user in another channel is a new ack.
    assert await store.add_ack("other", 42, "Sara", "fa", "channel", at=NOW) is True

    assert await store.has_acked("demo", 42)
    assert not await store.has_acked("demo", 43)
    # The first tap is kept as it was.
    assert await store.acks_of_channel("demo") == [(42, "fa", "channel")]
    assert query(store.path, "SELECT first_name, acked_at FROM acks WHERE channel = 'demo'") == [
        ("Sara", NOW)
    ]


async def test_concurrent_acks_are_group_committed(store: Store) -> None:
    users = list(range(1, 501))
    repeats = users[::5]  # 100 users tap twice

    results = await asyncio.gather(
        *(store.add_ack("demo", u, None, "fa", "channel") for u in [*users, *repeats])
    )

    assert len(repeats) == 100
    assert results.count(True) == 500
    assert results.count(False) == 100
    assert results[500:] == [False] * 100  # the repeats were queued after the first taps
    assert query(store.path, "SELECT COUNT(*), COUNT(DISTINCT user_id) FROM acks") == [(500, 500)]
    assert (await store.ack_counts(["demo"]))["demo"].total == 500
    # 600 writes, a handful of transactions.
    assert 1 <= store.commits <= 600 // 20


async def test_ack_counts(store: Store) -> None:
    taps = [
        ("demo", 1, NOW - 10),  # recent
        ("demo", 2, NOW - DAY),  # exactly 24 h ago: still counted as recent
        ("demo", 3, NOW - DAY - 1),  # older
        ("demo", 4, NOW - 5 * DAY),  # older
        ("other", 1, NOW - 60),  # recent
        ("unasked", 1, NOW),  # not asked for
    ]
    for channel, user, at in taps:
        await store.add_ack(channel, user, None, None, "channel", at=at)

    counts = await store.ack_counts(["demo", "other", "empty"], now=NOW)

    assert counts == {
        "demo": AckCounts(total=4, last_24h=2),
        "other": AckCounts(total=1, last_24h=1),
        "empty": AckCounts(total=0, last_24h=0),
    }
    # A day later, nothing is recent any more.
    later = await store.ack_counts(["demo"], now=NOW + 2 * DAY)
    assert later == {"demo": AckCounts(total=4, last_24h=0)}


async def test_one_bad_write_fails_alone(store: Store) -> None:
    """A constraint error rolls back to that write's savepoint; the batch still commits."""
    results = await asyncio.gather(
        store.add_audit(1, "first", "", "ok", at=NOW),
        store.add_audit(None, "bad", "", "ok", at=NOW),  # type: ignore[arg-type]  # NOT NULL
        store.add_audit(1, "third", "", "ok", at=NOW),
        return_exceptions=True,
    )

    assert results[0] is None
    assert isinstance(results[1], WriteFailed)
    assert "NOT NULL constraint failed: audit.operator_id" in str(results[1])
    assert results[2] is None
    assert [e.action for e in await store.recent_audit()] == ["third", "first"]
    assert store.commits == 1


# ------------------------------------------------------------------------------------------ subscribers


async def test_record_start_keeps_the_first_source(store: Store) -> None:
    await store.record_start(7, "fa", "channel_demo", at=NOW)
    await store.record_start(7, "en", "friend", at=NOW + 60)
    await store.record_start(8, "en", None, at=NOW)
    await store.record_start(8, "en", "later", at=NOW + 60)  # fills the gap

    assert await store.started_count() == 2
    assert query(store.path, "SELECT * FROM subscribers ORDER BY user_id") == [
        (7, "en", "channel_demo", NOW, NOW + 60, 0),
        (8, "en", "later", NOW, NOW + 60, 0),
    ]


async def test_record_start_unblocks(store: Store) -> None:
    await store.record_start(7, "fa", "x", at=NOW)
    with closing(sqlite3.connect(store.path)) as conn, conn:
        conn.execute("UPDATE subscribers SET blocked = 1 WHERE user_id = 7")

    await store.record_start(7, "fa", "x", at=NOW + 1)

    assert query(store.path, "SELECT blocked FROM subscribers WHERE user_id = 7") == [(0,)]


async def test_forget_user(store: Store) -> None:
    await store.add_ack("demo", 7, "Sara", "fa", "channel", at=NOW)
    await store.add_ack("other", 7, "Sara", "fa", "channel", at=NOW)
    await store.record_start(7, "fa", "channel", at=NOW)
    await store.add_ack("demo", 8, "Ali", "fa", "channel", at=NOW)
    await store.record_start(8, "fa", "channel", at=NOW)

    assert await store.forget_user(7) == 3

    assert query(store.path, "SELECT COUNT(*) FROM acks WHERE user_id = 7") == [(0,)]
    assert query(store.path, "SELECT COUNT(*) FROM subscribers WHERE user_id = 7") == [(0,)]
    # Someone else's rows stay.
    assert await store.acks_of_channel("demo") == [(8, "fa", "channel")]
    assert await store.started_count() == 1
    # Nothing left to forget.
    assert await store.forget_user(7) == 0


# ------------------------------------------------------------------------------------------ announcements


async def test_announcements_current_and_replace(store: Store) -> None:
    assert await store.current_announcement("demo") is None

    await store.add_announcement("demo", -1001, 10, posted_by=111, content_hash="h1", pinned=True, at=NOW)
    await store.add_announcement("other", -1002, 5, posted_by=111, content_hash="o1", pinned=False, at=NOW)
    first = await store.current_announcement("demo")
    assert first is not None
    assert (first.channel, first.chat_id, first.message_id, first.posted_at, first.posted_by) == (
        "demo",
        -1001,
        10,
        NOW,
        111,
    )
    assert (first.content_hash, first.pinned) == ("h1", True)

    await store.add_announcement(
        "demo", -1001, 11, posted_by=222, content_hash="h2", pinned=False, at=NOW + 1
    )

    second = await store.current_announcement("demo")
    assert second is not None
    assert (second.message_id, second.posted_by, second.content_hash, second.pinned) == (11, 222, "h2", False)
    assert second.id > first.id
    assert query(store.path, "SELECT message_id, current FROM announcements WHERE channel = 'demo'") == [
        (10, 0),
        (11, 1),
    ]
    # Another channel's announcement is untouched.
    other = await store.current_announcement("other")
    assert other is not None
    assert other.message_id == 5


# ------------------------------------------------------------------------------------------ confirmations


async def test_pending_is_taken_once(store: Store) -> None:
    payload = {"channel": "demo", "hash": "abc", "ids": [1, 2]}
    pending_id = await store.create_pending("announce", 111, payload, at=NOW)

    taken = await store.take_pending(pending_id, "announce", "confirmed")

    assert taken is not None
    assert (taken.id, taken.kind, taken.operator_id, taken.payload, taken.created_at) == (
        pending_id,
        "announce",
        111,
        payload,
        NOW,
    )
    assert await store.take_pending(pending_id, "announce", "confirmed") is None
    assert await store.take_pending(pending_id, "announce", "cancelled") is None
    assert query(store.path, "SELECT state FROM pending_actions WHERE id = ?", (pending_id,)) == [
        ("confirmed",)
    ]


@pytest.mark.parametrize(
    ("pending_id_offset", "kind"),
    [
        pytest.param(0, "broadcast", id="wrong-kind"),
        pytest.param(1000, "announce", id="unknown-id"),
    ],
)
async def test_take_pending_wrong_kind_or_id(store: Store, pending_id_offset: int, kind: str) -> None:
    pending_id = await store.create_pending("announce", 111, {}, at=NOW)

    assert await store.take_pending(pending_id + pending_id_offset, kind, "confirmed") is None

    # It is still open for the right taker.
    assert await store.take_pending(pending_id, "announce", "confirmed") is not None


async def test_pending_taken_once_even_concurrently(store: Store) -> None:
    ids = [await store.create_pending("announce", 111, {"n": n}, at=NOW) for n in range(20)]

    # Every confirm button pressed five times at once, with "cancel" racing it.
    takes = [
        store.take_pending(pending_id, "announce", state)
        for pending_id in ids
        for state in ("confirmed", "confirmed", "cancelled", "confirmed", "cancelled")
    ]
    results = await asyncio.gather(*takes)

    winners = [r for r in results if r is not None]
    assert sorted(r.id for r in winners) == ids
    assert sorted(r.payload["n"] for r in winners) == list(range(20))
    # The first press in queue order wins.
    assert query(store.path, "SELECT DISTINCT state FROM pending_actions") == [("confirmed",)]


# ------------------------------------------------------------------------------------------ audit


async def test_recent_audit_newest_first(store: Store) -> None:
    for n in range(5):
        await store.add_audit(111, f"action{n}", f"detail {n}", "ok", at=NOW + n)

    entries = await store.recent_audit()

    assert [(e.action, e.detail, e.at, e.operator_id, e.result) for e in entries] == [
        (f"action{n}", f"detail {n}", NOW + n, 111, "ok") for n in reversed(range(5))
    ]
    assert [e.action for e in await store.recent_audit(limit=2)] == ["action4", "action3"]


# ------------------------------------------------------------------------------------------ lifecycle


async def test_close_flushes_queued_writes(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "k.db")
    tasks = [asyncio.create_task(store.add_ack("demo", u, None, None, "channel")) for u in range(50)]
    await asyncio.sleep(0)  # every task has queued its write, none committed yet
    assert store.commits == 0

    await store.close()

    assert await asyncio.gather(*tasks) == [True] * 50
    assert query(tmp_path / "k.db", "SELECT COUNT(*) FROM acks") == [(50,)]
    await store.close()  # a second close is harmless
    with pytest.raises(WriteFailed, match="the store is closed"):
        await store.add_ack("demo", 99, None, None, "channel")


async def test_data_survives_reopen(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "k.db")
    try:
        await store.add_ack("demo", 1, None, None, "channel")
    finally:
        await store.close()

    store = await Store.open(tmp_path / "k.db")
    try:
        assert await store.has_acked("demo", 1)
        assert await store.add_ack("demo", 1, None, None, "channel") is False
    finally:
        await store.close()


async def test_open_creates_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "k.db"

    store = await Store.open(path)
    try:
        assert path.is_file()
    finally:
        await store.close()


def _under_a_file(tmp_path: Path) -> tuple[Path, str]:
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    return blocker / "k.db", f"cannot create the database folder {blocker}"


def _is_a_folder(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "adir"
    path.mkdir()
    return path, f"the database {path} cannot be opened for writing"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_under_a_file, id="folder-is-a-file"),
        pytest.param(_is_a_folder, id="path-is-a-folder"),
    ],
)
async def test_open_unwritable_place(tmp_path: Path, make: Callable[[Path], tuple[Path, str]]) -> None:
    path, message = make(tmp_path)
    with pytest.raises(StoreUnavailable) as info:
        await Store.open(path)

    assert str(info.value).startswith(message)
    assert "storage.sqlite_path" in str(info.value)


#: Store.open(argv[1]) in a fresh interpreter: prints why it failed, or exits 1 if it opened.
OPEN_IN_A_CHILD = """
import asyncio, sys
from pathlib import Path
from kooch.store import Store, StoreUnavailable

async def main():
    try:
        store = await Store.open(Path(sys.argv[1]))
    except StoreUnavailable as exc:
        print(exc)
    else:
        await store.close()
        sys.exit("the database opened")

asyncio.run(main())
"""

#: The capabilities by which root writes, reads and searches where the permissions say no.
ROOT_OVERRIDES = "-dac_override,-dac_read_search"


def open_as_root_without_overrides(path: Path) -> str:
    """Why Store.open(path) fails in a child that is root but bound by permissions like any user.

    setpriv (util-linux, in every Debian) takes the capabilities out of the bounding set, so the
    interpreter it starts never has them. The child stays uid 0 rather than becoming nobody, so it
    can still run the Python installed under /root and reach tmp_path (both private to root).
    """
    drop = [f"--inh-caps={ROOT_OVERRIDES}", f"--bounding-set={ROOT_OVERRIDES}"]
    child = subprocess.run(
        ["setpriv", *drop, "--", sys.executable, "-c", OPEN_IN_A_CHILD, str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    return child.stdout.strip()


async def test_open_in_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    path = folder / "k.db"
    try:
        if os.geteuid() == 0:
            message = open_as_root_without_overrides(path)
        else:
            with pytest.raises(StoreUnavailable) as info:
                await Store.open(path)
            message = str(info.value)
    finally:
        folder.chmod(0o700)  # so that tmp_path can be cleaned up

    assert message.startswith(f"the database {path} cannot be opened for writing")
    assert "storage.sqlite_path" in message
    assert not path.exists()


async def test_open_database_of_a_newer_kooch(tmp_path: Path) -> None:
    path = tmp_path / "k.db"
    await (await Store.open(path)).close()
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("INSERT INTO schema_migrations VALUES ('9999_future', 0)")

    with pytest.raises(MigrationError, match="newer Kooch"):
        await Store.open(path)


async def test_open_rejects_a_bad_synchronous(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous must be FULL or NORMAL, not 'OFF'"):
        await Store.open(tmp_path / "k.db", synchronous="OFF")


async def test_commit_failure_raises_write_failed_then_recovers(store: Store) -> None:
    assert await store.add_ack("demo", 1, None, None, "channel") is True
    await store._writer.execute("PRAGMA query_only=1")

    results = await asyncio.gather(
        store.add_ack("demo", 2, None, None, "channel"),
        store.record_start(2, "fa", "channel"),
        return_exceptions=True,
    )

    assert [type(r) for r in results] == [WriteFailed, WriteFailed]
    assert "readonly" in str(results[0])
    assert not await store.has_acked("demo", 2)

    await store._writer.execute("PRAGMA query_only=0")

    assert await store.add_ack("demo", 2, None, None, "channel") is True
    assert await store.acks_of_channel("demo") == [(1, None, "channel"), (2, None, "channel")]
    assert await store.started_count() == 0


async def _close_even_if_the_writer_died(store: Store) -> None:
    try:
        await store.close()
    except TypeError:  # the dead writer task re-raises its error (the bug below)
        await store._writer.close()
        await store._reader.close()


async def test_non_sqlite_error_fails_one_write_and_the_store_goes_on(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "k.db")
    try:
        with pytest.raises((TypeError, WriteFailed)):
            await asyncio.wait_for(store.create_pending("announce", 1, {"bad": object()}), timeout=2)
        assert await asyncio.wait_for(store.add_ack("demo", 1, None, None, "channel"), timeout=2) is True
    finally:
        await _close_even_if_the_writer_died(store)
