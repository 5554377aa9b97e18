"""The insight aggregates (migration 0005) and the retention job, on both backends (SQLite,
PostgreSQL): counts follow inserts, /forget and retention exactly, and stay fast to read."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from kooch.insight.clicks import ClickLog
from kooch.insight.store import BUCKET_S, InsightStore
from kooch.operators.audit import AuditLog
from kooch.operators.pending import PendingActions
from kooch.store import Store
from kooch.store.db import Database
from kooch.store.migrations import discover, migrate
from kooch.subscribers.store import SubscriberStore

NOW = 1_800_000_000.0  # a fixed "now", on a slot boundary plus a bit
DAY = 86400.0


@pytest.fixture
def subscribers(store: Store) -> SubscriberStore:
    return SubscriberStore(store)


async def bucket_rows(store: Store) -> list[tuple[str, str, int, int, int]]:
    return [
        (str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]))
        for r in await store.reader.fetch(
            "SELECT channel, service, bucket, live, archived FROM ack_buckets"
            " ORDER BY channel, bucket, service"
        )
    ]


async def truth(store: Store) -> dict[tuple[str, str, int], int]:
    """What the buckets must say, computed from the acks rows themselves."""
    out: dict[tuple[str, str, int], int] = {}
    for channel, service, at in await store.reader.fetch(
        "SELECT channel, COALESCE(service, ''), acked_at FROM acks"
    ):
        key = (str(channel), str(service), int(at // BUCKET_S) * BUCKET_S)
        out[key] = out.get(key, 0) + 1
    return out


async def totals_agree(store: Store) -> bool:
    """ack_totals (live) says what the acks rows say, per channel and service."""
    totals = {
        (str(c), str(s)): int(n)
        for c, s, n in await store.reader.fetch(
            "SELECT channel, service, live FROM ack_totals WHERE live <> 0"
        )
    }
    per_service: dict[tuple[str, str], int] = {}
    for (channel, service, _), n in (await truth(store)).items():
        per_service[(channel, service)] = per_service.get((channel, service), 0) + n
    return totals == per_service


async def test_buckets_follow_inserts_forget_and_updates(store: Store, subscribers: SubscriberStore) -> None:
    await subscribers.add_ack("demo", 1, "A", "fa", "post", at=NOW - 10)
    await subscribers.add_ack("demo", 2, "B", "en", "post", at=NOW - 5, service="gap")
    # A repeated tap: no row, no count.
    await subscribers.add_ack("demo", 2, "B", "en", "post", at=NOW - 4)
    await subscribers.add_ack("news", 1, "A", "fa", "site", at=NOW - 2 * DAY)

    live = {(c, s, b): n for c, s, b, n, _ in await bucket_rows(store) if n}
    assert live == await truth(store)
    assert sum(live.values()) == 3
    assert await totals_agree(store)

    # /forget removes the person's rows, and the counts with them: a tap after /forget is a new one.
    assert await subscribers.forget_user(1) == 2
    live = {(c, s, b): n for c, s, b, n, _ in await bucket_rows(store) if n}
    assert live == await truth(store) == {("demo", "gap", int((NOW - 5) // BUCKET_S) * BUCKET_S): 1}
    assert await totals_agree(store)

    async def move(db: Database) -> None:
        await db.execute("UPDATE acks SET service = 'soroush', acked_at = ? WHERE user_id = 2", (NOW - DAY,))

    await store.write(move)
    live = {(c, s, b): n for c, s, b, n, _ in await bucket_rows(store) if n}
    assert live == await truth(store)
    assert await totals_agree(store)


async def test_ack_counts_are_exact_at_the_24_hour_edge(store: Store, subscribers: SubscriberStore) -> None:
    start = NOW - DAY
    # Around the window's start, inside one slot: two just before, three just after.
    for i, at in enumerate([start - 2, start - 1, start, start + 1, start + 60, NOW - 1]):
        await subscribers.add_ack("demo", i, None, None, "post", at=at)
    counts = await subscribers.ack_counts(["demo", "other"], now=NOW)
    assert (counts["demo"].total, counts["demo"].last_24h) == (6, 4)
    assert (counts["other"].total, counts["other"].last_24h) == (0, 0)


async def test_chart_slots_split_the_slot_cut_by_the_24_hour_edge_as_ack_counts_do(
    store: Store, subscribers: SubscriberStore
) -> None:
    now = NOW + 300  # the window starts 5 minutes into a slot
    start = now - DAY
    taps = [
        (start - 2 * DAY, None),
        (start - 250, "gap"),
        (start - 1, None),
        (start, "gap"),
        (start + 500, None),
    ]
    for i, (at, service) in enumerate([*taps, (now - 200, None), (now - 1, "gap")]):
        await subscribers.add_ack("demo", i, None, None, "post", at=at, service=service)
    slots = await InsightStore(store).chart_slots(["demo"], start - 3 * DAY, now)
    assert slots.by_service
    cut = int(start) // BUCKET_S * BUCKET_S
    # Each slot at its end; the cut one in two: what came before the window ends at its start;
    # the one still running by the minute.
    assert slots.slots == (
        ("", start - 2 * DAY + BUCKET_S - 300, 1),
        ("", start, 1),
        ("gap", start, 1),
        ("", cut + BUCKET_S, 1),
        ("gap", cut + BUCKET_S, 1),
        ("", NOW + 120, 1),
        ("gap", now, 1),
    )
    inside = sum(n for _, end, n in slots.slots if end > start)
    assert inside == (await subscribers.ack_counts(["demo"], now=now))["demo"].last_24h == 4


async def test_retention_deletes_exactly_what_is_older_and_counts_stay(
    store: Store, subscribers: SubscriberStore
) -> None:
    cutoff = NOW - 30 * DAY
    for i in range(10):
        await subscribers.add_ack(
            "demo", 100 + i, "Old", "fa", "post", at=cutoff - 1 - i * 3600, service="gap"
        )
    await subscribers.add_ack("demo", 200, "Edge", "fa", "post", at=cutoff)  # exactly at the cutoff: kept
    for i in range(5):
        await subscribers.add_ack("demo", 300 + i, "New", "en", "post", at=NOW - i * 60)
    await subscribers.record_start(100, "fa", None, at=cutoff - 5)
    await subscribers.record_start(300, "en", "site", at=NOW - 10)
    before_counts = await subscribers.ack_counts(["demo"], now=NOW)
    before_started = await subscribers.started_count()
    before_buckets = {(c, s, b): n + a for c, s, b, n, a in await bucket_rows(store)}

    result = await InsightStore(store).delete_older_than(cutoff, chunk=3)  # several chunks

    assert (result.acks, result.subscribers) == (10, 1)
    assert [r[0] for r in await store.reader.fetch("SELECT user_id FROM acks ORDER BY user_id")] == [
        200,
        300,
        301,
        302,
        303,
        304,
    ]
    assert [r[0] for r in await store.reader.fetch("SELECT user_id FROM subscribers")] == [300]
    # Every count is unchanged: totals, the 24 hours, the started users, and each slot of the chart.
    assert await subscribers.ack_counts(["demo"], now=NOW) == before_counts
    assert await subscribers.started_count() == before_started == 2
    after = await bucket_rows(store)
    assert {(c, s, b): n + a for c, s, b, n, a in after} == before_buckets
    assert sum(a for *_, a in after) == 10
    assert {(c, s, b): n for c, s, b, n, _ in after if n} == await truth(store)
    assert await totals_agree(store)
    # Running it again finds nothing more.
    again = await InsightStore(store).delete_older_than(cutoff)
    assert again.total == 0


async def test_retention_covers_the_audit_and_used_confirmations(store: Store) -> None:
    cutoff = NOW - 30 * DAY
    audit, pending = AuditLog(store), PendingActions(store)
    for i in range(4):
        await audit.add(4242, "stats", "/stats", "ok", at=cutoff - 1 - i)
    await audit.refused(7, "stats", at=cutoff - 1)
    await audit.add(4242, "stats", "/stats", "ok", at=cutoff)  # exactly at the cutoff: kept
    used = await pending.create("announce", 4242, {}, at=cutoff - 60)
    await pending.take(used, "announce", "done")
    waiting = await pending.create("schedule", 4242, {}, at=cutoff - 60)

    result = await InsightStore(store).delete_older_than(cutoff, chunk=2)

    assert (result.acks, result.subscribers, result.audit, result.confirmations) == (0, 0, 5, 1)
    assert result.total == 6
    assert [e.at for e in await audit.recent()] == [cutoff]
    assert [r[0] for r in await store.reader.fetch("SELECT id FROM pending_actions")] == [waiting]
    if store.dialect == "sqlite":
        assert store.path.with_name("k.db-wal").stat().st_size == 0  # emptied, as after /forget


async def test_click_buckets_count_people_and_bots(store: Store) -> None:
    rows = [
        (NOW - 10, "gap", "demo", "post", "android", 0),
        (NOW - 9, "gap", "demo", "post", "ios", 0),
        (NOW - 8, "gap", "demo", None, "other", 1),
        (NOW - 7, "bale", None, None, "desktop", 0),
    ]

    async def insert(db: Database) -> None:
        await db.executemany(
            "INSERT INTO clicks (at, service, channel, source, platform, is_bot) VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )

    await store.write(insert)
    insight = InsightStore(store)
    clicks = await insight.clicks_by_channel(["demo", "news"])
    assert (clicks["demo"].humans, clicks["demo"].bots) == (2, 1)
    assert (clicks["news"].humans, clicks["news"].bots) == (0, 0)
    services = await ClickLog(store).by_service()
    assert {k: (v.humans, v.bots) for k, v in services.items()} == {"gap": (2, 1), "bale": (1, 0)}
    assert set(await ClickLog(store).by_service(["news"])) == set()

    async def delete(db: Database) -> None:
        await db.execute("DELETE FROM clicks WHERE is_bot = 1")

    await store.write(delete)
    assert (await insight.clicks_by_channel(["demo"]))["demo"].bots == 0


def test_migration_backfills_aggregates_from_existing_rows(tmp_path: Path) -> None:
    """A database used before 0005 gets its counts from the rows already there."""
    db = tmp_path / "old.db"
    migrations = discover()
    before = [m for m in migrations if m.name < "0005"]
    migrate(db, before)
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.executemany(
            "INSERT INTO acks (channel, user_id, source, service, acked_at) VALUES (?, ?, 'post', ?, ?)",
            [("demo", 1, None, NOW), ("demo", 2, None, NOW + 1), ("demo", 3, "gap", NOW - DAY)],
        )
        conn.execute(
            "INSERT INTO clicks (at, service, channel, platform, is_bot) VALUES (?, 'gap', 'demo', 'ios', 0)",
            (NOW,),
        )
    conn.close()
    assert "0005_insight" in migrate(db, migrations)
    with closing(sqlite3.connect(db)) as conn, conn:
        buckets = conn.execute("SELECT service, live FROM ack_buckets ORDER BY bucket").fetchall()
        clicks = conn.execute("SELECT channel, service, humans, bots FROM click_buckets").fetchall()
    conn.close()
    assert buckets == [("gap", 1), ("", 2)]
    assert clicks == [("demo", "gap", 1, 0)]
