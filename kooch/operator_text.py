"""Operator-facing wording (English): help, error explanations, confirmations, stats.

Plain functions of plain data, so the exact words operators read are unit-tested.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from kooch.config import Channel, Config
from kooch.store import AckCounts, Announcement
from kooch.store.clicks import ServiceClicks

OPERATOR_COMMANDS: dict[str, str] = {
    "preview": "/preview [channel] — the announcement exactly as it will be posted",
    "announce": "/announce [channel] — post the announcement (asks to confirm first)",
    "stats": "/stats — acknowledgements, starts and members per channel",
    # Issue 6: reminder campaigns.
    "remind": "/remind [to:all] [channel:NAME] [lang:xx] text — remind who has not moved (asks to confirm)",
    "campaigns": "/campaigns — reminder campaigns and scheduled reminders; cancel them",
    # Issue 5: operator insight (the /stats chart needs no entry of its own).
    "export": "/export [channel] [since] — acknowledgements and daily clicks as CSV (pseudonymised)",
    "audit": "/audit [N] — the last N operator actions (default 20)",
    # Issue 3: the living announcement.
    "schedule": "/announce [channel] at 2025-06-01T18:00 (or in 2h) — schedule it; /schedule lists, cancels",
    "status": "/status [channel] — each posted announcement: synced with the config or not; counter",
    "reload": "/reload — read config.yaml again now (changes to the file are also noticed by themselves)",
    "moved": "/moved [channel] — title suffix, links in the description, pin (asks first); /moved undo",
    "help": "/help — this list",
}

REFUSAL = "This command is for the channel's operators only."


def operator_help(config: Config) -> str:
    channels = ", ".join(c.label for c in config.channels)
    lines = ["Operator commands:", *OPERATOR_COMMANDS.values(), "", f"Channels: {channels}"]
    lines.append("Without a channel, a command acts on all of them.")
    return "\n".join(lines)


def format_time(ts: float, tz: str) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def explain_telegram_error(description: str) -> str:
    """Telegram's error description, said in plain words with the fix."""
    d = description.lower()
    if "bot is not a member" in d or "bot was kicked" in d:
        return (
            "the bot is not a member of this channel. Add it as an administrator "
            "with the right “Post messages” (and “Edit messages of others” to pin)."
        )
    if "need administrator rights" in d or "not enough rights to send" in d:
        return (
            "the bot is not an administrator allowed to post here. In the channel's "
            "administrators, give the bot the right “Post messages”."
        )
    if "not enough rights to manage pinned messages" in d:
        return "the bot may not pin here: give it the right “Edit messages of others”."
    if "chat not found" in d:
        return (
            "Telegram does not know this chat. Check channels[].chat in the config (the "
            "@username or the -100… id) and that the bot has been added to the channel."
        )
    if "too many requests" in d or "retry after" in d:
        return "Telegram is rate-limiting the bot; try again in a minute."
    return f"Telegram said: {description}"


def channels_phrase(channels: Sequence[Channel], named: bool) -> str:
    labels = ", ".join(c.label for c in channels)
    return labels if named else f"all channels ({labels})"


def announce_question(
    channels: Sequence[Channel],
    existing: Mapping[str, Announcement],
    named: bool,
    tz: str,
) -> str:
    lines = [f"Post the announcement above to {channels_phrase(channels, named)}?"]
    for ch in channels:
        ann = existing.get(ch.key)
        if ann is not None:
            lines.append(
                f"⚠️ {ch.label} already has an announcement (message {ann.message_id}, "
                f"posted {format_time(ann.posted_at, tz)}). Confirming posts a new one beside it."
            )
    return "\n".join(lines)


@dataclass(frozen=True)
class ChannelFigures:
    channel: Channel
    acks: AckCounts
    members: int | None
    members_error: str | None
    announcement: Announcement | None
    #: Clicks by people on this channel's redirect links; None when clicks are not counted.
    clicks: int | None = None


def format_stats(
    config: Config,
    figures: Sequence[ChannelFigures],
    started: int,
    now: float,
    named: bool,
    service_clicks: Mapping[str, ServiceClicks] | None = None,
) -> str:
    """The /stats summary: per channel acknowledgements, members and the share they make."""
    tz = config.timezone
    scope = figures[0].channel.label if named and figures else "all channels"
    lines = [f"📊 Kooch — {scope} — {format_time(now, tz)} ({tz})", f"Users who started the bot: {started:,}"]
    total = 0
    for f in figures:
        total += f.acks.total
        lines += ["", f"{f.channel.label} ({f.channel.language})"]
        lines.append(f"  ✅ moved: {f.acks.total:,} (last 24 h: {f.acks.last_24h:,})")
        if f.members is not None:
            share = 100.0 * f.acks.total / f.members if f.members else 0.0
            lines.append(
                f"  👥 members: {f.members:,}; moved ≥ {share:.1f}% "
                "(a lower bound: only those who tapped are counted)"
            )
        else:
            lines.append(f"  👥 members: unknown ({f.members_error})")
        if f.clicks is not None:
            members = f"{f.members:,}" if f.members is not None else "?"
            lines.append(f"  🔻 funnel: {members} members → {f.clicks:,} clicks → {f.acks.total:,} moved")
        if f.announcement is not None:
            lines.append(
                f"  📢 announcement: message {f.announcement.message_id}, "
                f"posted {format_time(f.announcement.posted_at, tz)}"
            )
        else:
            lines.append("  📢 no announcement posted yet (/announce)")
    services = config.services_for(None)
    if service_clicks is None:
        lines += ["", "Services: " + ", ".join(s.name("en", config.default_language) for s in services)]
        lines.append(
            "Per-service figures need click counting: set web.public_url in the config "
            "(the moved button does not say which service)."
        )
    else:
        lines += ["", "🔗 Clicks per service (people; bots and link previews beside):"]
        for s in services:
            c = service_clicks.get(s.key, ServiceClicks())
            lines.append(f"  • {s.name('en', config.default_language)}: {c.humans:,} (+{c.bots:,} bots)")
        lines.append("Clicks are link opens, not people: one person may open a link twice.")
    if len(figures) > 1:
        lines.append(f"Total moved: {total:,}")
    return "\n".join(lines)
