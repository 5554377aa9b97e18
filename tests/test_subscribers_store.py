"""The subscribers' repository on both backends (a real SQLite file, a real PostgreSQL database):
taps, counts, starts, /forget."""

from __future__ import annotations

import pytest

from kooch.store import Store, WriteFailed
from kooch.store.db import Database
from kooch.subscribers.store import AckCounts, SubscriberStore
from tests.kit import committed

DAY = 86400.0
NOW = 1_700_000_000.0


@pytest.fixture
def subscribers(store: Store) -> SubscriberStore:
    return SubscriberStore(store)


# ------------------------------------------------------------------------------------------ acks


async def test_add_ack_first_then_repeat(subscribers: SubscriberStore) -> None:
    assert await subscribers.add_ack("demo", 42, "Sara", "fa", "channel", at=NOW) is True
    assert await subscribers.add_ack("demo", 42, "Sara", "fa", "start", at=NOW + 5) is False
    # The same user in another channel is a new ack.
    assert await subscribers.add_ack("other", 42, "Sara", "fa", "channel", at=NOW) is True

    assert await subscribers.has_acked("demo", 42)
    assert not await subscribers.has_acked("demo", 43)
    # The first tap is kept as it was.
    assert await subscribers.acks_of_channel("demo") == [(42, "fa", "channel")]
    assert await committed(
        subscribers.store, "SELECT first_name, acked_at FROM acks WHERE channel = 'demo'"
    ) == [("Sara", NOW)]


async def test_ack_counts(subscribers: SubscriberStore) -> None:
    taps = [
        ("demo", 1, NOW - 10),  # recent
        ("demo", 2, NOW - DAY),  # exactly 24 h ago: still counted as recent
        ("demo", 3, NOW - DAY - 1),  # older
        ("demo", 4, NOW - 5 * DAY),  # older
        ("other", 1, NOW - 60),  # recent
        ("unasked", 1, NOW),  # not asked for
    ]
    for channel, user, at in taps:
        await subscribers.add_ack(channel, user, None, None, "channel", at=at)

    counts = await subscribers.ack_counts(["demo", "other", "empty"], now=NOW)

    assert counts == {
        "demo": AckCounts(total=4, last_24h=2),
        "other": AckCounts(total=1, last_24h=1),
        "empty": AckCounts(total=0, last_24h=0),
    }
    # A day later, nothing is recent any more.
    later = await subscribers.ack_counts(["demo"], now=NOW + 2 * DAY)
    assert later == {"demo": AckCounts(total=4, last_24h=0)}


# ------------------------------------------------------------------------------------------ starts


async def test_record_start_keeps_the_first_source(subscribers: SubscriberStore) -> None:
    await subscribers.record_start(7, "fa", "channel_demo", at=NOW)
    await subscribers.record_start(7, "en", "friend", at=NOW + 60)
    await subscribers.record_start(8, "en", None, at=NOW)
    await subscribers.record_start(8, "en", "later", at=NOW + 60)  # fills the gap

    assert await subscribers.started_count() == 2
    # The last 0: reminders not turned off (subscribers.reminders_off, migration 0016).
    assert await committed(subscribers.store, "SELECT * FROM subscribers ORDER BY user_id") == [
        (7, "en", "channel_demo", NOW, NOW + 60, 0, 0),
        (8, "en", "later", NOW, NOW + 60, 0, 0),
    ]


async def test_record_start_unblocks(subscribers: SubscriberStore) -> None:
    await subscribers.record_start(7, "fa", "x", at=NOW)
    await subscribers.store.write(
        lambda db: db.execute("UPDATE subscribers SET blocked = 1 WHERE user_id = 7")
    )

    await subscribers.record_start(7, "fa", "x", at=NOW + 1)

    assert await committed(subscribers.store, "SELECT blocked FROM subscribers WHERE user_id = 7") == [(0,)]


async def test_forget_user(subscribers: SubscriberStore) -> None:
    await subscribers.add_ack("demo", 7, "Sara", "fa", "channel", at=NOW)
    await subscribers.add_ack("other", 7, "Sara", "fa", "channel", at=NOW)
    await subscribers.record_start(7, "fa", "channel", at=NOW)
    await subscribers.add_ack("demo", 8, "Ali", "fa", "channel", at=NOW)
    await subscribers.record_start(8, "fa", "channel", at=NOW)

    assert await subscribers.forget_user(7) == 3

    assert await committed(subscribers.store, "SELECT COUNT(*) FROM acks WHERE user_id = 7") == [(0,)]
    assert await committed(subscribers.store, "SELECT COUNT(*) FROM subscribers WHERE user_id = 7") == [(0,)]
    # Someone else's rows stay.
    assert await subscribers.acks_of_channel("demo") == [(8, "fa", "channel")]
    assert await subscribers.started_count() == 1
    # Nothing left to forget.
    assert await subscribers.forget_user(7) == 0


async def test_forget_runs_every_eraser_in_its_one_transaction(store: Store) -> None:
    seen: list[int] = []

    async def campaigns_part(db: Database, user_id: int) -> int:
        seen.append(user_id)
        return await db.execute("DELETE FROM campaign_recipients WHERE user_id = ?", (user_id,))

    async def broken_part(db: Database, user_id: int) -> int:
        raise ValueError("this feature's part failed")

    await SubscriberStore(store).add_ack("demo", 7, "Sara", "fa", "post", at=NOW)

    async def campaign(db: Database) -> None:
        await db.execute("INSERT INTO campaigns (id, created_at, texts, audience) VALUES (1, 0, '{}', '{}')")
        await db.execute("INSERT INTO campaign_recipients (campaign_id, user_id) VALUES (1, 7)")

    await store.write(campaign)

    # One part fails: nothing at all is forgotten, and the user is told so by the error.
    with pytest.raises(WriteFailed):
        await SubscriberStore(store, erasers=(campaigns_part, broken_part)).forget_user(7)
    assert await committed(store, "SELECT COUNT(*) FROM acks") == [(1,)]
    assert await committed(store, "SELECT COUNT(*) FROM campaign_recipients") == [(1,)]

    # Every part's rows count; the WAL (SQLite's) is emptied after.
    assert await SubscriberStore(store, erasers=(campaigns_part,)).forget_user(7) == 2
    assert seen == [7, 7]
    assert await committed(store, "SELECT COUNT(*) FROM campaign_recipients") == [(0,)]
    if store.dialect == "sqlite":
        assert store.path.with_name("k.db-wal").stat().st_size == 0


async def test_starts_by_source_and_reminders_turned_off(subscribers: SubscriberStore) -> None:
    await subscribers.record_start(7, "fa", "demo", at=NOW)
    await subscribers.record_start(8, "fa", "moved_demo", at=NOW)
    await subscribers.record_start(9, "fa", "moved_demo", at=NOW)
    await subscribers.set_reminders(9, on=False)
    assert await subscribers.starts_by_source(["demo", "moved_demo", "news"]) == {
        "demo": 1,
        "moved_demo": 2,
        "news": 0,
    }
    off = await committed(subscribers.store, "SELECT user_id FROM subscribers WHERE reminders_off = 1")
    assert off == [(9,)]


async def test_a_campaign_leaves_out_who_turned_reminders_off(subscribers: SubscriberStore) -> None:
    from kooch.campaigns.model import EVERYONE, UNMOVED, Audience
    from kooch.campaigns.store import CampaignStore

    for user_id in (7, 8):
        await subscribers.record_start(user_id, "fa", "moved_demo", at=NOW)
    await subscribers.set_reminders(8, on=False)
    campaigns = CampaignStore(subscribers.store)
    assert await campaigns.count_audience(Audience(UNMOVED)) == 1
    assert await campaigns.count_audience(Audience(EVERYONE)) == 1
