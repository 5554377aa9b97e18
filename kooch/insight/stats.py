"""The /stats summary: per channel acknowledgements, members, clicks and the share that moved."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kooch.config import Channel, Config
from kooch.insight.clicks import ServiceClicks
from kooch.store import AckCounts, Announcement
from kooch.wording import format_time


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
