"""Text as a Telegram client or a browser draws it: the Unicode Bidirectional Algorithm, per line.

python-bidi (the Rust ``unicode-bidi`` crate, the reference implementation of UAX #9) resolves each
character's embedding level; this kit then does what a renderer does with the levels (UAX #9 rules
L2 and L4: reverse runs from the highest level down, mirror brackets at odd levels) and drops the
invisible controls. What comes out is the line as a person sees it on screen, left to right, so a
test can ask "does the reader see ``(@kooch_demo)`` whole?" instead of comparing code points.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from typing import TypeVar

from bidi import get_base_level, get_display

from kooch.i18n.bidi import CONTROLS, strip_controls, written_ltr

T = TypeVar("T")

_LEVEL = re.compile(r"Level\(\s*(\d+),?\s*\)")
#: Bidi_Mirrored pairs Kooch's texts use (UAX #9 L4: drawn mirrored at an odd level).
_MIRROR = str.maketrans("()[]{}<>«»", ")(][}{><»«")

#: What must read whole, in its own order, wherever it sits: handles (with the brackets around
#: them: both face it, or the @ has jumped), URLs, /commands, numbers and dates in any digits (with
#: - / : . , separators). A bracket on one side only is the sentence's: in a right-to-left line an
#: opening bracket is drawn at the handle's right, so it is not part of the handle's run.
TOKEN = re.compile(
    r"\(@[A-Za-z0-9_]{2,}\)|@[A-Za-z0-9_]{2,}"
    r"|https?://[^\s\u2066-\u2069\u200e\u200f]+"
    r"|(?<![\w/])/[a-z_]{2,}\b"
    r"|[0-9\u06f0-\u06f9\u0660-\u0669]+(?:[-/:.,٫٬][0-9\u06f0-\u06f9\u0660-\u0669]+)+"
)


def levels(line: str) -> list[int]:
    """The resolved embedding level of each character of one line (paragraph)."""
    dump = get_display(line, debug=True)
    assert isinstance(dump, str)
    per_byte = [int(n) for n in _LEVEL.findall(dump.split("paragraphs:")[0])]
    result, offset = [], 0
    for ch in line:
        result.append(per_byte[offset])
        offset += len(ch.encode())
    return result


def visual(line: str) -> str:
    """One line as drawn, left to right: reordered, mirrored, controls removed."""
    if not line:
        return line
    lv = levels(line)
    chars = [c.translate(_MIRROR) if lvl % 2 else c for c, lvl in zip(line, lv, strict=True)]
    order = list(range(len(line)))
    for level in range(max(lv), 0, -1):  # L2: from the highest level to the lowest odd one
        i = 0
        while i < len(order):
            if lv[order[i]] >= level:
                j = i
                while j < len(order) and lv[order[j]] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return "".join(chars[k] for k in order if line[k] not in CONTROLS)


def screen(text: str) -> list[str]:
    """A whole message as its lines are drawn."""
    return [visual(line) for line in text.split("\n")]


def tokens(line: str) -> list[str]:
    """The left-to-right runs of one logical line that a reader must see whole."""
    plain = "".join(c for c in line if c not in CONTROLS)
    return [m.group(0).rstrip(".,:;") for m in TOKEN.finditer(plain)]


def expected_direction(line: str) -> int | None:
    """The direction a reader expects of one line, or None where either reads fine.

    1 (right to left): its first letter is Arabic-script and so are most of its words once the
    left-to-right runs (URLs, handles, commands, dates) are taken out. A client takes a line's
    direction from its first strong letter outside isolates (UAX #9 P2), so a Persian line that
    starts with an isolated name (``• ⁨سروش⁩: https://…``) is set left to right unless marked.
    0 (left to right): words of a left-to-right language of their own, outside isolated values,
    with not one Arabic-script letter (an English reminder sent to Persian readers).
    """
    plain_line = "".join(c for c in line if c not in CONTROLS)
    words = TOKEN.sub("", plain_line)
    first = next(
        (kind for c in plain_line if (kind := unicodedata.bidirectional(c)) in ("L", "R", "AL")), None
    )
    rtl = sum(unicodedata.bidirectional(c) in ("R", "AL") for c in words)
    ltr = sum(unicodedata.bidirectional(c) == "L" for c in words)
    if first in ("R", "AL") and rtl > ltr:
        return 1
    return 0 if rtl == 0 and written_ltr(line) else None


def misread(text: str) -> list[str]:
    """Every run of ``text`` that is not drawn whole and in order, as ``line: token``, and every
    line set in the other direction than its words are read in (empty: all read right).

    A client sets each line in the direction of its first strong letter outside isolates (UAX #9
    P2): a Persian line that starts with an isolated name, a bullet or a number is set left to
    right, its bullet on the wrong side and its parts in the wrong order, though each run is whole.
    """
    problems: list[str] = []
    for line in text.split("\n"):
        drawn = visual(line)
        problems.extend(f"{drawn!r}: {tok!r}" for tok in tokens(line) if tok not in drawn)
        want = expected_direction(line)
        if want is not None and get_base_level(line) != want:
            problems.append(f"{drawn!r}: set {'left to right' if want else 'right to left'}")
    return problems


def assert_reads_right(texts: Iterable[str]) -> None:
    problems = [p for t in texts for p in misread(t)]
    assert not problems, "drawn out of order:\n" + "\n".join(problems)


def plain(value: T) -> T:
    """``value`` without directional controls, for tests that check words, not layout: a string,
    or a list, tuple, set, dict or dataclass (a Post and its buttons) holding strings."""
    if isinstance(value, str):
        return strip_controls(value)  # type: ignore[return-value]
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(plain(v) for v in value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}  # type: ignore[return-value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    return value
