"""Text that lays out right: left-to-right runs kept whole inside right-to-left lines.

Every Telegram client (and every browser) lays out a paragraph with the Unicode Bidirectional
Algorithm (UAX #9), its base direction taken from the first strong letter. Inside a Persian or
Arabic line, a run such as ``(@kooch_demo): https://splus.ir/kooch_demo`` is torn apart by it:
the ``@`` and the punctuation take the line's direction, and the reader sees
``:(kooch_demo@(``. A hyphenated date ``۱۴۰۵-۰۹-۱۵`` after a Persian word is shown as
``۱۵-۰۹-۱۴۰۵``. Unicode's answer (UAX #9, section 6.3) is to *isolate* such runs: an isolate is
laid out on its own and then placed as one neutral character, so what is inside keeps its order
and what is outside is not disturbed by it.

This module is the one place that knows the control characters. Person-facing wording calls
:func:`ltr` around anything that is read left to right (handles, URLs, ids, commands, config
keys, dates, times, Latin names), :func:`isolate` around an inserted value whose direction is not
known in advance (a channel title, a service name from the config), and :func:`paragraph` on a
whole message in a right-to-left language, so a line that starts with a Latin name or a digit is
still set right to left.

Telegram's own URL and mention detection stops at these characters (they are General Punctuation,
U+2066-U+2069), so an isolated link stays a link of exactly its own characters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from kooch.i18n.languages import is_rtl

#: LEFT-TO-RIGHT ISOLATE, RIGHT-TO-LEFT ISOLATE, FIRST STRONG ISOLATE, POP DIRECTIONAL ISOLATE.
LRI = "\u2066"
RLI = "\u2067"
FSI = "\u2068"
PDI = "\u2069"
#: LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK, ARABIC LETTER MARK: invisible strong characters.
LRM = "\u200e"
RLM = "\u200f"
ALM = "\u061c"

#: Every directional control Kooch writes (and the embeddings and overrides it never writes but
#: strips from what it reads back): what :func:`strip_controls` removes.
CONTROLS = frozenset({LRI, RLI, FSI, PDI, LRM, RLM, ALM, "\u202a", "\u202b", "\u202c", "\u202d", "\u202e"})
_STRIP = str.maketrans(dict.fromkeys(CONTROLS))


#: The end of a number in Arabic-Indic digits (bidi class AN, unlike Persian digits). UAX #9 sets
#: anything but a comma, colon or point between two such numbers right to left, even inside a
#: left-to-right isolate: ``٢٠٢٦-١٢-٠٢ ٠٠:١٤`` is drawn ``٠٠:١٤ ٠٢-١٢-٢٠٢٦``. A left-to-right mark
#: after each number holds the dash and the space in place.
_AN_END = re.compile(r"([\u0660-\u0669])(?![\u0660-\u0669:.,\u066b\u066c])")


def ltr(text: str) -> str:
    """``text`` as one left-to-right island: a handle, URL, id, command, config key, date or time.

    Idempotent (an already isolated run is returned as it is) and empty stays empty.
    """
    if not text or (text.startswith(LRI) and text.endswith(PDI)):
        return text
    return LRI + _AN_END.sub(r"\1" + LRM, text) + PDI


def rtl(text: str) -> str:
    """``text`` as one right-to-left island inside a left-to-right line (a Persian name in English)."""
    if not text or (text.startswith(RLI) and text.endswith(PDI)):
        return text
    return f"{RLI}{text}{PDI}"


def isolate(text: str) -> str:
    """``text`` as one island of its own first strong direction: a value from the config or a
    person (a channel title, a service name) whose script is not known in advance."""
    if not text or (text[0] in (FSI, LRI, RLI) and text.endswith(PDI)):
        return text
    return f"{FSI}{text}{PDI}"


#: Runs a translator or an operator writes bare into a sentence (not inserted as a value), that a
#: right-to-left line tears apart: URLs, @handles, /commands with their Latin arguments
#: (``/announce demo in 2m``), and numbers joined by ``-`` or ``/`` (dates), with a time after them.
_BARE_RUN = re.compile(
    r"https?://[^\s()\u2066-\u2069\u200e\u200f]+"
    r"|(?<![\w@])@[A-Za-z0-9_]{2,}"
    r"|(?<![\w/:])/[A-Za-z][A-Za-z0-9_]*(?: [A-Za-z0-9_<>\[\]@.:|=+-]*[A-Za-z0-9_>\]](?=\s|$|[.,;!?،؛)]))*"
    r"|(?<![\w.:/-])\d+(?:[-/]\d+)+(?: \d+:\d+)?(?![\w:/-])"
)
#: Sentence punctuation after a run belongs to the sentence, not to the run.
_TRAILING = ".,:;!?،؛"


def _isolate_run(match: re.Match[str]) -> str:
    run = match.group(0)
    core = run.rstrip(_TRAILING)
    return ltr(core) + run[len(core) :]


def isolate_runs(text: str) -> str:
    """``text`` with every bare left-to-right run (URL, handle, command, date) made an island.

    Runs already inside an isolate (values the wording inserted with :func:`ltr` or
    :func:`isolate`) are left as they are, so this is idempotent.
    """
    out: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch in (LRI, RLI, FSI):
            if depth == 0:
                out.append(_BARE_RUN.sub(_isolate_run, text[start:i]))
                start = i
            depth += 1
        elif ch == PDI and depth:
            depth -= 1
            if depth == 0:
                out.append(text[start : i + 1])
                start = i + 1
    tail = text[start:]
    out.append(tail if depth else _BARE_RUN.sub(_isolate_run, tail))
    return "".join(out)


# The same few texts (the tap's toasts above all) are set thousands of times a minute in a flood:
# remembered, a toast costs a dictionary look-up instead of ~22 µs of regular expressions.
@lru_cache(maxsize=4096)
def paragraph(text: str, language: str) -> str:
    """``text``, a whole message (or line) for a reader of ``language``, set in its direction.

    A client takes each line's direction from its first strong letter, so a Persian line that
    starts with ``@kooch_demo`` or with a number would be set left to right. A right-to-left mark
    at the start of each non-empty line of a right-to-left language settles it, and the runs a
    translation or an operator's text writes bare (``با /forget پاک کنید``, a handle in an
    announcement) are isolated (:func:`isolate_runs`). Left-to-right languages need nothing
    (their lines that start with a Persian name are isolated by the wording instead).
    Idempotent: a message may pass here more than once on its way out.
    """
    if not is_rtl(language):
        return text
    return "\n".join(
        line if not line or line.startswith(RLM) or written_ltr(line) else RLM + line
        for line in isolate_runs(text).split("\n")
    )


_ISOLATED = re.compile(f"[{LRI}{RLI}{FSI}][^{PDI}]*{PDI}")


def written_ltr(line: str) -> bool:
    """Whether ``line`` is words of a left-to-right language of its own: Latin words outside its
    isolated values (four letters at least) and not one Arabic-script letter. An operator's
    English reminder text is sent to Persian readers as English is read; a Persian line that
    starts with an isolated name, a handle or a number is not such a line."""
    words = _ISOLATED.sub("", line).translate(_STRIP)  # the marks are strong characters too
    latin = sum(unicodedata.bidirectional(c) == "L" for c in words)
    return latin >= 4 and not any(unicodedata.bidirectional(c) in ("R", "AL") for c in words)


def strip_controls(text: str) -> str:
    """``text`` without directional controls: for logs, comparisons, and reading input back."""
    return text.translate(_STRIP)
