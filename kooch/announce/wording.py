"""Operator wording of the living announcement (/status, /moved, /schedule): plain functions of
plain data, so the exact words operators read are unit-tested."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kooch.announce.moved import MovedDescription, MovedTitle
from kooch.announce.post import PostOutcome
from kooch.announce.schedule import in_words
from kooch.announce.store import MovedState, ScheduledPost
from kooch.announce.sync import EDITS_PER_MINUTE, PostStatus
from kooch.config import Channel, Config
from kooch.config.reload import ReloadState, format_errors
from kooch.operators.wording import channels_phrase
from kooch.telegram.errors import explain_telegram_error
from kooch.wording import format_count, format_time


@dataclass(frozen=True)
class ChannelStatus:
    channel: Channel
    posts: Sequence[PostStatus]
    count: int | None
    moved: MovedState | None
    scheduled: Sequence[ScheduledPost]


def post_line(status: PostStatus, tz: str) -> str:
    row = status.row
    head = f"📢 message {row.message_id}, posted {format_time(row.posted_at, tz)}"
    if not row.current:
        head += " (an older one)"
    if row.gone:
        assert row.gone_at is not None
        return f"{head} — 🗑 deleted from the channel (noticed {format_time(row.gone_at, tz)}); not synced"
    if status.pending is not None and row.error is not None and row.error_hash is not None:
        return f"{head} — ⚠️ not updated: Telegram said: {row.error}"
    if status.pending is not None:
        return (
            f"{head} — ⏳ differs from the config, update under way (≤ {EDITS_PER_MINUTE} edits/min); "
            f"last synced {format_time(row.synced_at, tz)}"
        )
    if row.error is not None:
        return f"{head} — ⚠️ not updated: Telegram said: {row.error}"
    return f"{head} — ✅ matches the config (last synced {format_time(row.synced_at, tz)})"


def format_status(
    config: Config,
    reload_state: ReloadState | None,
    channels: Sequence[ChannelStatus],
    named: bool,
    now: float,
) -> str:
    tz = config.timezone
    scope = channels_phrase([c.channel for c in channels], named)
    lines = [f"📡 Kooch status — {scope} — {format_time(now, tz)} ({tz})"]
    if reload_state is not None:
        watch = "watched for changes" if reload_state.watching else "not watched: use /reload after editing"
        lines.append(
            f"⚙️ Config {config.path}, version {config.version}, in force since "
            f"{format_time(reload_state.loaded_at, tz)}; {watch}"
        )
        if reload_state.broken_at is not None:
            lines.append(
                f"❌ The file was changed on {format_time(reload_state.broken_at, tz)} but that version "
                "is invalid, so the config above stays in force:"
            )
            lines.append(format_errors(reload_state.broken_errors))
    for cs in channels:
        ch = cs.channel
        lines += ["", f"{ch.label} ({ch.language})"]
        if not cs.posts:
            lines.append("  📢 no announcement posted yet (/announce)")
        for post in cs.posts:
            lines.append("  " + post_line(post, tz))
        if ch.counter:
            shown = format_count(cs.count, "en") if cs.count is not None else "…"
            lines.append(
                f"  🔢 live counter on: shows {shown}, updated at most every {config.counter_interval_s:g} s"
            )
        if cs.moved is not None and cs.moved.active:
            lines.append(f"  🏷 moved state since {format_time(cs.moved.moved_at, tz)} (/moved undo {ch.key})")
        for s in cs.scheduled:
            lines.append("  " + scheduled_line(s, tz, now))
    return "\n".join(lines)


def scheduled_line(s: ScheduledPost, tz: str, now: float) -> str:
    when = f"{format_time(s.due_at, tz)} ({tz})"
    if s.state == "asked":
        return f"⏰ #{s.id}: was due {when}; the bot was down, waiting for an operator's decision"
    return f"⏰ #{s.id}: announcement scheduled for {when}, in {in_words(s.due_at - now)}"


def moved_question(
    plans: Sequence[tuple[Channel, MovedTitle | str, MovedDescription, int | None]], named: bool
) -> str:
    """What /moved will do, per channel, before the operator confirms."""
    lines = [f"Put {channels_phrase([p[0] for p in plans], named)} into the moved state?"]
    for channel, title, description, message_id in plans:
        lines += ["", f"{channel.label}:"]
        if isinstance(title, str):
            lines.append(f"  title: {title}")
        elif title.too_long:
            lines.append(f"  title: too long for Telegram ({len(title.title)}/128), will be left as it is")
        else:
            lines.append(f"  title → {title.title}")
        lines.append(f"  description ({len(description.text)}/255):")
        lines += [f"    {line}" for line in description.text.splitlines()]
        if not description.complete:
            lines.append(
                f"  ⚠️ only {description.links} of {description.services} links fit in Telegram's "
                "255 characters; the pinned announcement has them all"
            )
        lines.append(
            f"  pin: the announcement (message {message_id})"
            if message_id is not None
            else "  pin: nothing to pin, no announcement posted yet"
        )
    lines += ["", "The current title and description are saved first; /moved undo restores them."]
    return "\n".join(lines)


def post_report(outcome: PostOutcome) -> str:
    """The operator's report line for one channel's post."""
    label = outcome.channel.label
    if outcome.message_id is None:
        return f"❌ {label}: not posted: {explain_telegram_error(outcome.refused or '')}"
    pin_note = ""
    if outcome.pinned:
        pin_note = ", pinned"
    elif outcome.pin_refused is not None:
        pin_note = f", but not pinned: {explain_telegram_error(outcome.pin_refused)}"
    return f"✅ {label}: posted (message {outcome.message_id}){pin_note}"
