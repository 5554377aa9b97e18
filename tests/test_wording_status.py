"""The exact words of /status (kooch.announce.status): each posted announcement's sync state, the
moved state, scheduled announcements and the config in force.

Every wording function with fixed inputs and the full text expected, so a change of wording is
a change of this file too."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from kooch.announce.schedule.wording import (
    scheduled_line,
)
from kooch.announce.status import ChannelStatus, format_status, post_line
from kooch.announce.store import MovedState, PostedAnnouncement, ScheduledPost
from kooch.announce.sync.model import EditKind, PostStatus
from kooch.config import ConfigError
from kooch.config.reload import ReloadState
from tests.bidi_kit import plain
from tests.wording_kit import BOTH, CONFIG, DEMO, NEWS, NOW, TZ, at, scheduled


def posted(**changes: Any) -> PostedAnnouncement:
    row = PostedAnnouncement(
        id=1,
        channel="demo",
        chat_id=-100777,
        message_id=7,
        posted_at=at(14, 9, 5),
        current=True,
        posted_hash="h",
        text_hash=None,
        markup_hash=None,
        synced_at=at(15, 18, 0),
        gone_at=None,
        error=None,
        error_hash=None,
    )
    return replace(row, **changes)


def status_of(row: PostedAnnouncement, pending: EditKind | None = None) -> PostStatus:
    return PostStatus(row, pending)


HEAD = "📢 message 7, posted 2025-06-14 09:05"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (status_of(posted()), f"{HEAD} — ✅ matches the config (last synced 2025-06-15 18:00)"),
        (
            status_of(posted(current=False)),
            f"{HEAD} (an older one) — ✅ matches the config (last synced 2025-06-15 18:00)",
        ),
        (
            status_of(posted(gone_at=at(15, 12, 0)), "text"),
            f"{HEAD} — 🗑 deleted from the channel (noticed 2025-06-15 12:00); not synced",
        ),
        (
            status_of(posted(error="message to edit not found", error_hash="e1"), "text"),
            f"{HEAD} — ⚠️ not updated: Telegram said: message to edit not found",
        ),
        (
            status_of(posted(), "markup"),
            f"{HEAD} — ⏳ differs from the config, update under way (≤ 20 edits/min); "
            "last synced 2025-06-15 18:00",
        ),
        (
            # An error of an earlier version of the post: the new version is still to be tried.
            status_of(posted(error="message to edit not found"), "text"),
            f"{HEAD} — ⏳ differs from the config, update under way (≤ 20 edits/min); "
            "last synced 2025-06-15 18:00",
        ),
        (
            status_of(posted(error="message to edit not found")),
            f"{HEAD} — ⚠️ not updated: Telegram said: message to edit not found",
        ),
    ],
    ids=["synced", "older", "deleted", "refused", "pending", "pending-after-error", "error"],
)
def test_post_line(status: PostStatus, expected: str) -> None:
    assert post_line(status, TZ) == expected


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        (
            scheduled(3, at(15, 20, 0)),
            "⏰ #3: announcement scheduled for 2025-06-15 20:00 (Tehran time), in 1 h 30 min",
        ),
        (
            scheduled(2, at(15, 12, 0), "asked"),
            "⏰ #2: was due 2025-06-15 12:00 (Tehran time); the bot was down, "
            "waiting for an operator's decision",
        ),
        (
            scheduled(4, at(17, 19, 31, 5)),
            "⏰ #4: announcement scheduled for 2025-06-17 19:31 (Tehran time), in 2 d 1 h 1 min",
        ),
    ],
    ids=["open", "asked", "days-ahead"],
)
def test_scheduled_line(post: ScheduledPost, expected: str) -> None:
    assert scheduled_line(post, TZ, NOW) == expected


MOVED = MovedState("demo", -100777, "Kooch demo", "News.", 7, at(15, 10, 0), 4242, None)


def test_format_status_of_all_channels_with_a_broken_config_file() -> None:
    reload_state = ReloadState(
        loaded_at=at(15, 8, 0),
        broken_errors=(ConfigError("config.yaml", "channels[0].chat", "must be an @username", 3, 9),),
        broken_at=at(15, 9, 0),
        watching=True,
    )
    rows = [
        ChannelStatus(
            DEMO,
            [status_of(posted())],
            None,
            MOVED,
            [scheduled(3, at(15, 20, 0)), scheduled(2, at(15, 12, 0), "asked")],
        ),
        ChannelStatus(NEWS, [], 1234, None, []),
    ]
    assert plain(format_status(CONFIG, reload_state, rows, False, NOW)) == plain(
        "\n".join(
            [
                f"📡 Kooch status — {BOTH} — 2025-06-15 18:30 (Tehran time)",
                "⚙️ Config config.yaml, version v1, in force since 2025-06-15 08:00; watched for changes",
                "❌ The file was changed on 2025-06-15 09:00 but that version is invalid, so the config "
                "above stays in force:",
                "• channels[0].chat: must be an @username (line 3)",
                "",
                "@kooch_demo (Persian)",
                "  📢 message 7, posted 2025-06-14 09:05 — ✅ matches the "
                "config (last synced 2025-06-15 18:00)",
                "  🏷 moved state since 2025-06-15 10:00 (/moved undo demo)",
                "  ⏰ #3: announcement scheduled for 2025-06-15 20:00 (Tehran time), in 1 h 30 min",
                "  ⏰ #2: was due 2025-06-15 12:00 (Tehran time); the bot was down, "
                "waiting for an operator's decision",
                "",
                "news (-1001234) (English)",
                "  📢 no announcement posted yet (/announce)",
                "  🔢 live counter on: shows 1,234, updated at most every minute",
            ]
        )
    )


def test_format_status_of_one_channel_before_its_counter_is_known() -> None:
    undone = replace(MOVED, channel="news", undone_at=at(15, 11, 0))
    rows = [ChannelStatus(NEWS, [], None, undone, [])]
    reload_state = ReloadState(loaded_at=at(15, 8, 0))
    assert plain(format_status(CONFIG, reload_state, rows, True, NOW)) == plain(
        "\n".join(
            [
                "📡 Kooch status — news (-1001234) — 2025-06-15 18:30 (Tehran time)",
                "⚙️ Config config.yaml, version v1, in force since 2025-06-15 08:00; "
                "not watched: use /reload after editing",
                "",
                "news (-1001234) (English)",
                "  📢 no announcement posted yet (/announce)",
                "  🔢 live counter on: shows …, updated at most every minute",
            ]
        )
    )
    assert plain(format_status(CONFIG, None, rows, True, NOW).splitlines()[:2]) == plain(
        [
            "📡 Kooch status — news (-1001234) — 2025-06-15 18:30 (Tehran time)",
            "",
        ]
    )
