"""The exact words of /announce (kooch.announce.post.wording): the question and each post's report.

Every wording function with fixed inputs and the full text expected, so a change of wording is
a change of this file too."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

# kooch.operators.wording
from kooch.announce.post.model import PostOutcome
from kooch.announce.post.wording import announce_question, post_report
from kooch.announce.store import Announcement
from tests.bidi_kit import assert_reads_right, plain
from tests.wording_kit import ANNOUNCEMENT, BOTH, DEMO, NEWS, NOT_A_MEMBER, TZ


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
