"""kooch.telegram.limits.fit and split: a text made to fit Telegram's limits, cut with a visible
"…" (one message) or split at line ends (several), never inside a letter and its marks, and with
its directional isolates balanced in every part."""

from pathlib import Path

import pytest
import regex  # type: ignore[import-untyped]

from kooch.i18n.bidi import PDI, RLM, isolate, ltr, paragraph, strip_controls
from kooch.simulator import BotAPISimulator, SimUser
from kooch.telegram.limits import ELLIPSIS, MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, fit, length, split
from tests.bidi_kit import assert_reads_right
from tests.kit import running_bot

OPENERS = "\u2066\u2067\u2068"
#: A Persian operator line: a name from the config, a handle, a command and a number, isolated.
PERSIAN = paragraph(
    f"کانال {isolate('Kooch دمو')} در {ltr('@kooch_demo')}: {ltr('1,234')} نفر با {ltr('/stats')} "
    "می‌بینند که چند نفر رفته‌اند؛ بِسْمِ اللّٰه، این یک جملهٔ بلند فارسی است.",
    "fa",
)
#: Letters with marks (kasra, sukun, shadda with a superscript alef), ZWNJ, an emoji family joined
#: by ZWJ, a skin tone: graphemes of more than one code point.
MARKED = "بِسْمِ اللّٰه، نمی‌شود 👨‍👩‍👧 👍🏽 " * 3


def balanced(text: str) -> bool:
    depth = 0
    for c in text:
        if c in OPENERS:
            depth += 1
        elif c == PDI:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def boundaries(text: str) -> set[int]:
    """Where ``text`` may be cut: between its extended grapheme clusters (UAX #29, the regex
    module's ``\\X``), an implementation independent of Kooch's."""
    ends, at = {0}, 0
    for cluster in regex.findall(r"\X", text):
        at += len(cluster)
        ends.add(at)
    return ends


def cut_places(parts: list[str], whole: str) -> list[int]:
    """Where, in ``whole`` without its directional controls, each part but the last ends."""
    bare, at, places = strip_controls(whole), 0, []
    for part in parts[:-1]:
        piece = strip_controls(part).removesuffix(ELLIPSIS)
        assert bare.startswith(piece, at)
        at += len(piece)
        places.append(at)
        if bare[at : at + 1] in ("\n", " "):
            at += 1
    return places


def test_a_text_that_fits_is_left_as_it_is() -> None:
    assert fit(PERSIAN) == PERSIAN
    assert split(PERSIAN) == [PERSIAN]


def test_a_long_text_is_cut_at_a_line_end_with_a_visible_ellipsis() -> None:
    text = "\n".join(f"line {i}: " + "x" * 50 for i in range(200))
    cut = fit(text)
    assert length(cut) <= MAX_TEXT_LENGTH and cut.endswith("x" + ELLIPSIS)
    assert text.startswith(cut.removesuffix(ELLIPSIS) + "\n")


def test_emoji_count_twice_as_telegram_counts_them() -> None:
    cut = fit("📊" * 3000)
    assert length(cut) <= MAX_TEXT_LENGTH < len(cut) * 2 + 1
    assert cut == "📊" * 2047 + ELLIPSIS


@pytest.mark.parametrize("limit", range(8, len(PERSIAN) + 2))
def test_persian_is_cut_between_graphemes_with_its_isolates_closed(limit: int) -> None:
    cut = fit(PERSIAN, limit)
    assert length(cut) <= limit
    assert balanced(cut)
    assert cut == PERSIAN or ELLIPSIS in cut
    if cut != PERSIAN:
        assert set(cut_places([cut, ""], PERSIAN)) <= boundaries(strip_controls(PERSIAN))
    assert_reads_right([cut])


@pytest.mark.parametrize("limit", [12, 20, 33, 50, 80, 150])
def test_split_keeps_every_word_in_order_each_part_balanced_and_right_to_left(limit: int) -> None:
    text = "\n".join([PERSIAN, paragraph("دومین خط", "fa"), PERSIAN])
    parts = split(text, limit)
    assert len(parts) > 1
    for part in parts:
        assert length(part) <= limit and balanced(part)
        # A part of a cut right-to-left line keeps its right-to-left mark.
        assert part.startswith(RLM)
    assert set(cut_places(parts, text)) <= boundaries(strip_controls(text))
    joined = "".join(strip_controls(p) for p in parts)
    assert joined.replace("\n", "").replace(" ", "") == strip_controls(text).replace("\n", "").replace(
        " ", ""
    )
    assert_reads_right(parts)


def test_split_cuts_at_line_ends_when_it_can() -> None:
    lines = [f"{i:03d} " + "y" * 30 for i in range(400)]
    parts = split("\n".join(lines))
    assert all(length(p) <= MAX_TEXT_LENGTH for p in parts)
    assert [line for p in parts for line in p.split("\n")] == lines


def test_a_caption_fits_the_caption_limit() -> None:
    cut = fit(PERSIAN * 20, MAX_CAPTION_LENGTH)
    assert length(cut) <= MAX_CAPTION_LENGTH and cut.endswith(ELLIPSIS) and balanced(cut)


@pytest.mark.parametrize("limit", range(3, 40))
def test_letters_and_their_marks_and_joined_emoji_stay_whole(limit: int) -> None:
    cut = fit(MARKED, limit)
    assert length(cut) <= limit
    assert set(cut_places([cut, ""], MARKED)) <= boundaries(MARKED)
    parts = split(MARKED, max(limit, 8))  # the family is 8 code units: a part must hold it
    assert set(cut_places(parts, MARKED)) <= boundaries(MARKED)


async def test_an_error_too_long_for_a_message_reaches_the_operator_cut_with_an_ellipsis(
    sim: BotAPISimulator, operator: SimUser, config_file: Path
) -> None:
    """Before fit(), the notice was cut at 4096 code points, silently (and an emoji could push it
    over Telegram's count)."""
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1):
        sim.inject_fault("sendMessage", 1, error_code=400, description="Bad Request: " + "boom " * 1200)
        sent = await sim.send_text(operator, "/help")
        notice = await sim.wait_for_message(operator.id, after=sent.message_id, timeout=10)
    assert notice.text is not None and notice.text.startswith("⚠️ Kooch hit an error: BadRequest: Boom boom")
    assert notice.text.endswith("boom" + ELLIPSIS) and length(notice.text) <= MAX_TEXT_LENGTH
