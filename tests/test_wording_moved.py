"""The exact words of /moved and /moved undo (kooch.announce.moved.wording): the question, each
step's line and the report.

Every wording function with fixed inputs and the full text expected, so a change of wording is
a change of this file too."""

from __future__ import annotations

import pytest

from kooch.announce.moved.model import (
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
from kooch.announce.moved.wording import (
    moved_question,
    moved_report,
    moved_report_lines,
    step_line,
    undo_lines,
    undo_question,
)
from tests.bidi_kit import plain
from tests.wording_kit import BOTH, CHAT_NOT_FOUND, DEMO, MISSING, NEWS, NOT_A_MEMBER

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
