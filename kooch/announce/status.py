"""Operator wording of ``/status``: which replica and version answered, each channel's posted
announcements and their sync state, its moved state and scheduled announcements, and the config in
force. Above the four sub-packages: it says what each of them holds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from kooch.announce.schedule.wording import scheduled_line
from kooch.announce.store import (
    MovedState,
    ScheduledPost,
)
from kooch.announce.sync.model import EDITS_PER_MINUTE, PostStatus
from kooch.config import Channel, Config
from kooch.config.reload import ReloadState, format_errors
from kooch.i18n import format_number, gettext, isolate, language_name, ltr, paragraph
from kooch.i18n.formats import every, zone_words
from kooch.i18n.formats import id_digits as _id
from kooch.i18n.formats import numeric_time as _time
from kooch.operators.wording import channels_phrase


@dataclass(frozen=True)
class ChannelStatus:
    channel: Channel
    posts: Sequence[PostStatus]
    count: int | None
    moved: MovedState | None
    scheduled: Sequence[ScheduledPost]


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


def replica_line(name: str, leading: bool, epoch: int | None, language: str = "en") -> str:
    """One line: which replica answered, and whether it runs the singleton work."""
    replica = isolate(name)
    if leading:
        term = format_number(epoch or 0, language)
        return gettext(
            language,
            "🖥 Answered by replica {replica}: the leader (term {term}), sending campaigns, editing posts.",
        ).format(replica=replica, term=term)
    return gettext(
        language, "🖥 Answered by replica {replica}: a follower (another replica leads and sends campaigns)."
    ).format(replica=replica)


def version_line(version: str, revision: str, language: str = "en") -> str:
    """One line: the version of Kooch that answered (and the commit it was built from, if known)."""
    if revision == "unknown":
        return gettext(language, "🏷 Kooch {version}").format(version=ltr(version))
    return gettext(language, "🏷 Kooch {version} (commit {revision})").format(
        version=ltr(version), revision=ltr(revision)
    )
