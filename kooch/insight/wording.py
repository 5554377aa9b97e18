"""The words of /stats: the figures of :class:`kooch.insight.stats.Stats` said in the reader's
language (per channel: moved, members, clicks, reactions and departures, arrivals; per service and
destination), plain functions of plain data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

from kooch.across.wording import arrived_line
from kooch.arrivals.wording import arrivals_heading, channel_change, destination_line
from kooch.config import Config
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
from kooch.insight.clicks import ServiceClicks
from kooch.insight.stats import ChannelFigures, DestinationFigures, Stats
from kooch.telegram.errors import explain_telegram_error


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
