"""The exact words of scheduled announcements (kooch.announce.schedule.wording): the question, the
listing and the notices.

Every wording function with fixed inputs and the full text expected, so a change of wording is
a change of this file too."""

from __future__ import annotations

import pytest

from kooch.announce.post.model import PostOutcome
from kooch.announce.schedule.model import ScheduledPosted
from kooch.announce.schedule.wording import (
    interrupted_notice,
    overdue_question,
    schedule_confirmed,
    schedule_listing,
    schedule_question,
    scheduled_post_line,
    scheduled_posted_notice,
)
from kooch.telegram.post import Button, Post
from tests.bidi_kit import assert_reads_right, plain
from tests.wording_kit import CONFIG, DEMO, NOW, TZ, at, scheduled


def test_schedule_question_and_confirmation() -> None:
    assert plain(schedule_question([DEMO], True, at(15, 20, 0), TZ, NOW)) == (
        plain(
            "Schedule the announcement above for @kooch_demo?\n"
            "⏰ 15 Jun 2025 20:00 Tehran time — in 1 hour and 30 minutes\n"
            "It is posted with the config in force at that moment; /schedule lists and cancels."
        )
    )
    assert plain(schedule_confirmed([4, 5], ["demo", "news"], at(15, 20, 0), TZ, now=NOW)) == (
        "⏰ #4: demo, 15 Jun 2025 20:00 Tehran time — in 1 hour and 30 minutes\n"
        "⏰ #5: news, 15 Jun 2025 20:00 Tehran time — in 1 hour and 30 minutes\n"
        "/schedule lists and cancels."
    )
    persian = schedule_confirmed([4], ["demo"], at(15, 20, 0), TZ, "fa", now=NOW)
    assert plain(persian).splitlines()[0] == (
        "⏰ #۴: demo، ۲۵ خرداد ۱۴۰۴، ساعت ۲۰:۰۰ به وقت تهران — ۱ ساعت و ۳۰ دقیقه دیگر"
    )
    assert_reads_right([persian])


def test_schedule_listing() -> None:
    assert schedule_listing(CONFIG, [], NOW) == Post(
        "Nothing is scheduled. /announce [channel] at <time> or in <2h> schedules an announcement."
    )
    posts = [scheduled(3, at(15, 20, 0)), scheduled(2, at(15, 12, 0), "asked", channel="gone")]
    assert plain(schedule_listing(CONFIG, posts, NOW)) == plain(
        Post(
            "Scheduled announcements:\n"
            "⏰ #3: announcement scheduled for 2025-06-15 20:00 (Tehran time), in 1 h 30 min — @kooch_demo\n"
            "⏰ #2: was due 2025-06-15 12:00 (Tehran time); the bot was down, waiting for an operator's "
            "decision — gone (no longer in the config)",
            (
                (Button("✖️ Cancel #3", callback_data="schedule:drop:3"),),
                (Button("✖️ Cancel #2", callback_data="schedule:drop:2"),),
            ),
        )
    )


DUE = at(15, 20, 0)
POSTED = PostOutcome(DEMO, 8, pinned=True)


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (
            ScheduledPosted(scheduled(3, DUE), POSTED, DUE + 30),
            "⏰ Scheduled announcement #3 (due 2025-06-15 20:00 (Tehran time)):\n"
            "✅ @kooch_demo: posted (message 8), pinned",
        ),
        (
            ScheduledPosted(scheduled(3, DUE), POSTED, DUE + 600),
            "⏰ Scheduled announcement #3 (due 2025-06-15 20:00 (Tehran time), posted 10 min late "
            "(the bot was down)):\n✅ @kooch_demo: posted (message 8), pinned",
        ),
        (
            ScheduledPosted(scheduled(3, DUE), POSTED, DUE + 7200, decided=True),
            "⏰ Scheduled announcement #3 (due 2025-06-15 20:00 (Tehran time), posted 2 h late):\n"
            "✅ @kooch_demo: posted (message 8), pinned",
        ),
        (
            ScheduledPosted(scheduled(3, DUE, channel="gone"), None, DUE),
            "⏰ Scheduled announcement #3 (due 2025-06-15 20:00 (Tehran time)):\n"
            "❌ gone: no longer in the config; nothing posted.",
        ),
    ],
    ids=["on-time", "late-after-restart", "late-by-decision", "channel-gone"],
)
def test_scheduled_posted_notice(result: ScheduledPosted, expected: str) -> None:
    assert plain(scheduled_posted_notice(result, TZ)) == plain(expected)
    assert plain(scheduled_post_line(result)) == plain(expected.split("\n", 1)[1])


def test_what_start_up_tells_the_operators() -> None:
    assert interrupted_notice(scheduled(5, at(15, 18, 0), "posting")) == (
        "⚠️ Scheduled announcement #5 for demo was being posted when the bot stopped. "
        "Check the channel; /announce posts it again if it is missing."
    )
    assert overdue_question(scheduled(2, at(15, 12, 0), "asked"), TZ, NOW, 900) == Post(
        "⏰ Scheduled announcement #2 for demo was due 2025-06-15 12:00 (Tehran time), 6 h 30 min ago, "
        "while the bot was down: more than the grace period (15 min). Post it now?",
        (
            (
                Button("📢 Post now", callback_data="schedule:late:2"),
                Button("✖️ Cancel it", callback_data="schedule:drop:2"),
            ),
        ),
    )
