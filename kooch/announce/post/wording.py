"""Operator wording of ``/announce``: the question before it, the channels that already have one, and
the report of each post."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

from kooch.announce.post.model import PostOutcome
from kooch.announce.store import Announcement
from kooch.config import Channel
from kooch.i18n import gettext
from kooch.i18n.bidi import isolate, ltr, paragraph
from kooch.i18n.formats import id_digits as _id
from kooch.i18n.formats import numeric_time as _time
from kooch.operators.wording import channels_phrase
from kooch.telegram.errors import explain_telegram_error


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
