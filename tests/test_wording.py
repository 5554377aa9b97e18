"""The exact words operators read: every wording function, with fixed inputs and the full text
expected, so a change of wording is a change of this file too."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from kooch.actions.registry import record_words
from kooch.announce.moved import (
    DONE,
    SKIPPED,
    ChatUnreadable,
    MovedDescription,
    MovedPlan,
    MovedReport,
    MovedSet,
    MovedTitle,
    MovedUndone,
    NotInConfig,
    NotMoved,
    StepOutcome,
    StepStatus,
    UndoPlan,
)
from kooch.announce.post import PostOutcome
from kooch.announce.schedule import ScheduledPosted
from kooch.announce.store import Announcement, MovedState, PostedAnnouncement, ScheduledPost
from kooch.announce.sync import EditKind, PostStatus
from kooch.announce.wording import (
    ChannelStatus,
    announce_question,
    format_status,
    interrupted_notice,
    moved_question,
    moved_report,
    moved_report_lines,
    overdue_question,
    post_line,
    post_report,
    schedule_confirmed,
    schedule_listing,
    schedule_question,
    scheduled_line,
    scheduled_post_line,
    scheduled_posted_notice,
    step_line,
    undo_lines,
    undo_question,
)
from kooch.config import ConfigError, parse_config
from kooch.config.reload import ReloadState
from kooch.insight.audit import format_audit
from kooch.insight.clicks import ServiceClicks
from kooch.insight.stats import ChannelFigures, Stats, format_stats
from kooch.operators.audit import AuditEntry, Record, Step
from kooch.operators.wording import channels_phrase, operator_help
from kooch.subscribers.store import AckCounts
from kooch.telegram.errors import explain_telegram_error
from kooch.telegram.post import Button, Post
from tests.bidi_kit import assert_reads_right, plain

TZ = "Asia/Tehran"


def at(day: int, hour: int, minute: int, second: int = 0) -> float:
    """A moment of June 2025 in Tehran, as Unix seconds."""
    return datetime(2025, 6, day, hour, minute, second, tzinfo=ZoneInfo(TZ)).timestamp()


NOW = at(15, 18, 30)

RAW: dict[str, Any] = {
    "operators": [4242],
    "default_language": "fa",
    "storage": {"sqlite_path": "/srv/kooch/kooch.db"},
    "channels": [
        {"chat": "@kooch_demo", "key": "demo", "language": "fa", "pin": True},
        {"chat": -1001234, "key": "news", "language": "en", "counter": True},
    ],
    "services": [
        {"key": "soroush", "name": {"fa": "سروش", "en": "Soroush"}, "url": "https://splus.ir/kooch_demo"},
        {"key": "gap", "name": {"fa": "گپ", "en": "Gap"}, "url": "https://gap.im/kooch_demo"},
    ],
}
# The version is the file's hash; a fixed one keeps /status's wording independent of the YAML.
CONFIG = replace(
    parse_config(yaml.safe_dump(RAW, allow_unicode=True, sort_keys=False), "config.yaml", Path("/srv/kooch")),
    version="v1",
)
DEMO, NEWS = CONFIG.channels
BOTH = "all channels (@kooch_demo, news (-1001234))"

ANNOUNCEMENT = Announcement(1, "demo", -100777, 7, at(14, 9, 5), 4242, "h", True)
NOT_A_MEMBER = (
    "the bot is not a member of this channel. Add it as an administrator with the right "
    "“Post messages” (and “Edit messages of others” to pin)."
)
CHAT_NOT_FOUND = (
    "Telegram does not know this chat. Check channels[].chat in the config (the @username or the "
    "-100… id) and that the bot has been added to the channel."
)
MISSING = "missing right: give the bot “Change channel info” (and “Edit messages”)"


# --------------------------------------------------------------------------------------------
# kooch.operators.wording


def test_operator_help_lists_every_command_and_the_channels() -> None:
    assert plain(operator_help(CONFIG, NOW)) == plain(
        "\n".join(
            [
                "Operator commands:",
                "/preview [channel] — the announcement exactly as it will be posted",
                "/announce [channel] — post the announcement (asks to confirm first)",
                "/stats — acknowledgements, starts and members per channel",
                "/remind [to:all] [channel:NAME] [lang:xx] text — remind who has not moved (asks to confirm)",
                "/campaigns — reminder campaigns and scheduled reminders; cancel them",
                "/export [channel] [since] — acknowledgements and daily clicks as CSV (pseudonymised)",
                "/audit [N] — the last N operator actions (default 20)",
                # The example is tomorrow at 18:00 (NOW is 2025-06-15 18:30 in Tehran).
                "/announce [channel] at 2025-06-16 18:00 (or in 2h) — schedule it; /schedule lists, cancels",
                "/status [channel] — each posted announcement: synced with the config or not; counter",
                "/reload — read config.yaml again now (changes to the file are also noticed by themselves)",
                "/moved [channel] — title suffix, links in the description, pin (asks first); /moved undo",
                "/help — this list",
                "",
                "Channels: @kooch_demo, news (-1001234)",
                "Without a channel, a command acts on all of them.",
            ]
        )
    )


@pytest.mark.parametrize(
    ("channels", "named", "expected"),
    [
        ([DEMO], True, "@kooch_demo"),
        ([DEMO, NEWS], False, BOTH),
        ([NEWS], False, "all channels (news (-1001234))"),
    ],
    ids=["named", "all", "all-of-one"],
)
def test_channels_phrase(channels: list[Any], named: bool, expected: str) -> None:
    assert plain(channels_phrase(channels, named)) == plain(expected)


@pytest.mark.parametrize(
    ("channels", "existing", "named", "expected"),
    [
        ([NEWS], {}, True, "Post the announcement above to news (-1001234)?"),
        (
            [DEMO, NEWS],
            {"demo": ANNOUNCEMENT},
            False,
            f"Post the announcement above to {BOTH}?\n"
            "⚠️ @kooch_demo already has an announcement (message 7, posted 2025-06-14 09:05). "
            "Confirming posts a new one beside it.",
        ),
    ],
    ids=["first-post", "already-announced"],
)
def test_announce_question(
    channels: list[Any], existing: dict[str, Announcement], named: bool, expected: str
) -> None:
    assert plain(announce_question(channels, existing, named, TZ)) == plain(expected)


#: 2026-12-02 00:14 in Tehran: 11 Azar 1405 in the Solar Hijri calendar.
AZAR_11 = 1796157840.0


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fa",
            "اعلان بالا در همهٔ کانال‌ها (@kooch_demo، news (-1001234)) "
            "فرستاده شود؟\n"
            "⚠️ @kooch_demo از پیش اعلان دارد (پیام ۷، فرستاده در ۱۴۰۵-۰۹-۱۱ ۰۰:۱۴). "
            "با تأیید، اعلانی تازه کنار آن فرستاده می‌شود.",
        ),
        (
            "en",
            "Post the announcement above to all channels (@kooch_demo, news (-1001234))?\n"
            "⚠️ @kooch_demo already has an announcement (message 7, posted 2026-12-02 00:14). "
            "Confirming posts a new one beside it.",
        ),
        (
            "ar",
            "هل يُنشر الإعلان أعلاه في كل القنوات "
            "(@kooch_demo، news (-1001234))؟\n"
            "⚠️ لدى @kooch_demo إعلان من قبل (الرسالة ٧، نُشرت في ٢٠٢٦-١٢-٠٢ ٠٠:١٤). "
            "التأكيد ينشر إعلانًا جديدًا بجانبه.",
        ),
    ],
)
def test_the_announce_question_in_each_language_with_its_calendar_and_digits(
    language: str, expected: str
) -> None:
    """11 Azar 1405 is 2 December 2026: Persian operators read the Solar Hijri date, in Persian digits."""
    existing = {"demo": replace(ANNOUNCEMENT, posted_at=AZAR_11)}
    question = announce_question([DEMO, NEWS], existing, False, TZ, language)
    assert plain(question) == expected
    assert_reads_right([question])


# --------------------------------------------------------------------------------------------
# kooch.announce.wording: /status


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


def scheduled(post_id: int, due: float, state: str = "open", channel: str = "demo") -> ScheduledPost:
    return ScheduledPost(post_id, channel, due, at(15, 8, 0), 4242, state, None, None)


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


# --------------------------------------------------------------------------------------------
# kooch.announce.wording: posting


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (PostOutcome(DEMO, 8, pinned=True), "✅ @kooch_demo: posted (message 8), pinned"),
        (PostOutcome(NEWS, 9), "✅ news (-1001234): posted (message 9)"),
        (
            PostOutcome(DEMO, 8, pin_refused="not enough rights to manage pinned messages in the chat"),
            "✅ @kooch_demo: posted (message 8), but not pinned: the bot may not pin here: "
            "give it the right “Edit messages of others”.",
        ),
        (
            PostOutcome(DEMO, refused="bot is not a member of the channel chat"),
            f"❌ @kooch_demo: not posted: {NOT_A_MEMBER}",
        ),
    ],
    ids=["pinned", "no-pin", "pin-refused", "refused"],
)
def test_post_report(outcome: PostOutcome, expected: str) -> None:
    assert plain(post_report(outcome)) == plain(expected)


# --------------------------------------------------------------------------------------------
# kooch.announce.wording: /moved


DEMO_DESCRIPTION = MovedDescription("Moved. Follow us:\nSoroush: https://s.example", 1, 2)


def test_moved_question_says_what_each_channel_gets() -> None:
    plans = [
        MovedPlan(DEMO, MovedTitle("Kooch demo | کوچ کرد"), DEMO_DESCRIPTION, 7),
        MovedPlan(NEWS, MovedTitle("x" * 130, too_long=True), MovedDescription("Moved.", 0, 0), None),
    ]
    assert plain(moved_question(plans, False)) == plain(
        "\n".join(
            [
                f"Put {BOTH} into the moved state?",
                "",
                "@kooch_demo:",
                "  title → Kooch demo | کوچ کرد",
                "  description (44/255):",
                "    Moved. Follow us:",
                "    Soroush: https://s.example",
                "  ⚠️ only 1 of 2 links fit in Telegram's 255 "
                "characters; the pinned announcement has them all",
                "  pin: the announcement (message 7)",
                "",
                "news (-1001234):",
                "  title: too long for Telegram (130/128), will be left as it is",
                "  description (6/255):",
                "    Moved.",
                "  pin: nothing to pin, no announcement posted yet",
                "",
                "The current title and description are saved first; /moved undo restores them.",
            ]
        )
    )


def test_moved_question_of_a_channel_it_cannot_read() -> None:
    plan = MovedPlan(DEMO, None, MovedDescription("Moved.", 0, 0), None, unreadable="chat not found")
    assert plain(moved_question([plan], True)) == plain(
        "\n".join(
            [
                "Put @kooch_demo into the moved state?",
                "",
                "@kooch_demo:",
                f"  title: cannot read it: {CHAT_NOT_FOUND}",
                "  description (6/255):",
                "    Moved.",
                "  pin: nothing to pin, no announcement posted yet",
                "",
                "The current title and description are saved first; /moved undo restores them.",
            ]
        )
    )


def test_undo_question_and_lines() -> None:
    plans = [UndoPlan(DEMO, "Kooch demo", "News, every day.", 7, active=True), UndoPlan(NEWS)]
    lines = [
        "• @kooch_demo: title back to “Kooch demo”, description back to “News, every day.”, "
        "unpin the announcement",
        "• news (-1001234): not in the moved state; nothing to restore",
    ]
    assert plain(undo_lines(plans)) == plain(lines)
    assert plain(undo_question(plans, False)) == plain(
        "\n".join([f"Undo the moved state of {BOTH}?", *lines])
    )
    assert plain(undo_lines([UndoPlan(DEMO, "Kooch demo", "", None, active=True)])) == plain(
        ["• @kooch_demo: title back to “Kooch demo”, description back to “(empty)”"]
    )


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (DONE, "  ✅ title: done"),
        (StepOutcome(StepStatus.ALREADY), "  ✅ title: already so"),
        (StepOutcome(StepStatus.MISSING_RIGHT), f"  ❌ title: {MISSING}"),
        (
            StepOutcome(StepStatus.TOO_LONG, "CHAT_TITLE_INVALID"),
            "  ❌ title: too long for Telegram (CHAT_TITLE_INVALID)",
        ),
        (StepOutcome(StepStatus.REFUSED, "chat not found"), f"  ❌ title: {CHAT_NOT_FOUND}"),
        (SKIPPED, "  ❌ title: not tried"),
    ],
    ids=lambda v: v.status.value if isinstance(v, StepOutcome) else "",
)
def test_step_line(step: StepOutcome, expected: str) -> None:
    assert step_line("title", step) == expected


TITLE = MovedTitle("Kooch demo | کوچ کرد")
FULL = MovedDescription("Moved.\nSoroush: s\nGap: g", 2, 2)


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (NotInConfig("old"), ["❌ old: no longer in the config; nothing changed."]),
        (
            ChatUnreadable(DEMO, "bot is not a member of the channel chat"),
            ["@kooch_demo:", f"  ❌ nothing changed: {NOT_A_MEMBER}"],
        ),
        (
            MovedSet(DEMO, True, TITLE, DONE, FULL, DONE, 7, DONE),
            [
                "@kooch_demo:",
                "  ✅ original title and description saved",
                "  ✅ title: done",
                "  ✅ description: done",
                "  ✅ pin the announcement (message 7): done",
            ],
        ),
        (
            MovedSet(
                DEMO,
                False,
                MovedTitle("x" * 130, too_long=True),
                SKIPPED,
                MovedDescription("", 0, 3),
                SKIPPED,
                None,
                SKIPPED,
            ),
            [
                "@kooch_demo:",
                "  ℹ️ already in the moved state: the originals saved before are kept",
                "  ❌ title: too long for Telegram (130/128 characters); left as it is",
                "  ❌ description: too long for Telegram (255 characters) even with one link",
                "  ❌ pin: no announcement posted yet (/announce)",
            ],
        ),
        (
            MovedSet(
                DEMO,
                True,
                TITLE,
                StepOutcome(StepStatus.MISSING_RIGHT),
                DEMO_DESCRIPTION,
                StepOutcome(StepStatus.ALREADY),
                7,
                StepOutcome(StepStatus.REFUSED, "chat not found"),
            ),
            [
                "@kooch_demo:",
                "  ✅ original title and description saved",
                f"  ❌ title: {MISSING}",
                "  ✅ description: already so (only 1 of 2 links fit in 255 characters)",
                f"  ❌ pin the announcement (message 7): {CHAT_NOT_FOUND}",
            ],
        ),
        (
            MovedSet(
                DEMO, True, TITLE, DONE, DEMO_DESCRIPTION, StepOutcome(StepStatus.MISSING_RIGHT), 7, DONE
            ),
            [
                "@kooch_demo:",
                "  ✅ original title and description saved",
                "  ✅ title: done",
                f"  ❌ description: {MISSING}",
                "  ✅ pin the announcement (message 7): done",
            ],
        ),
        (NotMoved(NEWS), ["news (-1001234):", "  ℹ️ not in the moved state; nothing to restore"]),
        (
            MovedUndone(DEMO, DONE, DONE, 7, DONE),
            [
                "@kooch_demo:",
                "  ✅ title restored: done",
                "  ✅ description restored: done",
                "  ✅ unpin message 7: done",
            ],
        ),
        (
            MovedUndone(DEMO, None, StepOutcome(StepStatus.ALREADY), None, None),
            ["@kooch_demo:", "  ✅ description restored: already so"],
        ),
        (
            MovedUndone(DEMO, StepOutcome(StepStatus.MISSING_RIGHT), DONE, 7, DONE),
            [
                "@kooch_demo:",
                f"  ❌ title restored: {MISSING}",
                "  ✅ description restored: done",
                "  ✅ unpin message 7: done",
                "  ⚠️ not everything was restored; the originals stay saved: try /moved undo again",
            ],
        ),
    ],
    ids=[
        "not-in-config",
        "unreadable",
        "set",
        "set-nothing-possible",
        "set-partly",
        "set-description-refused",
        "undo-not-moved",
        "undone",
        "undone-description-only",
        "undone-partly",
    ],
)
def test_moved_report_lines(report: MovedReport, expected: list[str]) -> None:
    assert plain(moved_report_lines(report)) == plain(expected)


def test_moved_report_puts_the_channels_one_after_the_other() -> None:
    assert plain(moved_report([NotInConfig("old"), NotMoved(NEWS)])) == plain(
        [
            "❌ old: no longer in the config; nothing changed.",
            "news (-1001234):",
            "  ℹ️ not in the moved state; nothing to restore",
        ]
    )


# --------------------------------------------------------------------------------------------
# kooch.announce.wording: scheduled announcements


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


# --------------------------------------------------------------------------------------------
# kooch.insight: /stats and /audit


def test_format_stats_without_click_counting() -> None:
    figures = [
        ChannelFigures(DEMO, AckCounts(250, 12), 1000, None, ANNOUNCEMENT),
        ChannelFigures(NEWS, AckCounts(3, 0), None, "Too Many Requests: retry after 5", None),
    ]
    assert plain(format_stats(CONFIG, Stats(figures, 1234, NOW), False)) == plain(
        "\n".join(
            [
                "📊 Kooch — all channels — 2025-06-15 18:30 (Tehran time)",
                "Users who started the bot: 1,234",
                "",
                "@kooch_demo (Persian)",
                "  ✅ moved: 250 (last 24 h: 12)",
                "  👥 members: 1,000; moved ≥ 25.0% (a lower bound: only those who tapped are counted)",
                "  📢 announcement: message 7, posted 2025-06-14 09:05",
                "",
                "news (-1001234) (English)",
                "  ✅ moved: 3 (last 24 h: 0)",
                "  👥 members: unknown (Telegram is rate-limiting the bot; try again in a minute.)",
                "  📢 no announcement posted yet (/announce)",
                "",
                "Services: Soroush, Gap",
                "Per-service figures need click counting: set web.public_url in the config "
                "(the moved button does not say which service).",
                "Total moved: 253",
            ]
        )
    )


def test_format_stats_of_one_channel_with_clicks() -> None:
    figures = [ChannelFigures(DEMO, AckCounts(250, 12), 0, None, None, clicks=400)]
    stats = Stats(figures, 1234, NOW, {"soroush": ServiceClicks(300, 5)})
    assert plain(format_stats(CONFIG, stats, True)) == plain(
        "\n".join(
            [
                "📊 Kooch — @kooch_demo — 2025-06-15 18:30 (Tehran time)",
                "Users who started the bot: 1,234",
                "",
                "@kooch_demo (Persian)",
                "  ✅ moved: 250 (last 24 h: 12)",
                "  👥 members: 0; moved ≥ 0.0% (a lower bound: only those who tapped are counted)",
                "  🔻 funnel: 0 members → 400 clicks → 250 moved",
                "  📢 no announcement posted yet (/announce)",
                "",
                "🔗 Clicks per service (people; bots and link previews beside):",
                "  • Soroush: 300 (+5 bots)",
                "  • Gap: 0 (+0 bots)",
                "Clicks are link opens, not people: one person may open a link twice.",
            ]
        )
    )
    assert stats.members == {"demo": 0}


def test_format_audit() -> None:
    entries = [
        AuditEntry(1, at(15, 9, 0), 4242, "moved", "/moved demo", "asked to confirm #3"),
        AuditEntry(2, at(15, 9, 1), 0, "retention", "d" * 100, "deleted 2 acknowledgements, 0 starts"),
        AuditEntry(3, at(15, 9, 2), None, "stats", "", "refused: not an operator", "0123456789abcdef"),
    ]
    assert plain(format_audit(entries, TZ)) == [
        "🧾 Last 3 operator actions, oldest first (Tehran time):\n"
        "2025-06-15 09:00 · 4242 · moved · /moved demo → asked to confirm #3\n"
        f"2025-06-15 09:01 · system · retention · {'d' * 79}… → deleted 2 acknowledgements, 0 starts\n"
        "2025-06-15 09:02 · user:0123456789abcdef · stats · (text not kept) → refused: not an operator"
    ]
    assert format_audit([], TZ) == ["The audit log is empty."]
    many = [AuditEntry(i, at(15, 9, 0), 4242, "stats", "/stats", "x" * 60) for i in range(200)]
    messages = format_audit(many, TZ)
    assert len(messages) > 1 and all(len(m) <= 4096 for m in messages)
    assert sum(m.count("→") for m in messages) == 200


def test_format_audit_says_a_gated_action_record_in_the_readers_words() -> None:
    approved = Record("moved", Step.APPROVED, 16, 5151, ("demo:moved", "news:not-moved"), ())
    asked = Record("schedule", Step.ANSWERED, codes=("bad-time",))
    entries = [
        AuditEntry(
            1,
            at(15, 9, 0),
            4343,
            "approval:approve",
            "approval:approve:16",
            approved.summary(),
            None,
            approved,
        ),
        AuditEntry(2, at(15, 9, 1), 4242, "announce", "/announce in soon", asked.summary(), None, asked),
    ]
    (english,) = format_audit(entries, TZ, "en", record_words)
    assert plain(english).splitlines()[1:] == [
        "2025-06-15 09:00 · 4343 · the moved state: approved #16, asked by 5151"
        " — demo: moved state set, news: moved state not set",
        "2025-06-15 09:01 · 4242 · a scheduled announcement: nothing to confirm"
        " — a time Kooch could not read",
    ]
    (persian,) = format_audit(entries, TZ, "fa", record_words)
    assert plain(persian).splitlines()[1:] == [
        "۱۴۰۴-۰۳-۲۵ ۰۹:۰۰ · ۴۳۴۳ · حالت کوچ: #۱۶ را که ۵۱۵۱ خواسته بود تأیید کرد"
        " — demo: حالت کوچ برقرار شد، news: حالت کوچ برقرار نشد",
        "۱۴۰۴-۰۳-۲۵ ۰۹:۰۱ · ۴۲۴۲ · اعلان زمان‌بندی‌شده: چیزی برای تأیید نبود — زمانی که ربات نتوانست بخواند",
    ]
    assert_reads_right([persian])


# --------------------------------------------------------------------------------------------
# kooch.telegram.errors


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        ("Forbidden: bot is not a member of the channel chat", NOT_A_MEMBER),
        ("Forbidden: bot was kicked from the channel chat", NOT_A_MEMBER),
        (
            "Bad Request: need administrator rights in the channel chat",
            "the bot is not an administrator allowed to post here. In the channel's administrators, "
            "give the bot the right “Post messages”.",
        ),
        (
            "not enough rights to send text messages to the chat",
            "the bot is not an administrator allowed to post here. In the channel's administrators, "
            "give the bot the right “Post messages”.",
        ),
        (
            "not enough rights to manage pinned messages in the chat",
            "the bot may not pin here: give it the right “Edit messages of others”.",
        ),
        ("Chat not found", CHAT_NOT_FOUND),
        ("Too Many Requests: retry after 5", "Telegram is rate-limiting the bot; try again in a minute."),
        ("retry after 5 s", "Telegram is rate-limiting the bot; try again in a minute."),
        ("MESSAGE_TOO_LONG", "Telegram said: MESSAGE_TOO_LONG"),
        ("", "Telegram said: "),
    ],
    ids=[
        "not-a-member",
        "kicked",
        "not-admin",
        "may-not-send",
        "may-not-pin",
        "chat-not-found",
        "rate-limited",
        "rate-limited-translated",
        "anything-else",
        "empty",
    ],
)
def test_explain_telegram_error(description: str, expected: str) -> None:
    assert explain_telegram_error(description) == expected
