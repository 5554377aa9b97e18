"""Operator wording of the living announcement (/status, /moved, /schedule): plain functions of
plain data, so the exact words operators read are unit-tested."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

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
from kooch.announce.schedule import ScheduledHeld, ScheduledPosted, in_words
from kooch.announce.store import Announcement, MovedState, ScheduledPost
from kooch.announce.sync import EDITS_PER_MINUTE, PostStatus
from kooch.config import Channel, Config
from kooch.config.reload import ReloadState, format_errors
from kooch.i18n import format_datetime, format_number, gettext, language_name, to_digits
from kooch.i18n.bidi import isolate, ltr, paragraph
from kooch.i18n.dates import echo
from kooch.operators.wording import channels_phrase
from kooch.telegram.errors import explain_telegram_error
from kooch.telegram.post import Button, Post
from kooch.wording import every, zone_words


@dataclass(frozen=True)
class ChannelStatus:
    channel: Channel
    posts: Sequence[PostStatus]
    count: int | None
    moved: MovedState | None
    scheduled: Sequence[ScheduledPost]


def _time(ts: float, tz: str, language: str) -> str:
    """A moment in the operators' numeric form: ``2026-12-02 00:14``, ``۱۴۰۵-۰۹-۱۱ ۰۰:۱۴``."""
    return format_datetime(ts, tz, language, numeric=True)


def _id(n: int, language: str) -> str:
    """A message or schedule number in ``language``'s digits (never grouped: it is a name)."""
    return to_digits(str(n), language)


def post_line(status: PostStatus, tz: str, language: str = "en") -> str:
    _ = partial(gettext, language)
    row = status.row
    head = _("📢 message {id}, posted {when}").format(
        id=_id(row.message_id, language), when=_time(row.posted_at, tz, language)
    )
    if not row.current:
        head += _(" (an older one)")
    if row.gone:
        assert row.gone_at is not None
        return _("{head} — 🗑 deleted from the channel (noticed {when}); not synced").format(
            head=head, when=_time(row.gone_at, tz, language)
        )
    if status.pending is not None and row.error is not None and row.error_hash is not None:
        return _("{head} — ⚠️ not updated: Telegram said: {error}").format(head=head, error=row.error)
    if status.pending is not None:
        return _(
            "{head} — ⏳ differs from the config, update under way (≤ {edits} edits/min); last synced {when}"
        ).format(
            head=head,
            edits=format_number(EDITS_PER_MINUTE, language),
            when=_time(row.synced_at, tz, language),
        )
    if row.error is not None:
        return _("{head} — ⚠️ not updated: Telegram said: {error}").format(head=head, error=row.error)
    return _("{head} — ✅ matches the config (last synced {when})").format(
        head=head, when=_time(row.synced_at, tz, language)
    )


def format_status(
    config: Config,
    reload_state: ReloadState | None,
    channels: Sequence[ChannelStatus],
    named: bool,
    now: float,
    language: str = "en",
) -> str:
    _ = partial(gettext, language)
    tz = config.timezone
    scope = channels_phrase([c.channel for c in channels], named, language)
    lines = [
        _("📡 Kooch status — {scope} — {when} ({tz})").format(
            scope=scope, when=_time(now, tz, language), tz=zone_words(tz, language)
        )
    ]
    if reload_state is not None:
        loaded = _time(reload_state.loaded_at, tz, language)
        if reload_state.watching:
            line = _("⚙️ Config {path}, version {version}, in force since {when}; watched for changes")
        else:
            line = _(
                "⚙️ Config {path}, version {version}, in force since {when}; "
                "not watched: use /reload after editing"
            )
        lines.append(line.format(path=isolate(config.path), version=ltr(config.version), when=loaded))
        if reload_state.broken_at is not None:
            lines.append(
                _(
                    "❌ The file was changed on {when} but that version is invalid, so the config above "
                    "stays in force:"
                ).format(when=_time(reload_state.broken_at, tz, language))
            )
            lines.append(format_errors(reload_state.broken_errors, language))
    for cs in channels:
        ch = cs.channel
        lines += ["", f"{isolate(ch.label)} ({language_name(ch.language, language)})"]
        if not cs.posts:
            lines.append("  " + _("📢 no announcement posted yet (/announce)"))
        for post in cs.posts:
            lines.append("  " + post_line(post, tz, language))
        if ch.counter:
            shown = format_number(cs.count, language) if cs.count is not None else "…"
            lines.append(
                "  "
                + _("🔢 live counter on: shows {count}, updated at most {every}").format(
                    count=shown, every=every(config.counter_interval_s, language)
                )
            )
        if cs.moved is not None and cs.moved.active:
            lines.append(
                "  "
                + _("🏷 moved state since {when} (/moved undo {key})").format(
                    when=_time(cs.moved.moved_at, tz, language), key=ch.key
                )
            )
        for s in cs.scheduled:
            lines.append("  " + scheduled_line(s, tz, now, language))
    return "\n".join(paragraph(line, language) if line else line for line in lines)


def scheduled_line(s: ScheduledPost, tz: str, now: float, language: str = "en") -> str:
    _ = partial(gettext, language)
    when = f"{_time(s.due_at, tz, language)} ({zone_words(tz, language)})"
    if s.state == "asked":
        return _("⏰ #{id}: was due {when}; the bot was down, waiting for an operator's decision").format(
            id=_id(s.id, language), when=when
        )
    if s.state == "held":
        return _(
            "⏸ #{id}: was due {when}, held: the channel got another announcement; "
            "waiting for an operator's decision"
        ).format(
            id=_id(s.id, language), when=f"{ltr(_time(s.due_at, tz, language))} ({zone_words(tz, language)})"
        )
    return _("⏰ #{id}: announcement scheduled for {when}, in {span}").format(
        id=_id(s.id, language), when=when, span=in_words(s.due_at - now, language)
    )


def moved_question(plans: Sequence[MovedPlan], named: bool, language: str = "en") -> str:
    """What /moved will do, per channel, before the operator confirms."""
    _ = partial(gettext, language)
    n = partial(format_number, language=language)
    lines = [
        _("Put {channels} into the moved state?").format(
            channels=channels_phrase([p.channel for p in plans], named, language)
        )
    ]
    for plan in plans:
        title, description = plan.title, plan.description
        lines += ["", f"{isolate(plan.channel.label)}:"]
        if title is None:
            lines.append(
                "  "
                + _("title: cannot read it: {reason}").format(
                    reason=explain_telegram_error(plan.unreadable or "", language)
                )
            )
        elif title.too_long:
            lines.append(
                "  "
                + _("title: too long for Telegram ({length}/128), will be left as it is").format(
                    length=n(len(title.title))
                )
            )
        else:
            lines.append("  " + _("title → {title}").format(title=title.title))
        lines.append("  " + _("description ({length}/255):").format(length=n(len(description.text))))
        lines += [f"    {line}" for line in description.text.splitlines()]
        if not description.complete:
            lines.append(
                "  "
                + _(
                    "⚠️ only {links} of {services} links fit in Telegram's 255 characters; the pinned "
                    "announcement has them all"
                ).format(links=n(description.links), services=n(description.services))
            )
        lines.append(
            "  " + _("pin: the announcement (message {id})").format(id=_id(plan.announcement, language))
            if plan.announcement is not None
            else "  " + _("pin: nothing to pin, no announcement posted yet")
        )
    lines += ["", _("The current title and description are saved first; /moved undo restores them.")]
    return "\n".join(paragraph(line, language) if line else line for line in lines)


def undo_lines(plans: Sequence[UndoPlan], language: str = "en") -> list[str]:
    """What /moved undo will restore, one line per channel."""
    _ = partial(gettext, language)
    lines = []
    for p in plans:
        label = isolate(p.channel.label)
        if not p.active:
            lines.append(_("• {channel}: not in the moved state; nothing to restore").format(channel=label))
        else:
            if p.pinned_message_id:
                text = _(
                    "• {channel}: title back to “{title}”, description back to “{description}”, "
                    "unpin the announcement"
                )
            else:
                text = _("• {channel}: title back to “{title}”, description back to “{description}”")
            lines.append(
                text.format(
                    channel=label,
                    title=p.original_title,
                    description=p.original_description or _("(empty)"),
                )
            )
    return [paragraph(line, language) for line in lines]


def undo_question(plans: Sequence[UndoPlan], named: bool, language: str = "en") -> str:
    """The question before /moved undo (when at least one channel is in the moved state)."""
    phrase = channels_phrase([p.channel for p in plans], named, language)
    head = gettext(language, "Undo the moved state of {channels}?").format(channels=phrase)
    return "\n".join([paragraph(head, language), *undo_lines(plans, language)])


def missing_right(language: str) -> str:
    return gettext(language, "missing right: give the bot “Change channel info” (and “Edit messages”)")


MISSING_RIGHT = missing_right("en")


def step_line(what: str, step: StepOutcome, language: str = "en") -> str:
    """One Bot API step of /moved or its undo, as the report says it."""
    _ = partial(gettext, language)
    if step.status is StepStatus.DONE:
        return _("  ✅ {what}: done").format(what=what)
    if step.status is StepStatus.ALREADY:
        return _("  ✅ {what}: already so").format(what=what)
    if step.status is StepStatus.MISSING_RIGHT:
        return _("  ❌ {what}: {reason}").format(what=what, reason=missing_right(language))
    if step.status is StepStatus.TOO_LONG:
        return _("  ❌ {what}: too long for Telegram ({detail})").format(what=what, detail=step.description)
    if step.status is StepStatus.REFUSED:
        return _("  ❌ {what}: {reason}").format(
            what=what, reason=explain_telegram_error(step.description or "", language)
        )
    return _("  ❌ {what}: not tried").format(what=what)


def _set_lines(report: MovedSet, language: str) -> list[str]:
    _ = partial(gettext, language)
    n = partial(format_number, language=language)
    lines = [
        _("  ✅ original title and description saved")
        if report.saved
        else _("  ℹ️ already in the moved state: the originals saved before are kept")
    ]
    if report.title_step.status is StepStatus.SKIPPED:
        lines.append(
            _("  ❌ title: too long for Telegram ({length}/128 characters); left as it is").format(
                length=n(len(report.title.title))
            )
        )
    else:
        lines.append(step_line(_("title"), report.title_step, language))
    description = report.description
    if report.description_step.status is StepStatus.SKIPPED:
        lines.append(_("  ❌ description: too long for Telegram (255 characters) even with one link"))
    else:
        line = step_line(_("description"), report.description_step, language)
        if report.description_step.ok and not description.complete:
            line += _(" (only {links} of {services} links fit in 255 characters)").format(
                links=n(description.links), services=n(description.services)
            )
        lines.append(line)
    if report.announcement is None:
        lines.append(_("  ❌ pin: no announcement posted yet (/announce)"))
    else:
        what = _("pin the announcement (message {id})").format(id=_id(report.announcement, language))
        lines.append(step_line(what, report.pin_step, language))
    return lines


def _undo_lines(report: MovedUndone, language: str) -> list[str]:
    _ = partial(gettext, language)
    lines = []
    if report.title_step is not None:
        lines.append(step_line(_("title restored"), report.title_step, language))
    lines.append(step_line(_("description restored"), report.description_step, language))
    if report.unpin_step is not None:
        what = _("unpin message {id}").format(id=_id(report.unpinned or 0, language))
        lines.append(step_line(what, report.unpin_step, language))
    if not report.complete:
        lines.append(_("  ⚠️ not everything was restored; the originals stay saved: try /moved undo again"))
    return lines


def moved_report_lines(report: MovedReport, language: str = "en") -> list[str]:
    """One channel's part of the /moved (or /moved undo) report."""
    _ = partial(gettext, language)
    if isinstance(report, NotInConfig):
        lines = [_("❌ {key}: no longer in the config; nothing changed.").format(key=report.key)]
    else:
        head = f"{isolate(report.channel.label)}:"
        if isinstance(report, ChatUnreadable):
            reason = explain_telegram_error(report.description, language)
            lines = [head, _("  ❌ nothing changed: {reason}").format(reason=reason)]
        elif isinstance(report, NotMoved):
            lines = [head, _("  ℹ️ not in the moved state; nothing to restore")]
        elif isinstance(report, MovedSet):
            lines = [head, *_set_lines(report, language)]
        else:
            lines = [head, *_undo_lines(report, language)]
    return [paragraph(line, language) for line in lines]


def moved_report(reports: Sequence[MovedReport], language: str = "en") -> list[str]:
    """The lines of the /moved (or /moved undo) report, every channel's in turn."""
    return [line for report in reports for line in moved_report_lines(report, language)]


def announce_question(
    channels: Sequence[Channel],
    existing: Mapping[str, Announcement],
    named: bool,
    tz: str,
    language: str = "en",
) -> str:
    """The question before ``/announce``: where it goes, and which channels have one already."""
    _ = partial(gettext, language)
    lines = [
        _("Post the announcement above to {channels}?").format(
            channels=channels_phrase(channels, named, language)
        )
    ]
    for ch in channels:
        ann = existing.get(ch.key)
        if ann is not None:
            lines.append(
                _(
                    "⚠️ {channel} already has an announcement (message {id}, posted {when}). "
                    "Confirming posts a new one beside it."
                ).format(
                    channel=isolate(ch.label),
                    id=_id(ann.message_id, language),
                    when=_time(ann.posted_at, tz, language),
                )
            )
    return "\n".join(paragraph(line, language) for line in lines)


def not_in_config(key: str, language: str = "en") -> str:
    """A channel a pending action named that the config no longer has."""
    return paragraph(
        gettext(language, "❌ {key}: no longer in the config; nothing posted.").format(key=key), language
    )


def post_report(outcome: PostOutcome, language: str = "en") -> str:
    """The operator's report line for one channel's post."""
    _ = partial(gettext, language)
    label = isolate(outcome.channel.label)
    if outcome.message_id is None:
        reason = explain_telegram_error(outcome.refused or "", language)
        return paragraph(
            _("❌ {channel}: not posted: {reason}").format(channel=label, reason=reason), language
        )
    message_id = _id(outcome.message_id, language)
    if outcome.pinned:
        text = _("✅ {channel}: posted (message {id}), pinned").format(channel=label, id=message_id)
    elif outcome.pin_refused is not None:
        text = _("✅ {channel}: posted (message {id}), but not pinned: {reason}").format(
            channel=label, id=message_id, reason=explain_telegram_error(outcome.pin_refused, language)
        )
    else:
        text = _("✅ {channel}: posted (message {id})").format(channel=label, id=message_id)
    return paragraph(text, language)


# --------------------------------------------------------------------------------------------
# Scheduled announcements


def schedule_question(
    channels: Sequence[Channel],
    named: bool,
    due: float,
    tz: str,
    now: float,
    language: str = "en",
    existing: Mapping[str, Announcement] | None = None,
) -> str:
    """The question before scheduling ``/announce … at/in …`` (and the approver's account of it),
    with the channels where it would be a second announcement."""
    _ = partial(gettext, language)
    lines = [
        _("Schedule the announcement above for {channels}?").format(
            channels=channels_phrase(channels, named, language)
        ),
        # When, in the reader's calendar, and how far from now (kooch.i18n.dates.echo).
        "⏰ " + echo(due, now, tz, language),
        _("It is posted with the config in force at that moment; /schedule lists and cancels."),
    ]
    second = second_lines(channels, existing or {}, tz, language)
    return "\n".join([*(paragraph(line, language) for line in lines), *second])


# --------------------------------------------------------------------------------------------
# One announcement per channel (kooch.announce.duplicates)


def second_lines(
    channels: Sequence[Channel], existing: Mapping[str, Announcement], tz: str, language: str = "en"
) -> list[str]:
    """One line per channel that already has an announcement: what confirming would add to it
    (the schedule's question, and the approver's request for a post or a schedule)."""
    text = gettext(
        language,
        "⚠️ {channel} already has an announcement (message {id}, posted {when}): "
        "this would be a second one beside it.",
    )
    return [
        paragraph(
            text.format(
                channel=isolate(ch.label),
                id=_id(ann.message_id, language),
                when=ltr(_time(ann.posted_at, tz, language)),
            ),
            language,
        )
        for ch in channels
        if (ann := existing.get(ch.key)) is not None
    ]


def second_label(kind: str, language: str = "en") -> str:
    """The confirm button where a channel already has an announcement: the explicit choice."""
    if kind == "schedule":
        return gettext(language, "⏰ Schedule a second one")
    return gettext(language, "📢 Post a second one")


def choose_again(language: str = "en") -> str:
    """The answer to a confirm press when a channel has an announcement the question did not show
    (a toast: at most 200 characters)."""
    return gettext(language, "The channel has an announcement now: choose again.")


def announced_meanwhile(channel: Channel, ann: Announcement, tz: str, language: str = "en") -> str:
    """A channel left out of a confirmed (or approved) action: it got an announcement since."""
    text = gettext(
        language,
        "❌ {channel}: got an announcement after the question (message {id}, posted {when}); "
        "nothing done there. Run the command again to choose.",
    )
    return paragraph(
        text.format(
            channel=isolate(channel.label),
            id=_id(ann.message_id, language),
            when=ltr(_time(ann.posted_at, tz, language)),
        ),
        language,
    )


def schedule_confirmed(
    ids: Sequence[int], keys: Sequence[str], due: float, tz: str, language: str = "en", *, now: float
) -> str:
    """What was scheduled: each post's number and channel, and when, in the reader's calendar and
    how far from ``now`` (:func:`kooch.i18n.dates.echo`)."""
    when = echo(due, now, tz, language)
    lines = [
        gettext(language, "⏰ #{id}: {key}, {when}").format(id=_id(i, language), key=key, when=when)
        for i, key in zip(ids, keys, strict=True)
    ]
    lines.append(gettext(language, "/schedule lists and cancels."))
    return "\n".join(paragraph(line, language) for line in lines)


def nothing_scheduled(language: str) -> str:
    return gettext(
        language, "Nothing is scheduled. /announce [channel] at <time> or in <2h> schedules an announcement."
    )


def schedule_listing(
    config: Config, posts: Sequence[ScheduledPost], now: float, language: str = "en"
) -> Post:
    """/schedule: every scheduled post, each with its Cancel button."""
    _ = partial(gettext, language)
    if not posts:
        return Post(paragraph(nothing_scheduled(language), language))
    lines = [_("Scheduled announcements:")]
    buttons = []
    for s in posts:
        channel = config.channel_by_key(s.channel)
        if channel is not None:
            label = isolate(channel.label)
        else:
            label = _("{key} (no longer in the config)").format(key=s.channel)
        lines.append(f"{scheduled_line(s, config.timezone, now, language)} — {label}")
        cancel = _("✖️ Cancel #{id}").format(id=_id(s.id, language))
        buttons.append((Button(cancel, callback_data=f"schedule:drop:{s.id}"),))
    return Post("\n".join(paragraph(line, language) for line in lines), tuple(buttons))


def scheduled_post_line(result: ScheduledPosted, language: str = "en") -> str:
    """The result of one scheduled post, as recorded with it and in the audit log."""
    if result.outcome is None:
        text = gettext(language, "❌ {key}: no longer in the config; nothing posted.")
        return paragraph(text.format(key=result.scheduled.channel), language)
    return post_report(result.outcome, language)


def scheduled_posted_notice(result: ScheduledPosted, tz: str, language: str = "en") -> str:
    """What the operators are told when a scheduled announcement has been posted (or not)."""
    _ = partial(gettext, language)
    s = result.scheduled
    when = _("due {when} ({tz})").format(when=_time(s.due_at, tz, language), tz=zone_words(tz, language))
    # Within a minute is on time: the JobQueue and the post itself take a moment.
    if result.lateness > 60:
        late = in_words(result.lateness, language)
        if result.decided:
            when += _(", posted {span} late").format(span=late)
        else:
            when += _(", posted {span} late (the bot was down)").format(span=late)
    head = _("⏰ Scheduled announcement #{id} ({when}):").format(id=_id(s.id, language), when=when)
    return f"{paragraph(head, language)}\n{scheduled_post_line(result, language)}"


def interrupted_notice(s: ScheduledPost, language: str = "en") -> str:
    text = gettext(
        language,
        "⚠️ Scheduled announcement #{id} for {key} was being posted when the bot stopped. "
        "Check the channel; /announce posts it again if it is missing.",
    )
    return paragraph(text.format(id=_id(s.id, language), key=s.channel), language)


def overdue_question(s: ScheduledPost, tz: str, now: float, grace_s: float, language: str = "en") -> Post:
    """The operators' question about a post that fell due while the bot was down, longer ago
    than the grace period, with its two buttons."""
    _ = partial(gettext, language)
    text = _(
        "⏰ Scheduled announcement #{id} for {key} was due {when} ({tz}), {span} ago, while the bot "
        "was down: more than the grace period ({grace}). Post it now?"
    ).format(
        id=_id(s.id, language),
        key=s.channel,
        when=_time(s.due_at, tz, language),
        tz=zone_words(tz, language),
        span=in_words(now - s.due_at, language),
        grace=in_words(grace_s, language),
    )
    buttons = (
        Button(_("📢 Post now"), callback_data=f"schedule:late:{s.id}"),
        Button(_("✖️ Cancel it"), callback_data=f"schedule:drop:{s.id}"),
    )
    return Post(paragraph(text, language), (buttons,))


def held_line(held: ScheduledHeld) -> str:
    """The result recorded with a held post and in the audit log (English, as every audit row)."""
    return f"held: message {held.current.message_id} was posted since the schedule was confirmed"


def held_notice(held: ScheduledHeld, config: Config, language: str = "en") -> Post:
    """What every operator is told when a scheduled post is held at its time, with what to do."""
    _ = partial(gettext, language)
    s = held.scheduled
    tz = config.timezone
    channel = config.channel_by_key(s.channel)
    label = isolate(channel.label) if channel is not None else ltr(s.channel)
    lines = [
        _("⏸ Scheduled announcement #{id} for {channel} (due {when}) was held, not posted.").format(
            id=_id(s.id, language), channel=label, when=ltr(_time(s.due_at, tz, language))
        ),
        _(
            "The channel got an announcement after it was scheduled (message {message}, posted {when}): "
            "posting this one would put a second one beside it."
        ).format(
            message=_id(held.current.message_id, language),
            when=ltr(_time(held.current.posted_at, tz, language)),
        ),
        _("Post it anyway, or cancel it; /schedule lists it until then."),
    ]
    buttons = (
        Button(_("📢 Post it anyway"), callback_data=f"schedule:late:{s.id}"),
        Button(_("✖️ Cancel it"), callback_data=f"schedule:drop:{s.id}"),
    )
    return Post("\n".join(paragraph(line, language) for line in lines), (buttons,))
