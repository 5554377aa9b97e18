"""The /stats summary: per channel acknowledgements, members, clicks and the share that moved,
and per destination the members there now and since the announcement.

:func:`gather_stats` collects the figures (the database, the click log, Telegram's member counts,
the arrivals series) into a :class:`Stats`; :func:`format_stats` says them, a plain function of
plain data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kooch.announce.store import Announcement, AnnouncementStore
from kooch.arrivals.store import CountSeries
from kooch.arrivals.watcher import ArrivalsWatcher
from kooch.arrivals.wording import channel_change, destination_line
from kooch.config import Channel, Config, Service
from kooch.insight.clicks import ClickLog, ServiceClicks
from kooch.subscribers.store import AckCounts, SubscriberStore
from kooch.telegram.errors import explain_telegram_error
from kooch.telegram.gateway import Gateway, TelegramFailed
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
    #: The channel's member count when its announcement was posted (the arrivals series).
    members_at_announcement: int | None = None


@dataclass(frozen=True)
class DestinationFigures:
    """A service's destination channel: its members now (the last count read), at the first
    announcement, and why the last reading failed (None: it did not)."""

    service: Service
    members: int | None
    at_announcement: int | None
    error: str | None = None


@dataclass(frozen=True)
class Stats:
    """Everything the /stats summary shows, gathered at ``now``."""

    figures: Sequence[ChannelFigures]
    #: Users who started the bot.
    started: int
    now: float
    #: Clicks per service key; None when clicks are not counted.
    service_clicks: Mapping[str, ServiceClicks] | None = None
    destinations: Sequence[DestinationFigures] = ()
    #: The member counts read since the first announcement (Telegram channels and destinations),
    #: for the chart's arrivals panel; empty when none were read.
    member_series: Sequence[CountSeries] = ()
    #: The first announcement of the channels shown (None: not posted yet).
    announced_at: float | None = None

    @property
    def members(self) -> dict[str, int | None]:
        """Each channel's member count (None: Telegram did not say), by channel key."""
        return {f.channel.key: f.members for f in self.figures}


def counts_clicks(config: Config) -> bool:
    """Clicks are counted only when the buttons point at Kooch's redirect links."""
    return config.web is not None and bool(config.web.public_url)


async def gather_stats(
    subscribers: SubscriberStore,
    announcements: AnnouncementStore,
    clicks: ClickLog,
    gateway: Gateway,
    config: Config,
    channels: Sequence[Channel],
    named: bool,
    now: float,
    arrivals: ArrivalsWatcher | None = None,
) -> Stats:
    """The figures of ``channels`` (one named by the operator, or all of them) at ``now``; with
    ``arrivals``, the member counts over time too."""
    keys = [c.key for c in channels]
    counts = await subscribers.ack_counts(keys, now)
    counting = counts_clicks(config)
    service_clicks = None
    channel_clicks: dict[str, int] = {}
    if counting:
        await clicks.flush()  # the clicks of the last half second too
        service_clicks = await clicks.by_service(keys if named else None)
        channel_clicks = await clicks.humans_by_channel()
    figures = []
    announced = [a for a in [await announcements.current_announcement(k) for k in keys] if a is not None]
    first = min((a.posted_at for a in announced), default=None)
    series: dict[tuple[str, str], CountSeries] = {}
    if arrivals is not None:
        for s in await arrivals.store.series("channel", keys, first):
            series[("channel", s.source)] = s
        targets = [s.key for s in arrival_services(config, channels, named)]
        for s in await arrivals.store.series("service", targets, first):
            series[("service", s.source)] = s
    for channel in channels:
        members: int | None = None
        members_error: str | None = None
        try:
            members = await gateway.member_count(channel.chat)
        except TelegramFailed as exc:
            members_error = explain_telegram_error(exc.description)
        announcement = await announcements.current_announcement(channel.key)
        own = series.get(("channel", channel.key))
        figures.append(
            ChannelFigures(
                channel=channel,
                acks=counts[channel.key],
                members=members,
                members_error=members_error,
                announcement=announcement,
                clicks=channel_clicks.get(channel.key, 0) if counting else None,
                members_at_announcement=(
                    own.at_or_after(announcement.posted_at) if own and announcement else None
                ),
            )
        )
    destinations = []
    if arrivals is not None:
        for service in arrival_services(config, channels, named):
            line = series.get(("service", service.key))
            destinations.append(
                DestinationFigures(
                    service=service,
                    members=line.last if line else None,
                    at_announcement=line.at_or_after(first) if line and first is not None else None,
                    error=arrivals.error_of("service", service.key),
                )
            )
    return Stats(
        figures,
        await subscribers.started_count(),
        now,
        service_clicks,
        destinations=destinations,
        member_series=tuple(series.values()),
        announced_at=first,
    )


def arrival_services(config: Config, channels: Sequence[Channel], named: bool) -> list[Service]:
    """The services whose destination is counted, of the channel named (or of every channel)."""
    shown = config.services_for(channels[0] if named and channels else None)
    return [s for s in shown if s.arrivals is not None]


def format_stats(config: Config, stats: Stats, named: bool) -> str:
    """The /stats summary: per channel acknowledgements, members and the share they make."""
    figures, started, now, service_clicks = stats.figures, stats.started, stats.now, stats.service_clicks
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
            change = ""
            if f.members_at_announcement is not None:
                change = f" ({channel_change(f.members, f.members_at_announcement)})"
            lines.append(
                f"  👥 members: {f.members:,}{change}; moved ≥ {share:.1f}% "
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
    if stats.destinations:
        lines += ["", "🛬 Arrivals: members of each destination channel"]
        for d in stats.destinations:
            assert d.service.arrivals is not None
            name = f"{d.service.name('en', config.default_language)} ({d.service.arrivals.chat})"
            lines.append(destination_line(name, d.members, d.at_announcement, d.error))
    if len(figures) > 1:
        lines.append(f"Total moved: {total:,}")
    return "\n".join(lines)
