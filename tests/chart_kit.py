"""The /stats chart read back from the figure that became the PNG: the numbers a person sees.

:func:`read_picture` walks the matplotlib figure's artists (kooch.insight.charts gives each panel,
line and funnel bar a ``gid``): the panels drawn, each step line's points (times in Unix
seconds, heights), each funnel bar's end, and every text drawn (legends, figures written on the
bars, "not counted"), with the reader's digits turned into ASCII so a test can compare them with
the /stats text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pytest
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from kooch.i18n.bidi import strip_controls
from kooch.insight import charts


@dataclass(frozen=True)
class Step:
    """One step line: its points (Unix seconds, height)."""

    times: tuple[float, ...]
    values: tuple[float, ...]

    @property
    def final(self) -> float:
        return self.values[-1]

    def rises(self) -> list[float]:
        """The times at which the line goes up."""
        return [t for t, a, b in zip(self.times[1:], self.values, self.values[1:], strict=False) if b > a]


@dataclass
class Picture:
    #: The panels drawn, top to bottom (``cumulative``, ``last24``, ``funnel``, ``members``).
    panels: list[str] = field(default_factory=list)
    #: Per panel, its step lines by label.
    lines: dict[str, dict[str, Step]] = field(default_factory=dict)
    #: Funnel bars' ends by ``<step>:<channel>``: what the bar shows.
    bars: dict[str, float] = field(default_factory=dict)
    #: Per panel, every text drawn in it (legend entries, figures on bars, tick labels), ASCII digits.
    texts: dict[str, list[str]] = field(default_factory=dict)
    #: Per panel, the labels of its count axis' ticks (ASCII digits).
    count_ticks: dict[str, list[str]] = field(default_factory=dict)


def ascii_digits(text: str) -> str:
    """``۱۲٬۵۰۰`` → ``12,500``: any script's digits as ASCII, its separators as , and ."""
    out = []
    for ch in strip_controls(text):
        if ch.isdigit():
            out.append(str(unicodedata.digit(ch)))
        else:
            out.append({"٬": ",", "٫": ".", "،": ","}.get(ch, ch))
    return "".join(out)


def number(text: str) -> int:
    """The first whole number in ``text`` (any digits, thousands separators)."""
    found = re.search(r"\d[\d,]*", ascii_digits(text))
    assert found, f"no number in {text!r}"
    return int(found.group(0).replace(",", ""))


def _texts(ax: Axes) -> list[str]:
    drawn: list[Text] = list(ax.texts)
    legend = ax.get_legend()
    if legend is not None:
        drawn += legend.get_texts()
    return [ascii_digits(t.get_text()) for t in drawn if t.get_visible() and t.get_text()]


def read_picture(fig: Figure) -> Picture:
    picture = Picture()
    fig.canvas.draw()  # ticks are laid out when drawing
    for ax in fig.axes:
        name = ax.get_gid()
        if name not in charts.PANELS:
            continue
        picture.panels.append(name)
        picture.texts[name] = _texts(ax)
        counts = ax.xaxis if name == "funnel" else ax.yaxis
        lo, hi = ax.get_xlim() if name == "funnel" else ax.get_ylim()
        picture.count_ticks[name] = [
            ascii_digits(t.get_text())
            for t, at in zip(counts.get_ticklabels(), counts.get_ticklocs(), strict=True)
            if lo <= at <= hi
        ]
        steps = {}
        for line in ax.get_lines():
            gid = line.get_gid()
            if gid is None:
                continue
            xs = np.asarray(line.get_xdata(), dtype=float)
            ys = np.asarray(line.get_ydata(), dtype=float)
            steps[gid] = Step(tuple(mdates.num2date(x).timestamp() for x in xs), tuple(float(y) for y in ys))
        picture.lines[name] = steps
        for patch in ax.patches:
            gid = patch.get_gid()
            if isinstance(patch, Rectangle) and gid and gid.startswith("funnel:"):
                picture.bars[gid.removeprefix("funnel:")] = patch.get_x() + patch.get_width()
    return picture


@contextmanager
def drawn_figures(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Figure]]:
    """Every figure :func:`kooch.insight.charts.render_png` turns into a PNG while inside."""
    figures: list[Figure] = []
    draw = charts.draw_chart

    def keeping(data: charts.ChartData) -> Figure:
        fig = draw(data)
        figures.append(fig)
        return fig

    with monkeypatch.context() as patch:
        patch.setattr(charts, "draw_chart", keeping)
        yield figures
