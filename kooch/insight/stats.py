"""The /stats summary: per channel acknowledgements, members, clicks and the share that moved,
and per destination the members there now and since the announcement.

:func:`gather_stats` collects the figures (the database, the click log, Telegram's member counts,
the arrivals series) into a :class:`Stats`; :func:`format_stats` says them, a plain function of
plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from kooch.across.model import verified_services
from kooch.across.store import AcrossStore
from kooch.across.wording import arrived_line
from kooch.announce.render import MOVED_START_PREFIX
from kooch.announce.store import Announcement, AnnouncementStore
from kooch.arrivals.service import ArrivalsWatcher
from kooch.arrivals.store import CountSeries
from kooch.arrivals.wording import arrivals_heading, channel_change, destination_line
from kooch.config import Channel, Config, Service
from kooch.i18n import (
    format_datetime,
    format_number,
    format_percent,
    gettext,
    isolate,
    language_name,
    paragraph,
    to_digits,
)
from kooch.i18n.formats import zone_words
from kooch.insight.audience import NOTHING_REPORTED, AudienceCounts, AudienceStore
from kooch.insight.clicks import ClickLog, ServiceClicks
from kooch.insight.store import InsightStore
from kooch.subscribers.store import AckCounts, SubscriberStore
from kooch.telegram.errors import explain_telegram_error
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


def reach_funnel(f: ChannelFigures, language: str) -> str:
    """members → reactions → clicks → moved → left after moving (a figure not known: ``?``)."""

    def n(value: int | None) -> str:
        return format_number(value, language) if value is not None else "?"

    return gettext(
        language,
        "🔻 funnel: {members} members → {reactions} reactions → {clicks} clicks → "
        "{moved} moved → {left} left after moving",
    ).format(
        members=n(f.members),
        reactions=n(f.audience.reactions),
        clicks=n(f.clicks),
        moved=n(f.acks.total),
        left=n(f.audience.left_after_moving),
    )


def audience_lines(f: ChannelFigures, language: str) -> list[str]:
    """The channel's reactions and its joins and departures, as Telegram reported them."""
    _ = partial(gettext, language)
    a = f.audience
    lines = []
    if a.reactions is not None:
        lines.append(
            "  " + _("❤️ reactions on the announcement: {n}").format(n=format_number(a.reactions, language))
        )
    if a.joined or a.left:
        lines.append(
            "  "
            + _('🚪 left: {left}, of whom {after} had tapped "I\'ve moved"; joined: {joined}').format(
                left=format_number(a.left, language),
                after=format_number(a.left_after_moving, language),
                joined=format_number(a.joined, language),
            )
        )
    return lines


def format_stats(config: Config, stats: Stats, named: bool, language: str = "en") -> str:
    """The /stats summary: per channel acknowledgements, members and the share they make."""
    figures = stats.figures
    lines = _summary_lines(config, stats, named, language)
    for f in figures:
        lines += ["", *_channel_lines(f, config.timezone, language)]
        lines += _arrived_lines(config, stats, f, language)
    lines += ["", *_service_lines(config, stats.service_clicks, language)]
    if stats.destinations:
        lines += ["", *_destination_lines(config, stats.destinations, language)]
    if len(figures) > 1:
        total = sum(f.acks.total for f in figures)
        _ = partial(gettext, language)
        lines.append(_("Total moved: {n}").format(n=format_number(total, language)))
    return "\n".join(paragraph(line, language) if line else line for line in lines)


def _summary_lines(config: Config, stats: Stats, named: bool, language: str) -> list[str]:
    """The heading (what, when) and the users who started the bot."""
    _ = partial(gettext, language)
    figures, tz = stats.figures, config.timezone
    scope = isolate(figures[0].channel.label) if named and figures else _("all channels")
    when = format_datetime(stats.now, tz, language, numeric=True)
    lines = [
        _("📊 Kooch — {scope} — {when} ({tz})").format(scope=scope, when=when, tz=zone_words(tz, language)),
        _("Users who started the bot: {n}").format(n=format_number(stats.started, language)),
    ]
    if stats.expired_starts:
        lines.append(
            "  "
            + _(
                "{n} of them are no longer stored: the retention rule deleted their rows "
                "(they are still counted above)."
            ).format(n=format_number(stats.expired_starts, language))
        )
    return lines


def _arrived_lines(config: Config, stats: Stats, f: ChannelFigures, language: str) -> list[str]:
    """Move codes: of those who tapped for the channel, how many arrived on each verified service."""
    lines = []
    for service in stats.verified:
        if service in config.services_for(f.channel):
            name = service.name(language, config.default_language)
            arrived = stats.arrived.get((f.channel.key, service.key), 0)
            lines.append("  " + arrived_line(name, arrived, f.acks.total, language))
    return lines


def _channel_lines(f: ChannelFigures, tz: str, language: str) -> list[str]:
    """One channel: who moved, its members and the share, the funnel, its announcement."""
    _ = partial(gettext, language)

    def n(value: int) -> str:
        return format_number(value, language)

    lines = [
        f"{isolate(f.channel.label)} ({language_name(f.channel.language, language)})",
        "  "
        + _("✅ moved: {total} (last 24 h: {day})").format(total=n(f.acks.total), day=n(f.acks.last_24h)),
    ]
    if f.members is not None:
        share = 100.0 * f.acks.total / f.members if f.members else 0.0
        change = ""
        if f.members_at_announcement is not None:
            change = " " + _("({change})").format(
                change=channel_change(f.members, f.members_at_announcement, language)
            )
        lines.append(
            "  "
            + _(
                "👥 members: {members}{change}; moved ≥ {share} "
                "(a lower bound: only those who tapped are counted)"
            ).format(members=n(f.members), change=change, share=format_percent(share, language))
        )
    else:
        lines.append(
            "  "
            + _("👥 members: unknown ({reason})").format(
                reason=explain_telegram_error(f.members_error or "", language)
            )
        )
    if f.from_button or f.from_tap:
        lines.append(
            "  "
            + _("🔔 reachable in private: {button} from the post's button, {tap} from the tap").format(
                button=n(f.from_button), tap=n(f.from_tap)
            )
        )
    if f.audience.known:
        lines += audience_lines(f, language)
        lines.append("  " + reach_funnel(f, language))
    elif f.clicks is not None:
        members = n(f.members) if f.members is not None else "?"
        lines.append(
            "  "
            + _("🔻 funnel: {members} members → {clicks} clicks → {moved} moved").format(
                members=members, clicks=n(f.clicks), moved=n(f.acks.total)
            )
        )
    if f.announcement is not None:
        lines.append(
            "  "
            + _("📢 announcement: message {id}, posted {when}").format(
                id=to_digits(str(f.announcement.message_id), language),
                when=format_datetime(f.announcement.posted_at, tz, language, numeric=True),
            )
        )
    else:
        lines.append("  " + _("📢 no announcement posted yet (/announce)"))
    return lines


def _service_lines(
    config: Config, service_clicks: Mapping[str, ServiceClicks] | None, language: str
) -> list[str]:
    """The clicks per service, or why there are none."""
    _ = partial(gettext, language)
    services = config.services_for(None)
    if service_clicks is None:
        names = _(", ").join(s.name(language, config.default_language) for s in services)
        return [
            _("Services: {names}").format(names=names),
            _(
                "Per-service figures need click counting: set web.public_url in the config "
                "(the moved button does not say which service)."
            ),
        ]
    lines = [_("🔗 Clicks per service (people; bots and link previews beside):")]
    for s in services:
        c = service_clicks.get(s.key, ServiceClicks())
        name = s.name(language, config.default_language)
        people, bots = format_number(c.humans, language), format_number(c.bots, language)
        lines.append(
            "  " + _("• {service}: {people} (+{bots} bots)").format(service=name, people=people, bots=bots)
        )
    lines.append(_("Clicks are link opens, not people: one person may open a link twice."))
    return lines


def _destination_lines(
    config: Config, destinations: Sequence[DestinationFigures], language: str
) -> list[str]:
    """The members of each destination channel now and since the announcement."""
    lines = [arrivals_heading(language)]
    for d in destinations:
        assert d.service.arrivals is not None
        name = d.service.name(language, config.default_language)
        where = isolate(str(d.service.arrivals.chat))
        error = d.error(language) if d.error is not None else None
        lines.append("  " + destination_line(name, where, d.members, d.at_announcement, error, language))
    return lines
