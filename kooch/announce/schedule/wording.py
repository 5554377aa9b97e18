"""Operator wording of ``/schedule`` and scheduled announcements: the question, the listing, and the
notices when one is posted, held, interrupted or overdue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

from kooch.announce.post.wording import post_report, second_lines
from kooch.announce.schedule.model import ScheduledHeld, ScheduledPosted, in_words
from kooch.announce.store import Announcement, ScheduledPost
from kooch.config import Channel, Config
from kooch.i18n import gettext
from kooch.i18n.bidi import isolate, ltr, paragraph
from kooch.i18n.dates import echo
from kooch.i18n.formats import id_digits as _id
from kooch.i18n.formats import numeric_time as _time
from kooch.i18n.formats import zone_words
from kooch.operators.wording import channels_phrase
from kooch.telegram.post import Button, Post


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
