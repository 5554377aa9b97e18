"""Reminder campaigns, the pure parts: who gets a reminder, how fast it may go, what operators read.

Nothing here talks to Telegram or the database, so each piece is unit-tested as plain functions:

- :class:`Audience`: the recipients, as operators say it (``to:all channel:demo lang:fa``).
- :class:`RateLimiter`: Telegram's limits as a schedule of send slots: an even pace overall (no
  bursts: a burst is what earns a 429) and at least one second between two sends to one chat; a
  429 pauses every sender for ``retry_after`` and slows the whole campaign down.
- :class:`Tally` and the ``format_*`` functions: the progress message and the final tally.

The engine that sends is :mod:`kooch.campaigns.runner`; the SQL is :mod:`kooch.campaigns.store`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from kooch.i18n import (
    format_datetime,
    format_number,
    gettext,
    isolate,
    language_name,
    ngettext,
    paragraph,
    pgettext,
    to_digits,
)
from kooch.operators.wording import operator_name
from kooch.wording import zone_words

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


def format_duration(seconds: float, language: str = "en") -> str:
    """``45 s``, ``2 min 05 s``, ``1 h 03 min`` in ``language``'s words and digits."""
    _ = partial(gettext, language)
    seconds = max(0, round(seconds))
    if seconds < 60:
        text = _("{s} s").format(s=seconds)
    elif seconds < 3600:
        text = _("{m} min {s} s").format(m=seconds // 60, s=f"{seconds % 60:02d}")
    else:
        text = _("{h} h {m} min").format(h=seconds // 3600, m=f"{seconds % 3600 // 60:02d}")
    return to_digits(text, language)


def eta_s(remaining: int, rate_per_s: float) -> float | None:
    return remaining / rate_per_s if rate_per_s > 0 else None


def campaign_state(state: str, language: str) -> str:
    """A campaign's state as operators read it (``running``, ``queued``…; others as stored)."""
    words = {
        "queued": pgettext(language, "campaign", "queued"),
        "starting": pgettext(language, "campaign", "starting"),
        "running": pgettext(language, "campaign", "running"),
        "done": pgettext(language, "campaign", "done"),
        "cancelled": pgettext(language, "campaign", "cancelled"),
    }
    return words.get(state, state)


def format_progress(
    campaign_id: int,
    tally: Tally,
    rate_per_s: float,
    *,
    state: str = "running",
    note: str = "",
    language: str = "en",
) -> str:
    """The progress message, edited every few seconds while the campaign runs."""
    _ = partial(gettext, language)

    def n(value: int) -> str:
        return format_number(value, language)

    lines = [
        _("📨 Reminder campaign #{id}: {state}").format(
            id=to_digits(str(campaign_id), language), state=campaign_state(state, language)
        )
    ]
    lines.append(
        _(
            "✅ sent {sent} · ❌ failed {failed} · 🚫 unreachable {unreachable}"
            " · ⏳ remaining {remaining} of {total}"
        ).format(
            sent=n(tally.sent),
            failed=n(tally.failed),
            unreachable=n(tally.unreachable),
            remaining=n(tally.remaining),
            total=n(tally.total),
        )
    )
    if tally.skipped:
        lines.append(
            _("↪️ skipped {skipped} (moved, blocked the bot or used /forget meanwhile)").format(
                skipped=n(tally.skipped)
            )
        )
    eta = eta_s(tally.remaining, rate_per_s)
    line = _("⚡ {rate} msg/s").format(rate=format_number(rate_per_s, language, decimals=1))
    if eta is not None and tally.remaining:
        line += _(" · ETA {duration}").format(duration=format_duration(eta, language))
    lines.append(line)
    if note:
        lines.append(note)
    return "\n".join(paragraph(line, language) for line in lines)


def resumed_note(resent: int, language: str) -> str:
    """The progress message's note on a campaign taken up again after a restart."""
    if not resent:
        return gettext(language, "↻ resumed after a restart")
    return ngettext(
        language,
        "↻ resumed after a restart ({n} send in flight at the stop was sent again)",
        "↻ resumed after a restart ({n} sends in flight at the stop were sent again)",
        resent,
    ).format(n=format_number(resent, language))


def format_final(
    campaign_id: int,
    tally: Tally,
    *,
    cancelled: bool,
    elapsed_s: float,
    resent: int,
    errors: Sequence[tuple[str, int]] = (),
    language: str = "en",
) -> str:
    """The final tally, posted when a campaign ends (done or cancelled)."""
    _ = partial(gettext, language)

    def n(value: int) -> str:
        return format_number(value, language)

    duration = format_duration(elapsed_s, language)
    if cancelled:
        head = _("📨 Reminder campaign #{id} 🛑 cancelled after {duration}.")
    else:
        head = _("📨 Reminder campaign #{id} 🏁 finished after {duration}.")
    lines = [head.format(id=to_digits(str(campaign_id), language), duration=duration)]
    lines.append(_("✅ sent: {sent} of {total}").format(sent=n(tally.sent), total=n(tally.total)))
    lines.append(_("❌ failed: {failed}").format(failed=n(tally.failed)))
    for reason, count in errors[:5]:
        lines.append(f"   • {n(count)} × {reason}")
    lines.append(
        _("🚫 unreachable (blocked the bot or deleted their account): {n}").format(n=n(tally.unreachable))
    )
    if tally.skipped:
        lines.append(
            _("↪️ skipped (moved, blocked or used /forget meanwhile): {n}").format(n=n(tally.skipped))
        )
    if cancelled and tally.remaining:
        lines.append(_("⏸ not sent because of the cancel: {n}").format(n=n(tally.remaining)))
    if resent:
        lines.append(
            ngettext(
                language,
                "⚠️ {n} send was in flight when Kooch stopped abruptly and was sent again: "
                "that user may have the reminder twice.",
                "⚠️ {n} sends were in flight when Kooch stopped abruptly and were sent again: "
                "those users may have the reminder twice.",
                resent,
            ).format(n=n(resent))
        )
    return "\n".join(paragraph(line, language) for line in lines)


def format_campaign_line(
    c: CampaignInfo,
    tally: Tally,
    tz: str,
    language: str = "en",
    names: Mapping[int, str] | None = None,
    *,
    clicks: int | None = None,
) -> str:
    """One campaign of /campaigns; ``names``: the operators' Telegram names, by user id;
    ``clicks``: people's clicks on its links (None: not counted)."""
    _ = partial(gettext, language)

    def n(value: int) -> str:
        return format_number(value, language)

    who = (
        operator_name(c.created_by, names or {}, language)
        if c.created_by is not None
        else _("scheduled reminder")
    )
    line = _(
        "#{id} {state} — {who}, {when} — {audience}: sent {sent}/{total}, failed {failed}, "
        "unreachable {unreachable}"
    ).format(
        id=to_digits(str(c.id), language),
        state=campaign_state(c.state, language),
        who=who,
        when=format_datetime(c.started_at or c.created_at, tz, language, numeric=True),
        audience=c.audience.describe(language=language),
        sent=n(tally.sent),
        total=n(tally.total),
        failed=n(tally.failed),
        unreachable=n(tally.unreachable),
    )
    if tally.remaining:
        line += _(", remaining {n}").format(n=n(tally.remaining))
    if clicks is not None:
        line += _(", clicks on its links {n}").format(n=n(clicks))
    return paragraph(line, language)


def format_reminder_line(r: ReminderInfo, tz: str, language: str = "en") -> str:
    _ = partial(gettext, language)
    state = {
        "scheduled": pgettext(language, "reminder", "scheduled"),
        "started": _("sent as campaign #{id}").format(id=to_digits(str(r.campaign_id), language)),
        "missed": _("MISSED (Kooch was down when it was due): send now or cancel"),
        "cancelled": pgettext(language, "reminder", "cancelled"),
    }.get(r.state, r.state)
    return paragraph(
        _("⏰ {when} ({tz}) — {audience} — {state}").format(
            when=format_datetime(r.due_at, tz, language, numeric=True),
            tz=zone_words(tz, language),
            audience=r.audience.describe(language=language),
            state=state,
        ),
        language,
    )
