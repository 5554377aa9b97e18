"""The bidi formatter (kooch.i18n.bidi) against the Unicode Bidirectional Algorithm (python-bidi):
what a reader sees on screen, not which code points were written."""

from __future__ import annotations

import pytest

from kooch.i18n.bidi import isolate, ltr, paragraph, strip_controls
from tests.bidi_kit import misread, visual

LINE = "• سروش ({handle}): {url}"


def test_a_bare_handle_in_a_persian_line_is_torn_apart() -> None:
    # The bug as readers met it: the @ jumps to the end and the brackets face the same way.
    line = LINE.format(handle="@kooch_demo", url="https://splus.ir/kooch_demo")
    assert visual(line) == "https://splus.ir/kooch_demo :(kooch_demo@) شورس •"
    assert misread(line)


def test_isolated_runs_read_whole_and_in_order() -> None:
    line = LINE.format(handle=ltr("@kooch_demo"), url=ltr("https://splus.ir/kooch_demo"))
    assert visual(line) == "https://splus.ir/kooch_demo :(@kooch_demo) شورس •"
    assert misread(line) == []


@pytest.mark.parametrize(
    ("line", "bad"),
    [
        pytest.param("تاریخ ۱۴۰۵-۰۹-۱۵ است", True, id="fa-date-bare"),
        pytest.param(f"تاریخ {ltr('۱۴۰۵-۰۹-۱۵')} است", False, id="fa-date-isolated"),
        pytest.param("\u200f@kooch_demo: ۱۲", True, id="fa-line-starting-with-handle"),
        pytest.param(paragraph(f"{ltr('@kooch_demo')}: ۱۲", "fa"), False, id="fa-paragraph"),
        pytest.param("Moved to @kooch_demo at 12:30", False, id="en-needs-nothing"),
    ],
)
def test_what_the_reader_sees(line: str, bad: bool) -> None:
    assert bool(misread(line)) is bad


def test_isolates_are_idempotent_and_strippable() -> None:
    assert ltr(ltr("@a")) == ltr("@a")
    assert isolate(isolate("سروش")) == isolate("سروش")
    assert ltr("") == "" and isolate("") == ""
    assert strip_controls(paragraph(ltr("@a") + " و " + isolate("Bale"), "fa")) == "@a و Bale"


def test_paragraph_marks_each_rtl_line_and_leaves_ltr_alone() -> None:
    assert paragraph("a\n\nb", "en") == "a\n\nb"
    assert paragraph("a\n\nb", "fa") == "\u200fa\n\n\u200fb"
