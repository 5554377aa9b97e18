"""The store engine on both backends (a real SQLite file, a real PostgreSQL database): group commit,
the batched lane, opening, failures; and what only SQLite has (its file, WAL and secure_delete).

The repositories over it are tested with their features (test_subscribers_store.py, …); what only
PostgreSQL has (its migrations' lock, migrate-db) in test_store_postgresql.py."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from kooch.store import BatchedInsert, MigrationError, Store, StoreUnavailable, WriteFailed
from kooch.store.db import Database
from kooch.subscribers.store import SubscriberStore
from tests.kit import committed, eventually

ROOT = Path(__file__).resolve().parents[1]
NOW = 1_700_000_000.0


def taps(store: Store) -> SubscriberStore:
    """The taps' repository: the batched lane's real user."""
    return SubscriberStore(store)


# ------------------------------------------------------------------------------------------ batched lane


async def test_a_name_with_a_lone_surrogate_is_stored_and_fails_no_one(store: Store, tmp_path: Path) -> None:
    """Telegram's JSON can carry a lone surrogate (\\ud800) that UTF-8 cannot encode: in a batch of
    301 taps it used to fail the whole commit, three times over."""
    names = [f"U{i}" for i in range(301)]
    names[150] = "bad\ud800name"
    results = await asyncio.gather(
        *(taps(store).add_ack("demo", 1000 + i, name, "fa", "post", at=NOW) for i, name in enumerate(names))
    )
    assert results == [True] * 301
    assert await committed(store, "SELECT first_name FROM acks WHERE user_id = 1150") == [("bad\ufffdname",)]


async def test_a_tap_that_breaks_its_batch_fails_alone(store: Store, tmp_path: Path) -> None:
    """A value that no rule makes storable (here a language code with a lone surrogate) fails its
    own write only: the batch is halved until the offending tap is alone, the others commit."""
    languages = ["fa"] * 64
    languages[17] = "f\udc80"
    outcomes = await asyncio.gather(
        *(
            taps(store).add_ack("demo", 2000 + i, "N", lang, "post", at=NOW)
            for i, lang in enumerate(languages)
        ),
        return_exceptions=True,
    )
    failed = [i for i, o in enumerate(outcomes) if isinstance(o, WriteFailed)]
    assert failed == [17]
    assert all(o is True for i, o in enumerate(outcomes) if i != 17)
    stored = {u for (u,) in await committed(store, "SELECT user_id FROM acks")}
    assert stored == {2000 + i for i in range(64)} - {2017}


async def test_concurrent_acks_are_group_committed(store: Store) -> None:
    users = list(range(1, 501))
    repeats = users[::5]  # 100 users tap twice

    results = await asyncio.gather(
        *(taps(store).add_ack("demo", u, None, "fa", "channel") for u in [*users, *repeats])
    )

    assert len(repeats) == 100
    assert results.count(True) == 500
    assert results.count(False) == 100
    assert results[500:] == [False] * 100  # the repeats were queued after the first taps
    assert await committed(store, "SELECT COUNT(*), COUNT(DISTINCT user_id) FROM acks") == [(500, 500)]
    assert (await taps(store).ack_counts(["demo"]))["demo"].total == 500
    # 600 writes, a handful of transactions.
    assert 1 <= store.commits <= 600 // 20


#: A scratch table of two batched lanes: (a, b) keys, and plain ones.
SCRATCH = "CREATE TABLE scratch (lane TEXT, k INTEGER, v TEXT, PRIMARY KEY (lane, k))"


def lane(name: str) -> BatchedInsert:
    return BatchedInsert(
        f"INSERT INTO scratch (lane, k, v) SELECT '{name}', json_extract(value, '$[0]'),"
        " json_extract(value, '$[1]') FROM json_each(?) WHERE true"
        " ON CONFLICT (lane, k) DO NOTHING RETURNING k",
        key_width=1,
        postgresql=f"INSERT INTO scratch (lane, k, v) SELECT '{name}', k, v"
        " FROM unnest($1::integer[], $2::text[]) AS r (k, v)"
        " ON CONFLICT (lane, k) DO NOTHING RETURNING k",
    )


async def test_two_lanes_share_a_transaction_and_keep_their_keys_apart(store: Store) -> None:
    await store.write(lambda db: db.execute(SCRATCH))
    commits = store.commits
    a, b = lane("a"), lane("b")

    results = await asyncio.gather(
        store.insert_batched(a, (1, "a1")),
        store.insert_batched(b, (1, "b1")),  # the same key in another lane: a first too
        store.insert_batched(a, (1, "again")),  # a repeat in the same batch
        store.insert_batched(a, (2, "a2")),
    )

    assert list(results) == [True, True, False, True]
    assert store.commits == commits + 1
    assert await committed(store, "SELECT lane, k, v FROM scratch ORDER BY lane, k") == [
        ("a", 1, "a1"),
        ("a", 2, "a2"),
        ("b", 1, "b1"),
    ]
    assert await store.insert_batched(b, (1, "later")) is False


def count_op(name: str, value: int | None) -> Callable[[Database], Any]:
    async def op(db: Database) -> None:
        await db.execute("INSERT INTO insight_counters (name, value) VALUES (?, ?)", (name, value))

    return op


async def test_one_bad_write_fails_alone(store: Store) -> None:
    """A constraint error rolls back to that write's savepoint; the batch still commits."""
    results = await asyncio.gather(
        store.write(count_op("first", 1)),
        store.write(count_op("bad", None)),  # NOT NULL
        store.write(count_op("third", 3)),
        return_exceptions=True,
    )

    assert results[0] is None
    assert isinstance(results[1], WriteFailed)
    assert {
        "sqlite": "NOT NULL constraint failed: insight_counters.value",
        "postgresql": 'null value in column "value" of relation "insight_counters"',
    }[store.dialect] in str(results[1])
    assert results[2] is None
    assert await committed(store, "SELECT name, value FROM insight_counters ORDER BY name") == [
        ("first", 1),
        ("third", 3),
    ]
    assert store.commits == 1


# ------------------------------------------------------------------------------------------ deleting for good

SECRET = "Shirin-zq7Lx-secret"


def on_disk(db: Path) -> bytes:
    """The database file and its WAL, as bytes: what a copy of the folder would carry."""
    wal = db.with_name(db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def test_deleted_rows_are_overwritten_and_the_wal_emptied(sqlite_store: Store) -> None:
    store = sqlite_store
    await taps(store).add_ack("demo", 7_312_456_789, SECRET, "fa", "post", at=NOW)
    assert SECRET.encode() in on_disk(store.path)

    async def forget(db: Database) -> None:
        await db.execute("DELETE FROM acks")

    await store.write(forget)
    # Deleted but still in the WAL: the page as it was before the delete is one of its frames.
    assert SECRET.encode() in on_disk(store.path)

    assert await store.checkpoint() is True

    assert store.path.with_name("k.db-wal").stat().st_size == 0
    assert SECRET.encode() not in on_disk(store.path)  # secure_delete zeroed the row in its page
    assert not store.checkpoint_owed
    # Set by the store, whatever the SQLite build's default (Debian's is on, SQLite's own is off).
    assert await store.reader.fetchrow("PRAGMA secure_delete") == (1,)


async def test_a_checkpoint_a_reader_holds_up_is_finished_once_it_ends(sqlite_store: Store) -> None:
    store = sqlite_store
    await taps(store).add_ack("demo", 1, SECRET, "fa", "post", at=NOW)
    store.CHECKPOINT_RETRY_S = 0.05  # retry at once in this test; the default spares the disk
    with closing(sqlite3.connect(store.path)) as export:
        export.execute("BEGIN")
        export.execute("SELECT COUNT(*) FROM acks").fetchone()  # a snapshot, as an export holds
        await store.write(lambda db: db.execute("DELETE FROM acks"))

        assert await store.checkpoint() is False
        assert store.checkpoint_owed
        assert SECRET.encode() in on_disk(store.path)  # the reader's snapshot still needs it
        export.execute("COMMIT")

    # The writer tries again by itself (its retry timer, no write to wake it).
    await eventually(lambda: not store.checkpoint_owed, "the owed checkpoint finished", on=store)
    assert store.path.with_name("k.db-wal").stat().st_size == 0
    assert SECRET.encode() not in on_disk(store.path)


# ------------------------------------------------------------------------------------------ lifecycle


async def test_close_flushes_queued_writes(store: Store) -> None:
    tasks = [asyncio.create_task(taps(store).add_ack("demo", u, None, None, "channel")) for u in range(50)]
    await asyncio.sleep(0)  # every task has queued its write, none committed yet
    assert store.commits == 0

    await store.close()

    assert await asyncio.gather(*tasks) == [True] * 50
    assert await committed(store, "SELECT COUNT(*) FROM acks") == [(50,)]
    await store.close()  # a second close is harmless
    with pytest.raises(WriteFailed, match="the store is closed"):
        await taps(store).add_ack("demo", 99, None, None, "channel")


async def reopen(store: Store) -> Store:
    """The same database opened anew, as a restart does."""
    if store.url is not None:
        return await Store.open_postgresql(store.url, store.files)
    return await Store.open(store.path)


async def test_data_survives_reopen(store: Store) -> None:
    await taps(store).add_ack("demo", 1, None, None, "channel")
    await store.close()

    store = await reopen(store)
    try:
        assert await taps(store).has_acked("demo", 1)
        assert await taps(store).add_ack("demo", 1, None, None, "channel") is False
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


#: How each backend's writer is made read-only, and back, and the words of the refusal.
READ_ONLY = {
    "sqlite": ("PRAGMA query_only=1", "PRAGMA query_only=0", "readonly"),
    "postgresql": (
        "SET default_transaction_read_only = on",
        "SET default_transaction_read_only = off",
        "read-only transaction",
    ),
}


async def test_commit_failure_raises_write_failed_then_recovers(store: Store) -> None:
    """The database itself refusing (read-only here) fails the whole batch, not a write alone."""
    read_only, writable, words = READ_ONLY[store.dialect]
    assert await taps(store).add_ack("demo", 1, None, None, "channel") is True
    await store._writer.execute(read_only)

    results = await asyncio.gather(
        taps(store).add_ack("demo", 2, None, None, "channel"),
        taps(store).record_start(2, "fa", "channel"),
        return_exceptions=True,
    )

    assert [type(r) for r in results] == [WriteFailed, WriteFailed]
    assert words in str(results[0])
    assert not await taps(store).has_acked("demo", 2)

    await store._writer.execute(writable)

    assert await taps(store).add_ack("demo", 2, None, None, "channel") is True
    assert await taps(store).acks_of_channel("demo") == [(1, None, "channel"), (2, None, "channel")]
    assert await taps(store).started_count() == 0


async def _close_even_if_the_writer_died(store: Store) -> None:
    try:
        await store.close()
    except TypeError:  # the dead writer task re-raises its error (the bug below)
        await store._backend.close()


async def unjsonable(db: Database) -> None:
    """A write that fails in Python, not in the database (what json.dumps of an object raises)."""
    raise TypeError("Object of type object is not JSON serializable")


async def test_non_database_error_fails_one_write_and_the_store_goes_on(store: Store) -> None:
    try:
        with pytest.raises((TypeError, WriteFailed)):
            await asyncio.wait_for(store.write(unjsonable), timeout=2)
        assert (
            await asyncio.wait_for(taps(store).add_ack("demo", 1, None, None, "channel"), timeout=2) is True
        )
    finally:
        await _close_even_if_the_writer_died(store)
