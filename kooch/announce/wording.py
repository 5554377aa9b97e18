"""Operator wording of the living announcement (/status, /moved, /schedule): plain functions of
plain data, so the exact words operators read are unit-tested."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kooch.announce.moved import (
    ChatUnreadable,
    MovedPlan,
    MovedReport,
    MovedSet,
    MovedUndone,
    NotInConfig,
    NotMoved,
    StepOutcome,
    StepStatus,
    UndoPlan,
)
from kooch.announce.post import PostOutcome
from kooch.announce.schedule import ScheduledPosted, in_words
from kooch.announce.store import Announcement, MovedState, ScheduledPost
from kooch.announce.sync import EDITS_PER_MINUTE, PostStatus
from kooch.config import Channel, Config
from kooch.config.reload import ReloadState, format_errors
from kooch.operators.wording import channels_phrase
from kooch.telegram.errors import explain_telegram_error
from kooch.telegram.post import Button, Post
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


def moved_question(plans: Sequence[MovedPlan], named: bool) -> str:
    """What /moved will do, per channel, before the operator confirms."""
    lines = [f"Put {channels_phrase([p.channel for p in plans], named)} into the moved state?"]
    for plan in plans:
        title, description = plan.title, plan.description
        lines += ["", f"{plan.channel.label}:"]
        if title is None:
            lines.append(f"  title: cannot read it: {explain_telegram_error(plan.unreadable or '')}")
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
            f"  pin: the announcement (message {plan.announcement})"
            if plan.announcement is not None
            else "  pin: nothing to pin, no announcement posted yet"
        )
    lines += ["", "The current title and description are saved first; /moved undo restores them."]
    return "\n".join(lines)


def undo_lines(plans: Sequence[UndoPlan]) -> list[str]:
    """What /moved undo will restore, one line per channel."""
    lines = []
    for p in plans:
        if not p.active:
            lines.append(f"• {p.channel.label}: not in the moved state; nothing to restore")
        else:
            lines.append(
                f"• {p.channel.label}: title back to “{p.original_title}”, description back to "
                f"“{p.original_description or '(empty)'}”"
                + (", unpin the announcement" if p.pinned_message_id else "")
            )
    return lines


def undo_question(plans: Sequence[UndoPlan], named: bool) -> str:
    """The question before /moved undo (when at least one channel is in the moved state)."""
    phrase = channels_phrase([p.channel for p in plans], named)
    return "\n".join([f"Undo the moved state of {phrase}?", *undo_lines(plans)])


MISSING_RIGHT = "missing right: give the bot “Change channel info” (and “Edit messages”)"


def step_line(what: str, step: StepOutcome) -> str:
    """One Bot API step of /moved or its undo, as the report says it."""
    if step.status is StepStatus.DONE:
        return f"  ✅ {what}: done"
    if step.status is StepStatus.ALREADY:
        return f"  ✅ {what}: already so"
    if step.status is StepStatus.MISSING_RIGHT:
        return f"  ❌ {what}: {MISSING_RIGHT}"
    if step.status is StepStatus.TOO_LONG:
        return f"  ❌ {what}: too long for Telegram ({step.description})"
    if step.status is StepStatus.REFUSED:
        return f"  ❌ {what}: {explain_telegram_error(step.description or '')}"
    return f"  ❌ {what}: not tried"


def _set_lines(report: MovedSet) -> list[str]:
    lines = [
        "  ✅ original title and description saved"
        if report.saved
        else "  ℹ️ already in the moved state: the originals saved before are kept"
    ]
    if report.title_step.status is StepStatus.SKIPPED:
        lines.append(
            f"  ❌ title: too long for Telegram ({len(report.title.title)}/128 characters); left as it is"
        )
    else:
        lines.append(step_line("title", report.title_step))
    description = report.description
    if report.description_step.status is StepStatus.SKIPPED:
        lines.append("  ❌ description: too long for Telegram (255 characters) even with one link")
    else:
        line = step_line("description", report.description_step)
        if report.description_step.ok and not description.complete:
            line += f" (only {description.links} of {description.services} links fit in 255 characters)"
        lines.append(line)
    if report.announcement is None:
        lines.append("  ❌ pin: no announcement posted yet (/announce)")
    else:
        lines.append(step_line(f"pin the announcement (message {report.announcement})", report.pin_step))
    return lines


def _undo_lines(report: MovedUndone) -> list[str]:
    lines = []
    if report.title_step is not None:
        lines.append(step_line("title restored", report.title_step))
    lines.append(step_line("description restored", report.description_step))
    if report.unpin_step is not None:
        lines.append(step_line(f"unpin message {report.unpinned}", report.unpin_step))
    if not report.complete:
        lines.append("  ⚠️ not everything was restored; the originals stay saved: try /moved undo again")
    return lines


def moved_report_lines(report: MovedReport) -> list[str]:
    """One channel's part of the /moved (or /moved undo) report."""
    if isinstance(report, NotInConfig):
        return [f"❌ {report.key}: no longer in the config; nothing changed."]
    head = f"{report.channel.label}:"
    if isinstance(report, ChatUnreadable):
        return [head, f"  ❌ nothing changed: {explain_telegram_error(report.description)}"]
    if isinstance(report, NotMoved):
        return [head, "  ℹ️ not in the moved state; nothing to restore"]
    if isinstance(report, MovedSet):
        return [head, *_set_lines(report)]
    return [head, *_undo_lines(report)]


def moved_report(reports: Sequence[MovedReport]) -> list[str]:
    """The lines of the /moved (or /moved undo) report, every channel's in turn."""
    return [line for report in reports for line in moved_report_lines(report)]


def announce_question(
    channels: Sequence[Channel],
    existing: Mapping[str, Announcement],
    named: bool,
    tz: str,
) -> str:
    """The question before ``/announce``: where it goes, and which channels have one already."""
    lines = [f"Post the announcement above to {channels_phrase(channels, named)}?"]
    for ch in channels:
        ann = existing.get(ch.key)
        if ann is not None:
            lines.append(
                f"⚠️ {ch.label} already has an announcement (message {ann.message_id}, "
                f"posted {format_time(ann.posted_at, tz)}). Confirming posts a new one beside it."
            )
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


# --------------------------------------------------------------------------------------------
# Scheduled announcements


def schedule_question(channels: Sequence[Channel], named: bool, due: float, tz: str, now: float) -> str:
    """The question before scheduling ``/announce … at/in …``."""
    return (
        f"Schedule the announcement above for {channels_phrase(channels, named)} at "
        f"{format_time(due, tz)} ({tz}), in {in_words(due - now)}?\n"
        "It is posted with the config in force at that moment; /schedule lists and cancels."
    )


def schedule_confirmed(ids: Sequence[int], keys: Sequence[str], due: float, tz: str) -> str:
    lines = [f"⏰ #{i}: {key} at {format_time(due, tz)} ({tz})" for i, key in zip(ids, keys, strict=True)]
    return "\n".join([*lines, "/schedule lists and cancels."])


NOTHING_SCHEDULED = (
    "Nothing is scheduled. /announce [channel] at <time> or in <2h> schedules an announcement."
)


def schedule_listing(config: Config, posts: Sequence[ScheduledPost], now: float) -> Post:
    """/schedule: every scheduled post, each with its Cancel button."""
    if not posts:
        return Post(NOTHING_SCHEDULED)
    lines = ["Scheduled announcements:"]
    buttons = []
    for s in posts:
        channel = config.channel_by_key(s.channel)
        label = channel.label if channel else f"{s.channel} (no longer in the config)"
        lines.append(f"{scheduled_line(s, config.timezone, now)} — {label}")
        buttons.append((Button(f"✖️ Cancel #{s.id}", callback_data=f"schedule:drop:{s.id}"),))
    return Post("\n".join(lines), tuple(buttons))


def scheduled_post_line(result: ScheduledPosted) -> str:
    """The result of one scheduled post, as recorded with it and in the audit log."""
    if result.outcome is None:
        return f"❌ {result.scheduled.channel}: no longer in the config; nothing posted."
    return post_report(result.outcome)


def scheduled_posted_notice(result: ScheduledPosted, tz: str) -> str:
    """What the operators are told when a scheduled announcement has been posted (or not)."""
    s = result.scheduled
    when = f"due {format_time(s.due_at, tz)} ({tz})"
    # Within a minute is on time: the JobQueue and the post itself take a moment.
    if result.lateness > 60:
        when += f", posted {in_words(result.lateness)} late" + (
            "" if result.decided else " (the bot was down)"
        )
    return f"⏰ Scheduled announcement #{s.id} ({when}):\n{scheduled_post_line(result)}"


def interrupted_notice(s: ScheduledPost) -> str:
    return (
        f"⚠️ Scheduled announcement #{s.id} for {s.channel} was being posted when the bot stopped. "
        "Check the channel; /announce posts it again if it is missing."
    )


def overdue_question(s: ScheduledPost, tz: str, now: float, grace_s: float) -> Post:
    """The operators' question about a post that fell due while the bot was down, longer ago
    than the grace period, with its two buttons."""
    text = (
        f"⏰ Scheduled announcement #{s.id} for {s.channel} was due {format_time(s.due_at, tz)} ({tz}), "
        f"{in_words(now - s.due_at)} ago, while the bot was down: more than the grace period "
        f"({in_words(grace_s)}). Post it now?"
    )
    buttons = (
        Button("📢 Post now", callback_data=f"schedule:late:{s.id}"),
        Button("✖️ Cancel it", callback_data=f"schedule:drop:{s.id}"),
    )
    return Post(text, (buttons,))
