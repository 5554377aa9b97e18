"""The /stats chart: cumulative acknowledgements over time and the funnel per channel, as a PNG,
and, when member counts are read (arrivals), a panel of the Telegram channels' members and each
destination's over time.

Two steps, kept apart so each is tested on its own:

* :func:`build_chart_data` turns the store's 15-minute slots, click counts and member counts into
  plain series (no I/O, no matplotlib): the numbers the picture shows.
* :func:`render_png` draws them with matplotlib's object API on an Agg canvas (no display, no
  pyplot and so no global figure state): safe to run in a worker thread with
  ``asyncio.to_thread``, which is how the bot calls it, so other updates keep being answered.

Labels come from the translation catalogs (:mod:`kooch.i18n`), in the operator's language, with
its digits, and for Persian Solar Hijri dates on the time axis; in a right-to-left language the
titles and legends are set from the right. The text is handed to matplotlib as it is written:
matplotlib lays out complex scripts itself (libraqm: Arabic-script letters joined, runs ordered
right to left), so shaping it beforehand would shape it twice and reverse it. It is drawn with
DejaVu Sans, which covers the Arabic script Persian and Arabic use (پ چ ژ گ ی and both sets of
digits), and which matplotlib itself ships (``mpl-data/fonts/ttf/DejaVuSans.ttf``): installing
the pinned matplotlib installs the font, on any machine and in the Docker image, with no system
fonts.
"""

from __future__ import annotations

import bisect
import io
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot; Kooch itself never does

from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import Formatter, FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from kooch.arrivals.store import CountSeries
from kooch.config import Channel, Config, Service
from kooch.i18n import (
    clock,
    day_month,
    embed,
    format_number,
    format_percent,
    in_direction,
    is_rtl,
    month_year,
    to_digits,
)
from kooch.i18n import pgettext as _p
from kooch.i18n.formats import zone_words
from kooch.insight.audience import AudienceCounts
from kooch.insight.stats import counts_clicks
from kooch.insight.store import ChartSlots

#: The font every label is drawn with (shipped inside matplotlib; see the module docstring).
FONT_PATH = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
DAY_S = 86400.0
WIDTH_IN, HEIGHT_IN, DPI = 10.0, 10.0, 100
#: The arrivals panel makes the figure this much taller (inches).
ARRIVALS_HEIGHT_IN = 3.5


def chart_labels(language: str) -> dict[str, str]:
    """Every label of the chart in ``language``, from the catalogs."""
    return {
        "title": _p(language, "chart", "Kooch: who moved — {scope}"),
        "all": _p(language, "chart", "all channels"),
        "cumulative": _p(language, "chart", "Acknowledgements since the first announcement (cumulative)"),
        "last24": _p(language, "chart", "Moved in the last 24 hours (15-minute steps)"),
        "time": _p(language, "chart", "Time ({tz})"),
        "count": _p(language, "chart axis", "moved"),
        "funnel": _p(language, "chart", "Funnel per channel: members → clicks → acknowledgements"),
        "funnel_reach": _p(
            language, "chart", "Funnel per channel: members → reactions → clicks → moved → left after moving"
        ),
        "reactions": _p(language, "chart", "reactions"),
        "left": _p(language, "chart funnel", "left after moving"),
        "not_reported": _p(language, "chart", "not reported"),
        "members": _p(language, "chart", "members"),
        "clicks": _p(language, "chart", "clicks"),
        "acks": _p(language, "chart funnel", "moved"),
        "arrived": _p(language, "chart funnel", "arrived on {service}"),
        "unknown_members": _p(language, "chart", "members unknown"),
        "unknown_service": _p(language, "chart", "service unknown"),
        "total": _p(language, "chart", "total"),
        "empty": _p(language, "chart", "No acknowledgements yet"),
        "clicks_not_counted": _p(language, "chart", "clicks: not counted"),
        "log_scale": _p(language, "chart", "logarithmic scale: each grid line is ten times the one before"),
        "arrivals": _p(
            language, "chart", "Members since the announcement: the Telegram channel and each destination"
        ),
        "telegram": _p(language, "chart", "Telegram: {channel}"),
    }


# --------------------------------------------------------------------------------------------
# The numbers


@dataclass(frozen=True)
class Series:
    """One line: cumulative acknowledgements at each time (Unix seconds), non-decreasing."""

    label: str
    times: tuple[float, ...]
    values: tuple[int, ...]

    @property
    def final(self) -> int:
        return self.values[-1] if self.values else 0

    def value_at(self, t: float) -> int:
        """The cumulative count at ``t``."""
        i = bisect.bisect_right(self.times, t)
        return self.values[i - 1] if i else 0


@dataclass(frozen=True)
class FunnelRow:
    label: str
    members: int | None
    #: Clicks by people on the channel's redirect links; None when clicks are not counted.
    clicks: int | None
    acks: int
    #: The announcement's reactions, and those who left after tapping "I've moved" (chat_member);
    #: None: Telegram reported none (the steps are drawn only when some channel has them).
    reactions: int | None = None
    left: int | None = None
    #: Move codes: (service name, people who arrived there), per verified service (issue 27).
    arrived: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class MemberLine:
    """Members of one channel over time: a Telegram channel's, or a destination's (``destination``)."""

    label: str
    times: tuple[float, ...]
    values: tuple[int, ...]
    destination: bool


@dataclass(frozen=True)
class ChartData:
    title: str
    language: str
    tz: str
    start: float
    now: float
    series: tuple[Series, ...]
    funnel: tuple[FunnelRow, ...]
    labels: Mapping[str, str] = field(default_factory=dict)
    #: The arrivals panel's lines (none: no panel), from :attr:`members_start` on.
    members: tuple[MemberLine, ...] = ()
    members_start: float = 0.0

    @property
    def total(self) -> int:
        """Acknowledgements in the chart (every line is a part of the whole)."""
        return sum(s.final for s in self.series)

    @property
    def window(self) -> float:
        """Where the last-24-hours panel starts."""
        return self.now - DAY_S

    @property
    def last_24h(self) -> int:
        """Acknowledgements in the last 24 hours (what the 24-hour panel adds up to)."""
        return sum(s.final - s.value_at(self.window) for s in self.series)

    @property
    def young(self) -> bool:
        """Announced less than 24 hours ago: the whole campaign is the last 24 hours, one panel."""
        return self.now - self.start < DAY_S


def cumulative(
    points: Sequence[tuple[float, int]], start: float, now: float
) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Slots ``(end, count)`` in time order → cumulative counts from ``start`` to ``now``.

    A slot's count is shown at the slot's end, when all of it had happened (a slot still running
    ends now): never before the taps it counts. Slots that ended by ``start`` are folded into the
    first point, so the line ends at the true total.
    """
    times: list[float] = [start]
    values: list[int] = [0]
    running = 0
    for end, count in points:
        running += count
        at = min(float(end), now)
        if at <= start:
            values[0] = running
        elif at == times[-1]:
            values[-1] = running
        else:
            times.append(at)
            values.append(running)
    if now > times[-1]:
        times.append(now)
        values.append(running)
    return tuple(times), tuple(values)


def build_chart_data(
    config: Config,
    channels: Sequence[Channel],
    slots: ChartSlots,
    clicks: Mapping[str, int],
    members: Mapping[str, int | None],
    now: float,
    language: str,
    named: bool = False,
    member_series: Sequence[CountSeries] = (),
    announced_at: float | None = None,
    audience: Mapping[str, AudienceCounts] | None = None,
    arrived: Mapping[tuple[str, str], int] | None = None,
    verified: Sequence[Service] = (),
) -> ChartData:
    """The chart's numbers. One line per service when acknowledgements name a service, else one
    per channel; the time axis starts at the first announcement (or the first acknowledgement).
    ``member_series`` (the arrivals readings) become the members panel, from ``announced_at``
    (or the first reading) to now."""
    labels = chart_labels(language)
    fallback = config.default_language
    names: dict[str, str] = {}
    if slots.by_service:
        for s in config.services:
            names[s.key] = s.name(language, fallback)
        names[""] = labels["unknown_service"]
    else:
        for ch in channels:
            names[ch.key] = ch.label
    grouped: dict[str, list[tuple[float, int]]] = {}
    for key, end, count in slots.slots:
        grouped.setdefault(key, []).append((end, count))
    start = slots.start
    series = []
    order = list(names)
    for key in sorted(grouped, key=lambda k: (order.index(k) if k in order else len(order), k)):
        times, values = cumulative(grouped[key], start, now)
        series.append(Series(names.get(key, key), times, values))
    counting = counts_clicks(config)
    known = {key: a for key, a in (audience or {}).items() if a.known}
    funnel = tuple(
        FunnelRow(
            ch.label,
            members.get(ch.key),
            clicks.get(ch.key, 0) if counting else None,
            slots.per_channel.get(ch.key, 0),
            known[ch.key].reactions if ch.key in known else None,
            known[ch.key].left_after_moving if ch.key in known else None,
            tuple(
                (s.name(language, config.default_language), (arrived or {}).get((ch.key, s.key), 0))
                for s in verified
                if s in config.services_for(ch)
            ),
        )
        for ch in channels
    )
    scope = embed(channels[0].label, language) if named and channels else labels["all"]
    lines, members_start = member_lines(config, channels, member_series, announced_at, labels, language)
    return ChartData(
        title=labels["title"].format(scope=scope),
        language=language,
        tz=config.timezone,
        start=start,
        now=now,
        series=tuple(series),
        funnel=funnel,
        labels=labels,
        members=lines,
        members_start=members_start,
    )


def member_lines(
    config: Config,
    channels: Sequence[Channel],
    series: Sequence[CountSeries],
    announced_at: float | None,
    labels: Mapping[str, str],
    language: str,
) -> tuple[tuple[MemberLine, ...], float]:
    """The members panel's lines (the Telegram channels first, then the destinations in the
    config's order) and where its time axis starts: the announcement, or the first reading.
    None without a destination's readings."""
    by_source = {(s.kind, s.source): s for s in series if s.times}
    # The panel is about arrivals: without a destination counted, the chart stays as it was.
    if not any(kind == "service" for kind, _ in by_source):
        return (), 0.0
    start = announced_at if announced_at is not None else min(s.times[0] for s in by_source.values())
    out = []
    for ch in channels:
        line = by_source.get(("channel", ch.key))
        if line is not None:
            label = labels["telegram"].format(channel=embed(ch.label, language))
            out.append(_clipped(label, line, start, destination=False))
    for service in config.services:
        line = by_source.get(("service", service.key))
        if line is not None:
            name = service.name(language, config.default_language)
            out.append(_clipped(name, line, start, destination=True))
    return tuple(out), start


def _clipped(label: str, series: CountSeries, start: float, *, destination: bool) -> MemberLine:
    """The readings from ``start`` on; one read before it counts as the value at ``start``."""
    times: list[float] = []
    values: list[int] = []
    for t, v in zip(series.times, series.members, strict=True):
        if t <= start:
            times, values = [start], [v]
        else:
            times.append(t)
            values.append(v)
    return MemberLine(label, tuple(times), tuple(values), destination)


# --------------------------------------------------------------------------------------------
# The picture


#: Charts are drawn one at a time: the text language is a global matplotlib setting (below).
_RENDERING = threading.Lock()


def render_png(data: ChartData) -> bytes:
    """Draw the chart; returns PNG bytes. Blocking (about a second): call it in a worker thread."""
    with drawing(data.language):
        out = io.BytesIO()
        draw_chart(data).savefig(out, format="png")
        return out.getvalue()


@contextmanager
def drawing(language: str) -> Iterator[None]:
    """Where a chart is drawn: one at a time, with matplotlib's text language set to ``language``.

    The language picks the script's local letter forms (OpenType "locl"), as a browser does for a
    page's lang. It is read when each text is made, tick labels included, which matplotlib makes
    while drawing: so it is set for the whole drawing, not text by text.
    """
    with _RENDERING, matplotlib.rc_context({"text.language": language}):
        yield


#: The ``gid`` of each panel's axes, and of the funnel's bars (``funnel:<step>:<row>``): how a
#: test finds, in the drawn figure, the numbers the picture shows.
PANELS = ("cumulative", "last24", "funnel", "members")


def draw_chart(data: ChartData) -> Figure:
    """The chart as a matplotlib figure on an Agg canvas; draw it inside :func:`drawing`."""
    tz = ZoneInfo(data.tz)
    font = FontProperties(fname=str(FONT_PATH))
    small = FontProperties(fname=str(FONT_PATH), size=8)
    title_font = FontProperties(fname=str(FONT_PATH), size=13, weight="bold")
    label = data.labels
    side = _title_side(data.language)

    # Younger than a day, the last 24 hours are the whole campaign: one time panel, not two alike.
    ratios = [3.0] if data.young else [3.0, 2.0]
    ratios.append(2.0)  # the funnel
    if data.members:
        ratios.append(2.5)
    height = HEIGHT_IN + (ARRIVALS_HEIGHT_IN if data.members else 0.0)
    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(len(ratios), 1, height_ratios=ratios)
    fig.suptitle(data.title, fontproperties=title_font)

    rows = iter(grid)
    overall = fig.add_subplot(next(rows), gid="cumulative")
    _draw_cumulative(overall, data, data.start, tz, font, small, relative=False)
    overall.set_title(label["cumulative"], fontproperties=font, loc=side)
    overall.set_xlabel(
        label["time"].format(tz=embed(zone_words(data.tz, data.language), data.language)),
        fontproperties=small,
        loc=side,
    )
    if not data.young:
        recent = fig.add_subplot(next(rows), gid="last24")
        _draw_cumulative(recent, data, data.window, tz, font, small, relative=True)
        recent.set_title(label["last24"], fontproperties=font, loc=side)

    _draw_funnel(fig.add_subplot(next(rows), gid="funnel"), data, font, small)
    if data.members:
        _draw_members(fig.add_subplot(next(rows), gid="members"), data, tz, font, small)
    return fig


def _draw_cumulative(
    ax: Axes,
    data: ChartData,
    since: float,
    tz: ZoneInfo,
    font: FontProperties,
    small: FontProperties,
    *,
    relative: bool,
) -> None:
    """Step lines from ``since`` to now: the running totals, or with ``relative`` the count since
    ``since`` (so a day's progress shows even when a million moved before it). Each line's
    ``gid`` is its label; a step is drawn when its slot ended (see :func:`cumulative`)."""
    label = data.labels
    drawn = 0
    lines = list(data.series)
    if len(lines) > 1:
        lines.append(_total(lines, label["total"]))
    for s in lines:
        base = s.value_at(since)
        times = [since, *(t for t in s.times if t > since)]
        values = [base, *(v for t, v in zip(s.times, s.values, strict=True) if t > since)]
        if relative:
            values = [v - base for v in values]
        stamps = [_num(t, tz) for t in times]
        bold = s.label == label["total"] and len(lines) > 1
        # The figure alone, no "+": a sign would sit on either side of a right-to-left number.
        figure = format_number(values[-1] if relative else s.final, data.language)
        ax.step(
            stamps,
            values,
            where="post",
            label=in_direction(f"{embed(s.label, data.language)}: {figure}", data.language),
            linewidth=2.4 if bold else 1.5,
            color="black" if bold else None,
            gid=s.label,
        )
        drawn += 1
    if not data.series:
        ax.text(0.5, 0.5, label["empty"], transform=ax.transAxes, ha="center", fontproperties=font)
    ax.set_xlim(_num(since, tz), _num(data.now, tz))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(tz=tz))
    ax.xaxis.set_major_formatter(LocalDates(tz, data.language))
    _count_axis(ax.yaxis, data.language)
    ax.set_ylim(0, max(1.0, ax.get_ylim()[1]))
    ax.set_ylabel(label["count"], fontproperties=small)
    ax.grid(True, alpha=0.3)
    if drawn:
        _legend(ax, data.language, small, "upper left")


def _count_axis(axis: Any, language: str) -> None:
    """A count's axis: whole numbers only (no ``0 0 0 1 1 1`` from ticks at 0.2, 0.4, …), in the
    reader's digits, as 1,000,000 (۱٬۰۰۰٬۰۰۰ in Persian) rather than matplotlib's "1e6" offset."""
    axis.set_major_locator(MaxNLocator(integer=True))
    axis.set_major_formatter(_thousands(language))


def _draw_members(
    ax: Axes, data: ChartData, tz: ZoneInfo, font: FontProperties, small: FontProperties
) -> None:
    """Members over time: the Telegram channels' falling (dashed), the destinations' rising."""
    label = data.labels
    for line in data.members:
        times = [*line.times, data.now] if line.times[-1] < data.now else list(line.times)
        values = [*line.values, line.values[-1]] if len(times) > len(line.values) else list(line.values)
        figure = format_number(line.values[-1], data.language)
        ax.step(
            [_num(t, tz) for t in times],
            values,
            where="post",
            label=in_direction(f"{embed(line.label, data.language)}: {figure}", data.language),
            linewidth=1.8,
            linestyle="-" if line.destination else "--",
        )
    # A little room after now, so the last tick's label is not cut at the edge.
    ax.set_xlim(_num(data.members_start, tz), _num(data.now + 0.02 * (data.now - data.members_start), tz))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(tz=tz))
    ax.xaxis.set_major_formatter(LocalDates(tz, data.language))
    _count_axis(ax.yaxis, data.language)
    ax.set_ylim(0, max(1.0, ax.get_ylim()[1]))
    ax.set_ylabel(label["members"], fontproperties=small)
    ax.set_title(label["arrivals"], fontproperties=font, loc=_title_side(data.language))
    ax.grid(True, alpha=0.3)
    # One line falls from the top left, the others rise from the bottom: no corner is free in
    # every campaign, so matplotlib picks the emptiest place.
    _legend(ax, data.language, small, "best")


def _thousands(language: str) -> FuncFormatter:
    """Axis numbers as 1,000,000 (۱٬۰۰۰٬۰۰۰ in Persian) rather than matplotlib's "1e6" offset."""
    return FuncFormatter(lambda value, _pos: format_number(round(value), language))


def _title_side(language: str) -> Literal["right", "center"]:
    """Titles of a right-to-left chart start where its reader starts: on the right."""
    return "right" if is_rtl(language) else "center"


def _legend(
    ax: Axes, language: str, font: FontProperties, loc: Literal["upper left", "lower right", "best"]
) -> None:
    """A legend that reads from the reader's side: in RTL, the text right-aligned, its key after it."""
    rtl = is_rtl(language)
    ax.legend(prop=font, loc=loc, markerfirst=not rtl, alignment="right" if rtl else "center")


class LocalDates(Formatter):
    """Time-axis labels in the reader's calendar and digits, in the configured zone.

    Ticks all at midnight are days (``11 آذر``, ``2 Dec``), or months when all fall on the 1st of
    a Gregorian month; otherwise clock times, with the day under the first one of each day, and
    with seconds when the ticks are less than a minute apart (a post a minute old).
    """

    def __init__(self, tz: ZoneInfo, language: str) -> None:
        self.tz = tz
        self.language = language

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self.format_ticks([x])[0]

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        moments = [mdates.num2date(v, self.tz) for v in values]
        lang = self.language
        seconds = any(m.second or m.microsecond for m in moments)
        if not seconds and all(m.hour == 0 and m.minute == 0 for m in moments):
            if len(moments) > 1 and all(m.day == 1 for m in moments):
                return [month_year(m, lang) for m in moments]
            return [day_month(m, lang) for m in moments]
        labels = []
        previous = None
        for m in moments:
            text = clock(m, lang) + (to_digits(f":{m.second:02d}", lang) if seconds else "")
            if m.date() != previous:
                text += "\n" + day_month(m, lang)
                previous = m.date()
            labels.append(text)
        return labels


def _num(t: float, tz: ZoneInfo) -> float:
    """Unix seconds as matplotlib's date number (the axis formatter shows it in ``tz``)."""
    return float(mdates.date2num(datetime.fromtimestamp(t, tz)))


def _total(series: Sequence[Series], name: str) -> Series:
    times = sorted({t for s in series for t in s.times})
    return Series(name, tuple(times), tuple(sum(s.value_at(t) for s in series) for t in times))


#: When the funnel's largest figure is this many times its smallest (12,500 members, 52 moved),
#: a linear axis would draw the small bars as slivers: the axis becomes logarithmic.
LOG_FUNNEL_RATIO = 30

FUNNEL_STEPS = (("members", "#9db4c0"), ("clicks", "#5c6b73"), ("acks", "#2a9d8f"))
#: With reactions and departures reported (issue 26): members → reactions → clicks → moved → left.
REACH_FUNNEL_STEPS = (
    ("members", "#9db4c0"),
    ("reactions", "#e9c46a"),
    ("clicks", "#5c6b73"),
    ("acks", "#2a9d8f"),
    ("left", "#e76f51"),
)


def funnel_steps(rows: Sequence[FunnelRow]) -> tuple[tuple[str, str], ...]:
    """The funnel's bars: reactions and departures only once Telegram reported any."""
    if any(r.reactions is not None or r.left is not None for r in rows):
        return REACH_FUNNEL_STEPS
    return FUNNEL_STEPS


#: The bars of "arrived on <service>", one colour per service (issue 27), apart from the
#: reactions' and departures' colours.
ARRIVED_COLORS = ("#f4a261", "#264653", "#8ab17d", "#b56576")


def _step_value(row: FunnelRow, name: str) -> int | None:
    if name.startswith("arrived:"):
        service = name.removeprefix("arrived:")
        return next((n for s, n in row.arrived if s == service), None)
    value: int | None = getattr(row, name)
    return value


def funnel_is_logarithmic(rows: Sequence[FunnelRow]) -> bool:
    figures = [v for r in rows for v in (r.members, r.reactions, r.clicks, r.acks, r.left) if v]
    return bool(figures) and max(figures) >= LOG_FUNNEL_RATIO * min(figures)


def _draw_funnel(ax: Axes, data: ChartData, font: FontProperties, small: FontProperties) -> None:
    """Per channel, a bar each for members, clicks and those who moved, each with its figure (and
    its share of the members) written after it. Clicks not counted are said so, not drawn as 0."""
    label = dict(data.labels)
    rtl = is_rtl(data.language)
    rows = list(reversed(data.funnel))  # first channel at the top
    # Move codes add a bar per verified service after "moved": arrived on Bale, on Soroush+ …
    # (before "left after moving", which closes the funnel when Telegram reports departures).
    services = list(dict.fromkeys(name for r in rows for name, _ in r.arrived))
    steps = list(funnel_steps(data.funnel))
    after_moved = [name for name, _ in steps].index("acks") + 1
    for n, service in enumerate(services):
        key = f"arrived:{service}"
        steps.insert(after_moved + n, (key, ARRIVED_COLORS[n % len(ARRIVED_COLORS)]))
        label[key] = label["arrived"].format(service=service)
    height = 0.8 / len(steps)
    widest = max([1, *(max(r.members or 0, r.reactions or 0, r.clicks or 0, r.acks) for r in rows)])
    log = funnel_is_logarithmic(rows)
    # On a logarithmic axis a bar starts at ½, so a bar of 1 still shows.
    left = 0.5 if log else 0.0
    for i, (name, color) in enumerate(steps):
        labelled = False
        for y, row in enumerate(rows):
            value = _step_value(row, name)
            offset = y + ((len(steps) - 1) / 2 - i) * height
            gid = f"funnel:{name}:{row.label}"
            if value is None and name.startswith("arrived:"):
                continue  # a service of another channel
            if value is None:
                missing = {"members": label["unknown_members"], "clicks": label["clicks_not_counted"]}.get(
                    name, label["not_reported"]
                )
                note = in_direction(f"{missing} ", data.language) if rtl else f" {missing}"
                ax.text(left, offset, note, va="center", fontproperties=small, gid=gid)
                continue
            ax.barh(
                offset,
                max(value - left, 0.0),
                left=left,
                height=height,
                color=color,
                label=None if labelled else label[name],
                gid=gid,
            )
            labelled = True
            note = format_number(value, data.language)
            if name != "members" and row.members:
                note += f" ({format_percent(100 * value / row.members, data.language)})"
            # A space between the bar's end and the figure: before it in a left-to-right note, and
            # after it in a right-to-left one, whose end is on the left.
            note = in_direction(f"{note} ", data.language) if rtl else f" {note}"
            ax.text(max(value, left), offset, note, va="center", fontproperties=small)
    ax.set_yticks(range(len(rows)), [r.label for r in rows], fontproperties=small)
    if log:
        ax.set_xscale("log")
        ax.set_xlim(left, widest * 6)  # room after the widest bar for its figure
        ax.xaxis.set_major_locator(LogLocator(base=10))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.xaxis.set_major_formatter(_thousands(data.language))
        ax.set_xlabel(label["log_scale"], fontproperties=small, loc=_title_side(data.language))
    else:
        ax.set_xlim(0, widest * 1.25)
        _count_axis(ax.xaxis, data.language)
    reach = funnel_steps(data.funnel) is not FUNNEL_STEPS  # reactions and departures drawn
    title = label["funnel_reach"] if reach else label["funnel"]
    ax.set_title(title, fontproperties=font, loc=_title_side(data.language))
    _legend(ax, data.language, small, "lower right")
    ax.grid(True, axis="x", alpha=0.3)
