"""The /stats chart: cumulative acknowledgements over time and the funnel per channel, as a PNG.

Two steps, kept apart so each is tested on its own:

* :func:`build_chart_data` turns the store's 15-minute slots, click counts and member counts into
  plain series (no I/O, no matplotlib): the numbers the picture shows.
* :func:`render_png` draws them with matplotlib's object API on an Agg canvas (no display, no
  pyplot and so no global figure state): safe to run in a worker thread with
  ``asyncio.to_thread``, which is how the bot calls it, so other updates keep being answered.

Persian text is shaped (``arabic_reshaper``: joined letter forms) and put in visual order
(``python-bidi``), because matplotlib draws characters left to right one by one. It is drawn with
DejaVu Sans, which covers the Arabic script Persian uses (پ چ ژ گ ی and the Persian digits), and
which matplotlib itself ships (``mpl-data/fonts/ttf/DejaVuSans.ttf``): installing the pinned
matplotlib installs the font, on any machine and in the Docker image, with no system fonts.
"""

from __future__ import annotations

import bisect
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import arabic_reshaper
import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot; Kooch itself never does

from bidi.algorithm import get_display
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import FuncFormatter

from kooch.config import Channel, Config
from kooch.insight.store import ChartSlots

#: The font every label is drawn with (shipped inside matplotlib; see the module docstring).
FONT_PATH = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
DAY_S = 86400.0
#: Axis numbers as 1,000,000 rather than matplotlib's "1e6" offset.
THOUSANDS = FuncFormatter(lambda value, _pos: f"{value:,.0f}")
WIDTH_IN, HEIGHT_IN, DPI = 10.0, 10.0, 100

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Kooch: who moved — {scope}",
        "all": "all channels",
        "cumulative": "Acknowledgements since the first announcement (cumulative)",
        "last24": "Moved in the last 24 hours (15-minute steps)",
        "time": "Time ({tz})",
        "count": "moved",
        "funnel": "Funnel per channel: members → clicks → acknowledgements",
        "members": "members",
        "clicks": "clicks",
        "acks": "moved",
        "unknown_members": "members unknown",
        "unknown_service": "service unknown",
        "total": "total",
        "empty": "No acknowledgements yet",
    },
    "fa": {
        "title": "کوچ: چه کسانی کوچ کردند — {scope}",
        "all": "همهٔ کانال‌ها",
        "cumulative": "کوچ‌های ثبت‌شده از نخستین اعلان (تجمعی)",
        "last24": "کوچ‌های ۲۴ ساعت گذشته (گام‌های ۱۵ دقیقه‌ای)",
        "time": "زمان ({tz})",
        "count": "کوچ",
        "funnel": "قیف هر کانال: اعضا ← کلیک‌ها ← کوچ‌ها",
        "members": "اعضا",
        "clicks": "کلیک‌ها",
        "acks": "کوچ‌ها",
        "unknown_members": "تعداد اعضا نامعلوم",
        "unknown_service": "سرویس نامعلوم",
        "total": "همه",
        "empty": "هنوز کسی کوچ نکرده است",
    },
}


def chart_language(language_code: str | None) -> str:
    """Persian labels for an operator whose Telegram speaks Persian; English otherwise."""
    short = (language_code or "").split("-")[0].lower()
    return "fa" if short == "fa" else "en"


def _has_rtl(text: str) -> bool:
    return any("\u0590" <= ch <= "\u08ff" or "\ufb1d" <= ch <= "\ufefc" for ch in text)


def shape(text: str) -> str:
    """Text as matplotlib must draw it: Arabic-script letters joined and in visual order."""
    if not _has_rtl(text):
        return text
    return str(get_display(arabic_reshaper.reshape(text)))


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
    clicks: int
    acks: int


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

    @property
    def total(self) -> int:
        """Acknowledgements in the chart (every line is a part of the whole)."""
        return sum(s.final for s in self.series)


def cumulative(
    points: Sequence[tuple[int, int]], start: float, now: float
) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Slots ``(bucket start, count)`` in time order → cumulative counts from ``start`` to ``now``.

    A slot's count is shown from the slot's start (at most 15 minutes early); slots before
    ``start`` are folded into the first point, so the line ends at the true total.
    """
    times: list[float] = [start]
    values: list[int] = [0]
    running = 0
    for bucket, count in points:
        running += count
        if bucket <= start:
            values[0] = running
        elif bucket == times[-1]:
            values[-1] = running
        else:
            times.append(float(bucket))
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
) -> ChartData:
    """The chart's numbers. One line per service when acknowledgements name a service, else one
    per channel; the time axis starts at the first announcement (or the first acknowledgement)."""
    labels = LABELS[language]
    fallback = config.default_language
    names: dict[str, str] = {}
    if slots.by_service:
        for s in config.services:
            names[s.key] = s.name(language, fallback)
        names[""] = labels["unknown_service"]
    else:
        for ch in channels:
            names[ch.key] = ch.label
    grouped: dict[str, list[tuple[int, int]]] = {}
    for key, bucket, count in slots.slots:
        grouped.setdefault(key, []).append((bucket, count))
    start = slots.start
    series = []
    order = list(names)
    for key in sorted(grouped, key=lambda k: (order.index(k) if k in order else len(order), k)):
        times, values = cumulative(grouped[key], start, now)
        series.append(Series(names.get(key, key), times, values))
    funnel = tuple(
        FunnelRow(ch.label, members.get(ch.key), clicks.get(ch.key, 0), slots.per_channel.get(ch.key, 0))
        for ch in channels
    )
    scope = channels[0].label if named and channels else labels["all"]
    return ChartData(
        title=labels["title"].format(scope=scope),
        language=language,
        tz=config.timezone,
        start=start,
        now=now,
        series=tuple(series),
        funnel=funnel,
        labels=labels,
    )


# --------------------------------------------------------------------------------------------
# The picture


def render_png(data: ChartData) -> bytes:
    """Draw the chart; returns PNG bytes. Blocking (about a second): call it in a worker thread."""
    tz = ZoneInfo(data.tz)
    font = FontProperties(fname=str(FONT_PATH))
    small = FontProperties(fname=str(FONT_PATH), size=8)
    title_font = FontProperties(fname=str(FONT_PATH), size=13, weight="bold")
    label = data.labels

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 1, height_ratios=[3, 2, 2])
    fig.suptitle(shape(data.title), fontproperties=title_font)

    overall = fig.add_subplot(grid[0])
    recent = fig.add_subplot(grid[1])
    _draw_cumulative(overall, data, data.start, tz, font, small, relative=False)
    overall.set_title(shape(label["cumulative"]), fontproperties=font)
    _draw_cumulative(recent, data, max(data.start, data.now - DAY_S), tz, font, small, relative=True)
    recent.set_title(shape(label["last24"]), fontproperties=font)
    overall.set_xlabel(shape(label["time"].format(tz=data.tz)), fontproperties=small)

    _draw_funnel(fig.add_subplot(grid[2]), data, font, small)

    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


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
    ``since`` (so a day's progress shows even when a million moved before it)."""
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
        shown = values[-1] if relative else s.final
        ax.step(
            stamps,
            values,
            where="post",
            label=shape(f"{s.label}: {'+' if relative else ''}{shown:,}"),
            linewidth=2.4 if bold else 1.5,
            color="black" if bold else None,
        )
        drawn += 1
    if not data.series:
        ax.text(0.5, 0.5, shape(label["empty"]), transform=ax.transAxes, ha="center", fontproperties=font)
        ax.set_xlim(_num(since, tz), _num(data.now, tz))
    locator = mdates.AutoDateLocator(tz=tz)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tz))
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.set_ylabel(shape(label["count"]), fontproperties=small)
    ax.grid(True, alpha=0.3)
    if drawn:
        ax.legend(prop=small, loc="upper left")


def _num(t: float, tz: ZoneInfo) -> float:
    """Unix seconds as matplotlib's date number (the axis formatter shows it in ``tz``)."""
    return float(mdates.date2num(datetime.fromtimestamp(t, tz)))


def _total(series: Sequence[Series], name: str) -> Series:
    times = sorted({t for s in series for t in s.times})
    return Series(name, tuple(times), tuple(sum(s.value_at(t) for s in series) for t in times))


def _draw_funnel(ax: Axes, data: ChartData, font: FontProperties, small: FontProperties) -> None:
    label = data.labels
    steps = (("members", "#9db4c0"), ("clicks", "#5c6b73"), ("acks", "#2a9d8f"))
    height = 0.8 / len(steps)
    rows = list(reversed(data.funnel))  # first channel at the top
    widest = max([1, *(max(r.members or 0, r.clicks, r.acks) for r in rows)])
    for i, (name, color) in enumerate(steps):
        labelled = False
        for y, row in enumerate(rows):
            value = getattr(row, name)
            offset = y + (1 - i) * height
            if value is None:
                ax.text(0, offset, " " + shape(label["unknown_members"]), va="center", fontproperties=small)
                continue
            ax.barh(offset, value, height=height, color=color, label=None if labelled else shape(label[name]))
            labelled = True
            note = f" {value:,}"
            if name != "members" and row.members:
                note += f" ({100 * value / row.members:.1f}%)"
            ax.text(value, offset, note, va="center", fontproperties=small)
    ax.set_yticks(range(len(rows)), [shape(r.label) for r in rows], fontproperties=small)
    ax.set_xlim(0, widest * 1.25)
    ax.xaxis.set_major_formatter(THOUSANDS)
    ax.set_title(shape(label["funnel"]), fontproperties=font)
    ax.legend(prop=small, loc="lower right")
    ax.grid(True, axis="x", alpha=0.3)
