"""Reminder campaigns, the pure parts: who gets a reminder, how fast it may go, what operators read.

Nothing here talks to Telegram or the database, so each piece is unit-tested as plain functions:

- :class:`Audience`: the recipients, as operators say it (``to:all channel:demo lang:fa``).
- :class:`RateLimiter`: Telegram's limits as a schedule of send slots: an even pace overall (no
  bursts: a burst is what earns a 429) and at least one second between two sends to one chat; a
  429 pauses every sender for ``retry_after`` and slows the whole campaign down.
- :class:`Tally` and the ``format_*`` functions: the progress message and the final tally.

The engine that sends is :mod:`kooch.campaigns.service`; the SQL is :mod:`kooch.campaigns.store`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

from kooch.i18n import (
    gettext,
    isolate,
    language_name,
    paragraph,
)

#: Who a campaign reaches, before the channel and language filters.
UNMOVED = "unmoved"
EVERYONE = "all"
AUDIENCE_KINDS = (UNMOVED, EVERYONE)

#: Key of the one text sent to every language (an operator's /remind).
ANY_LANGUAGE = "*"


@dataclass(frozen=True)
class Audience:
    """Recipients of a campaign. Never includes users who blocked the bot or used /forget.

    - ``unmoved`` (default): started the bot and tapped "I've moved" under no channel's post, or,
      with ``channel``, not under that channel's post.
    - ``all``: everyone who started the bot; with ``channel``, that channel's known audience: users
      who started the bot from its deep link (``?start=<key>``) or tapped its "I've moved".
    - ``language``: only users whose language (from /start) is this one.
    """

    kind: str = UNMOVED
    channel: str | None = None
    language: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in AUDIENCE_KINDS:
            raise ValueError(f"audience must be one of {', '.join(AUDIENCE_KINDS)}, not {self.kind!r}")

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "channel": self.channel, "language": self.language})

    @classmethod
    def from_json(cls, text: str) -> Audience:
        raw = json.loads(text)
        return cls(raw.get("kind", UNMOVED), raw.get("channel"), raw.get("language"))

    def describe(self, channel_label: str | None = None, language: str = "en") -> str:
        """The audience in the operator's words."""
        _ = partial(gettext, language)
        where = channel_label or self.channel
        shown = isolate(where) if where else None
        if self.kind == UNMOVED:
            if shown:
                base = _("users who started the bot and have not tapped “I've moved” for {channel}")
            else:
                base = _("users who started the bot and have not tapped “I've moved”")
        elif shown:
            base = _("{channel}'s audience (started from its link or tapped its button)")
        else:
            base = _("everyone who started the bot")
        base = base.format(channel=shown)
        if self.language:
            base += _(", language {language}").format(language=language_name(self.language, language))
        return base


@dataclass(frozen=True)
class RemindRequest:
    """``/remind [to:all|to:unmoved] [channel:NAME] [lang:xx] text`` parsed."""

    kind: str
    channel: str | None
    language: str | None
    text: str


_OPTION = re.compile(r"\A\s*(to|channel|lang):(\S+)")


def parse_remind(raw: str, reader: str = "en") -> RemindRequest | str:
    """Parse the text after ``/remind``; a string is the error to show the operator (in ``reader``'s
    language).

    Options come first, each ``name:value``; the rest (newlines and all) is the reminder's text.
    """
    kind, channel, language = UNMOVED, None, None
    rest = raw
    while match := _OPTION.match(rest):
        name, value = match.group(1), match.group(2)
        if name == "to":
            if value not in AUDIENCE_KINDS:
                text = gettext(
                    reader, "Unknown audience 'to:{value}': use to:unmoved (the default) or to:all."
                )
                return paragraph(text.format(value=value), reader)
            kind = value
        elif name == "channel":
            channel = value
        else:
            language = value.lower()
        rest = rest[match.end() :]
    return RemindRequest(kind, channel, language, rest.strip())


def text_for(texts: Mapping[str, str], language: str | None, default_language: str) -> str:
    """The text a recipient gets: theirs, else the one for every language, else the default's."""
    if language and language in texts:
        return texts[language]
    if ANY_LANGUAGE in texts:
        return texts[ANY_LANGUAGE]
    if default_language in texts:
        return texts[default_language]
    return next(iter(texts.values()))


# ---------------------------------------------------------------------------------------------
# Pace


@dataclass
class RateLimiter:
    """Send slots for one campaign: ``rate_per_s`` evenly spaced overall, ``per_chat_s`` per chat.

    :meth:`reserve` books the next slot and says how long to wait for it; it never lets two sends
    share a slot, so the pace holds with any number of concurrent senders. Slots are evenly spaced
    and never caught up when a sender is late: Telegram counts in sliding windows, and a burst after
    an idle or slow moment is exactly what it answers with 429.

    :meth:`throttled` is the answer to a 429: every slot moves past ``retry_after`` and the pace
    drops by :attr:`SLOWDOWN`; it creeps back (:attr:`RECOVERY` per :attr:`RECOVERY_AFTER_S` without
    a 429) but never above the configured rate.
    """

    rate_per_s: float
    per_chat_s: float = 1.0
    #: The pace after a 429 is this fraction of the pace before it.
    SLOWDOWN = 0.8
    RECOVERY = 1.05
    RECOVERY_AFTER_S = 10.0
    #: Never slower than this, however many 429s.
    MIN_RATE = 0.5

    current_rate: float = field(init=False)
    paused_until: float = field(default=0.0, init=False)
    throttles: int = field(default=0, init=False)
    _next_slot: float = field(default=0.0, init=False)
    _last_throttle: float = field(default=float("-inf"), init=False)
    _last_recovery: float = field(default=float("-inf"), init=False)
    _chat_next: dict[int, float] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0:
            raise ValueError("rate_per_s must be positive")
        self.current_rate = self.rate_per_s

    def reserve(self, chat_id: int, now: float) -> float:
        """Book the next free slot for ``chat_id``; return the seconds to wait for it (≥ 0)."""
        self._recover(now)
        interval = 1.0 / self.current_rate
        # No catch-up: a sender that fell behind (a slow commit) starts from now. Measured on a busy
        # machine, catching up missed slots let request jitter squeeze two sends into one slot of
        # Telegram's sliding window (a 429), which costs far more than the slot it saved.
        cadence = max(now, self._next_slot, self.paused_until)
        self._next_slot = cadence + interval
        # The per-chat spacing delays this send only; the cadence of the others goes on.
        slot = max(cadence, self._chat_next.get(chat_id, 0.0))
        self._chat_next[chat_id] = max(slot, now) + self.per_chat_s
        return max(0.0, slot - now)

    def throttled(self, retry_after_s: float, now: float) -> None:
        """Telegram said 429: pause everyone for ``retry_after_s`` and slow down."""
        self.throttles += 1
        self.paused_until = max(self.paused_until, now + retry_after_s)
        self._next_slot = max(self._next_slot, self.paused_until)
        self.current_rate = max(self.MIN_RATE, self.current_rate * self.SLOWDOWN)
        self._last_throttle = now

    def _recover(self, now: float) -> None:
        if self.current_rate >= self.rate_per_s:
            return
        since = now - max(self._last_throttle, self._last_recovery)
        if since >= self.RECOVERY_AFTER_S:
            self.current_rate = min(self.rate_per_s, self.current_rate * self.RECOVERY)
            self._last_recovery = now

    def forget_chat(self, chat_id: int) -> None:
        """Drop a chat's spacing once it will not be sent to again (keeps memory flat)."""
        self._chat_next.pop(chat_id, None)


def backoff_s(attempt: int, base: float = 2.0, cap: float = 60.0) -> float:
    """Wait before retry number ``attempt`` (1, 2, …) of a transient error: 2, 4, 8 … ≤ 60 s.

    Never under one second, so a retry also respects the one-message-per-second-per-chat rule.
    """
    return max(1.0, min(cap, base**attempt))


# ---------------------------------------------------------------------------------------------
# What operators read


@dataclass(frozen=True)
class Tally:
    """Recipients of one campaign by delivery state."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.sending + self.sent + self.failed + self.unreachable + self.skipped

    @property
    def remaining(self) -> int:
        return self.pending + self.sending

    @property
    def done(self) -> int:
        return self.total - self.remaining

    @classmethod
    def of(cls, counts: Mapping[str, int]) -> Tally:
        return cls(**{k: int(v) for k, v in counts.items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class CampaignInfo:
    """A campaign as listed by /campaigns and shown in its progress message."""

    id: int
    created_at: float
    created_by: int | None
    reminder_key: str | None
    texts: Mapping[str, str]
    audience: Audience
    state: str
    started_at: float | None
    finished_at: float | None
    total: int
    resent: int


@dataclass(frozen=True)
class ReminderInfo:
    key: str
    due_at: float
    texts: Mapping[str, str]
    audience: Audience
    state: str
    campaign_id: int | None


def eta_s(remaining: int, rate_per_s: float) -> float | None:
    return remaining / rate_per_s if rate_per_s > 0 else None
