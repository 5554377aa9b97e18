"""Telegram's limits, from python-telegram-bot's constants (the reference to code against), for
the parts of Kooch that check input against them without importing ``telegram`` themselves; and
:func:`fit` and :func:`split`, the one way a text is made to fit one of them."""

import unicodedata

from telegram.constants import (
    CallbackQueryLimit,
    ChatLimit,
    InlineKeyboardButtonLimit,
    InlineKeyboardMarkupLimit,
    MessageLimit,
)

#: Characters of a message's text.
MAX_TEXT_LENGTH = int(MessageLimit.MAX_TEXT_LENGTH)
#: Characters of a photo's or a document's caption.
MAX_CAPTION_LENGTH = int(MessageLimit.CAPTION_LENGTH)
#: Bytes (UTF-8) of a callback button's data.
MAX_CALLBACK_DATA = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)
#: Buttons of one inline keyboard, all rows together.
MAX_BUTTONS = int(InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER)
#: Buttons of one row.
MAX_BUTTONS_PER_ROW = int(InlineKeyboardMarkupLimit.BUTTONS_PER_ROW)
#: Characters of an answerCallbackQuery text (a toast).
MAX_ANSWER_TEXT = int(CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH)
#: Characters of a channel's title and description.
MAX_CHAT_TITLE = int(ChatLimit.MAX_CHAT_TITLE_LENGTH)
MAX_CHAT_DESCRIPTION = int(ChatLimit.CHAT_DESCRIPTION_LENGTH)


# ------------------------------------------------------------------------------ fitting a text

#: What a cut text ends with, so that the reader sees something was left out.
ELLIPSIS = "…"
_OPENERS = frozenset("\u2066\u2067\u2068")  # LRI, RLI, FSI (kooch.i18n.bidi's isolates)
_PDI = "\u2069"
_RLM = "\u200f"
#: Joiners and selectors that belong to the character before them and to the one after (ZWJ).
_ZWJ = "\u200d"


def length(text: str) -> int:
    """``text``'s length as Telegram may count it: in UTF-16 code units, an emoji outside the
    Basic Multilingual Plane two. Never less than ``len(text)``, so a text that fits here fits
    whichever way Telegram counts."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _joins_previous(c: str) -> bool:
    """Whether ``c`` belongs to the character before it (a cut before it would split a grapheme):
    combining marks (Persian and Arabic vowel signs too), ZWNJ and ZWJ, variation selectors and
    skin tones."""
    if unicodedata.category(c) in ("Mn", "Mc", "Me"):
        return True
    return c in "\u200c\u200d\ufe0e\ufe0f" or 0x1F3FB <= ord(c) <= 0x1F3FF or 0xE0020 <= ord(c) <= 0xE007F


def _cut_points(text: str, budget: int) -> tuple[int, int, int]:
    """The furthest places at most ``budget`` code units in at which ``text`` may be cut without
    splitting a grapheme: anywhere, at a word's end (before a space) and at a line's end (before
    a newline); 0 where there is none."""
    used = last = word_end = line_end = 0
    for i, c in enumerate(text):
        used += 2 if ord(c) > 0xFFFF else 1
        if used > budget:
            break
        following = text[i + 1] if i + 1 < len(text) else ""
        if following and (_joins_previous(following) or c == _ZWJ):
            continue
        last = i + 1
        if following == "\n":
            line_end = i + 1
        elif following == " ":
            word_end = i + 1
    return last, word_end, line_end


def _open_isolates(text: str) -> list[str]:
    """The isolates ``text`` opens and does not close, innermost last."""
    open_: list[str] = []
    for c in text:
        if c in _OPENERS:
            open_.append(c)
        elif c == _PDI and open_:
            open_.pop()
    return open_


def _cut(text: str, budget: int, keep: int) -> tuple[str, list[str]]:
    """The longest head of ``text`` that, with its open isolates closed, takes at most ``budget``
    code units (up to a line's end when that keeps at least ``keep`` units, else a word's end
    when that keeps half, else between graphemes), and the isolates it leaves open. Never empty."""
    reserve = 0  # room for the closing marks
    while True:
        last, word_end, line_end = _cut_points(text, budget - reserve)
        if line_end and line_end >= keep:
            cut = line_end
        elif word_end >= (budget - reserve) // 2:
            cut = word_end
        else:
            cut = last
        head = text[: max(cut, 1)]
        open_ = _open_isolates(head)
        if length(head) + len(open_) <= budget or reserve >= budget - 1:
            return head, open_
        reserve = len(open_)  # then look again, leaving room for them


def fit(text: str, limit: int = MAX_TEXT_LENGTH) -> str:
    """``text`` as one message of at most ``limit`` characters: itself when it fits, else cut
    with a visible "…": at a line's end when that keeps at least half of it, else between
    graphemes (never between a letter and its marks), every isolate it had open closed after
    the "…" so that the lines keep the layout they had."""
    if len(text) * 2 <= limit or length(text) <= limit:
        return text
    head, open_ = _cut(text, limit - len(ELLIPSIS), keep=(limit - len(ELLIPSIS)) // 2)
    return head + ELLIPSIS + _PDI * len(open_)


def split(text: str, limit: int = MAX_TEXT_LENGTH) -> list[str]:
    """``text`` as messages of at most ``limit`` characters each, nothing left out: cut at line
    ends, and a line longer than a message between graphemes, its open isolates closed at the
    cut and opened again in the next message (after its right-to-left mark, if it began with one)."""
    messages: list[str] = []
    rest = text
    while length(rest) > limit:
        head, open_ = _cut(rest, limit, keep=1)
        rest = rest[len(head) :]
        reopen = "".join(open_)
        if rest.startswith("\n"):
            rest = rest[1:]
        else:  # a line cut in two (at a space, dropped): its second part is read as its first was
            rest = rest.removeprefix(" ")
            line_start = head.rfind("\n") + 1
            reopen = (_RLM if head.startswith(_RLM, line_start) else "") + reopen
        messages.append(head + _PDI * len(open_))
        rest = reopen + rest
    messages.append(rest)
    return messages
