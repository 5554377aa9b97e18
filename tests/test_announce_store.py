"""The announcements' repository on both backends (SQLite, PostgreSQL): the posted announcements."""

from __future__ import annotations

import pytest

from kooch.announce.store import AnnouncementStore
from kooch.store import Store
from tests.kit import committed

NOW = 1_700_000_000.0


@pytest.fixture
def announcements(store: Store) -> AnnouncementStore:
    return AnnouncementStore(store)


# ------------------------------------------------------------------------------------------ announcements


async def test_announcements_current_and_replace(announcements: AnnouncementStore) -> None:
    assert await announcements.current_announcement("demo") is None

    await announcements.add_announcement(
        "demo", -1001, 10, posted_by=111, content_hash="h1", pinned=True, at=NOW
    )
    await announcements.add_announcement(
        "other", -1002, 5, posted_by=111, content_hash="o1", pinned=False, at=NOW
    )
    first = await announcements.current_announcement("demo")
    assert first is not None
    assert (first.channel, first.chat_id, first.message_id, first.posted_at, first.posted_by) == (
        "demo",
        -1001,
        10,
        NOW,
        111,
    )
    assert (first.content_hash, first.pinned) == ("h1", True)

    await announcements.add_announcement(
        "demo", -1001, 11, posted_by=222, content_hash="h2", pinned=False, at=NOW + 1
    )

    second = await announcements.current_announcement("demo")
    assert second is not None
    assert (second.message_id, second.posted_by, second.content_hash, second.pinned) == (11, 222, "h2", False)
    assert second.id > first.id
    assert await committed(
        announcements.store, "SELECT message_id, current FROM announcements WHERE channel = 'demo'"
    ) == [
        (10, 0),
        (11, 1),
    ]
    # Another channel's announcement is untouched.
    other = await announcements.current_announcement("other")
    assert other is not None
    assert other.message_id == 5
