"""The /stats summary: per channel acknowledgements, members, clicks and the share that moved,
and per destination the members there now and since the announcement.

:func:`gather_stats` collects the figures (the database, the click log, Telegram's member counts,
the arrivals series) into a :class:`Stats`; :mod:`kooch.insight.wording` says them, plain
functions of plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from kooch.across.model import verified_services
from kooch.across.store import AcrossStore
from kooch.announce.render import MOVED_START_PREFIX
from kooch.announce.store import Announcement, AnnouncementStore
from kooch.arrivals.service import ArrivalsWatcher
from kooch.arrivals.store import CountSeries
from kooch.config import Channel, Config, Service
from kooch.insight.audience import NOTHING_REPORTED, AudienceCounts, AudienceStore
from kooch.insight.clicks import ClickLog, ServiceClicks
from kooch.insight.store import InsightStore
from kooch.subscribers.store import AckCounts, SubscriberStore
from kooch.telegram.gateway import Gateway, TelegramFailed


@dataclass(frozen=True)
class ChannelFigures:
    channel: Channel
    acks: AckCounts
    members: int | None
    #: Telegram's own words when it did not give the member count (explained when shown).
    members_error: str | None
    announcement: Announcement | None
    #: Clicks by people on this channel's redirect links; None when clicks are not counted.
    clicks: int | None = None
    #: The channel's member count when its announcement was posted (the arrivals series).
    members_at_announcement: int | None = None
    #: People who started the bot first from the post's start button, and from the "I've moved"
    #: tap that opens the bot (``/start <key>``, ``/start moved_<key>``).
    from_button: int = 0
    from_tap: int = 0
    #: Joins and departures (chat_member) and the announcement's reactions, as counts.
    audience: AudienceCounts = NOTHING_REPORTED


@dataclass(frozen=True)
class DestinationFigures:
    """A service's destination channel: its members now (the last count read), at the first
    announcement, and why the last reading failed (None: it did not)."""

    service: Service
    members: int | None
    at_announcement: int | None
    #: Why the last reading failed, in a reader's language.
    error: Callable[[str], str] | None = None


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
    #: Move codes: the services whose arrivals are confirmed, and people arrived per
    #: (channel key, service key).
    verified: Sequence[Service] = ()
    arrived: Mapping[tuple[str, str], int] = field(default_factory=dict)
    #: Of ``started``, the users whose row the retention job deleted since (still counted there).
    expired_starts: int = 0

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
    across: AcrossStore | None = None,
    insight: InsightStore | None = None,
) -> Stats:
    """The figures of ``channels`` (one named by the operator, or all of them) at ``now``; with
    ``arrivals``, the member counts over time too; with ``insight``, the starts retention expired."""
    keys = [c.key for c in channels]
    counts = await subscribers.ack_counts(keys, now)
    starts = await subscribers.starts_by_source([*keys, *(f"{MOVED_START_PREFIX}{k}" for k in keys)])
    audience = await AudienceStore(subscribers.store).counts(keys)
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
            members_error = exc.description  # said in the reader's words by format_stats
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
                from_button=starts[channel.key],
                from_tap=starts[f"{MOVED_START_PREFIX}{channel.key}"],
                audience=audience[channel.key],
            )
        )
    return Stats(
        figures,
        await subscribers.started_count(),
        now,
        service_clicks,
        destinations=_destinations(arrivals, arrival_services(config, channels, named), series, first),
        member_series=tuple(series.values()),
        announced_at=first,
        verified=verified_services(config) if across is not None else (),
        arrived=await across.arrivals(keys) if across is not None else {},
        expired_starts=await insight.expired_starts() if insight is not None else 0,
    )


def _destinations(
    arrivals: ArrivalsWatcher | None,
    services: Sequence[Service],
    series: Mapping[tuple[str, str], CountSeries],
    first: float | None,
) -> list[DestinationFigures]:
    """Each counted destination: its members now and at the first announcement, or its error."""
    if arrivals is None:
        return []
    out = []
    for service in services:
        line = series.get(("service", service.key))
        out.append(
            DestinationFigures(
                service=service,
                members=line.last if line else None,
                at_announcement=line.at_or_after(first) if line and first is not None else None,
                error=arrivals.error_of("service", service.key),
            )
        )
    return out


def arrival_services(config: Config, channels: Sequence[Channel], named: bool) -> list[Service]:
    """The services whose destination is counted, of the channel named (or of every channel)."""
    shown = config.services_for(channels[0] if named and channels else None)
    return [s for s in shown if s.arrivals is not None]
