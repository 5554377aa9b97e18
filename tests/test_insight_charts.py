"""The /stats chart: its numbers match the database, it is a real PNG, and its Persian and Arabic
labels are drawn as HarfBuzz shapes them: letters joined, right to left, in the reader's digits."""

from __future__ import annotations

import re
import struct
import unicodedata
import warnings
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uharfbuzz as hb
import yaml
from matplotlib import _text_helpers
from matplotlib import dates as mdates
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.font_manager import FontProperties, get_font
from matplotlib.text import Text

from kooch.announce.store import AnnouncementStore
from kooch.config import Channel, Config, parse_config
from kooch.insight.charts import (
    DAY_S,
    DPI,
    FONT_PATH,
    HEIGHT_IN,
    WIDTH_IN,
    ChartData,
    LocalDates,
    build_chart_data,
    chart_labels,
    cumulative,
    draw_chart,
    drawing,
    render_png,
)
from kooch.insight.store import BUCKET_S, CHART_POINTS, ChartSlots, InsightStore
from kooch.store import Store
from kooch.store.db import Database
from kooch.subscribers.store import SubscriberStore
from tests.chart_kit import Picture, read_picture
from tests.kit import base_config

NOW = 1_800_000_000.0
#: A ``web:`` section with a public URL: the buttons go through Kooch, so clicks are counted.
COUNTING_CLICKS = {"public_url": "https://kooch.example", "listen": "127.0.0.1:8080"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "kooch.db", synchronous="NORMAL")
    yield s
    await s.close()


def config_for(tmp_path: Path, **extra: object) -> Config:
    raw = base_config(tmp_path)
    raw["channels"].append({"chat": "@kooch_news", "key": "news", "language": "en"})
    raw.update(extra)
    return parse_config(yaml.safe_dump(raw, allow_unicode=True), base_dir=tmp_path)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_cumulative_draws_each_slot_at_its_end_folds_early_ones_and_ends_at_now() -> None:
    # Slots (end, count): one that ended before the start, two inside, one still running at now.
    times, values = cumulative([(900, 2), (2700, 3), (9900, 1), (10_800, 4)], start=1000.0, now=10_000.0)
    assert times == (1000.0, 2700.0, 9900.0, 10_000.0)
    assert values == (2, 5, 6, 10)


async def test_series_fed_to_the_chart_match_the_database(store: Store, tmp_path: Path) -> None:
    config = config_for(tmp_path, web=COUNTING_CLICKS)
    await AnnouncementStore(store).add_announcement("demo", -100, 7, 4242, "h", True, at=NOW - 3 * DAY_S)
    # 3 days of taps on two channels, some naming a service.
    taps = []
    for i in range(300):
        at = NOW - 3 * DAY_S + i * 850
        channel = "demo" if i % 3 else "news"
        service = (None, "soroush", "gap")[i % 3]
        taps.append((channel, i, at, service))
        await SubscriberStore(store).add_ack(channel, i, "x", "fa", "post", at=at, service=service)
    insight = InsightStore(store)
    channels = list(config.channels)
    first = await insight.first_announcement(["demo", "news"])
    slots = await insight.chart_slots([c.key for c in channels], first, NOW)
    data = build_chart_data(config, channels, slots, {"demo": 50}, {"demo": 1000, "news": None}, NOW, "en")

    assert data.start == NOW - 3 * DAY_S
    # One line per service (acks name services), in the config's order, then the unknown ones.
    assert [s.label for s in data.series] == ["Soroush", "Gap", "service unknown"]
    for series, service in zip(data.series, ("soroush", "gap", None), strict=True):
        mine = [at for _, _, at, s in taps if s == service]
        assert series.final == len(mine)
        assert list(series.values) == sorted(series.values)  # cumulative: never goes down
        # At any time, the line says how many had moved by the start of that time's slot: a slot's
        # taps are drawn when it ends, never before they happened.
        for probe in (NOW - 2 * DAY_S, NOW - DAY_S + 123, NOW - 1):
            slot_start = int(probe // BUCKET_S) * BUCKET_S
            assert series.value_at(probe) == sum(1 for at in mine if at < slot_start)
    assert data.total == 300
    funnel = {row.label: row for row in data.funnel}
    assert (funnel["@kooch_demo"].members, funnel["@kooch_demo"].clicks, funnel["@kooch_demo"].acks) == (
        1000,
        50,
        200,
    )
    assert (funnel["@kooch_news"].members, funnel["@kooch_news"].acks) == (None, 100)

    png = render_png(data)
    width, height = png_size(png)
    assert (width, height) == (1000, 1000)
    assert 20_000 < len(png) < 2_000_000


async def test_without_services_one_line_per_channel(store: Store, tmp_path: Path) -> None:
    config = config_for(tmp_path)
    await SubscriberStore(store).add_ack("demo", 1, None, None, "post", at=NOW - 100)
    await SubscriberStore(store).add_ack("news", 2, None, None, "post", at=NOW - 50)
    await SubscriberStore(store).add_ack("news", 3, None, None, "post", at=NOW - 40)
    slots = await InsightStore(store).chart_slots(["demo", "news"], None, NOW)
    data = build_chart_data(config, list(config.channels), slots, {}, {}, NOW, "fa")
    assert [(s.label, s.final) for s in data.series] == [("@kooch_demo", 1), ("@kooch_news", 2)]
    # No announcement yet: the axis starts at the first acknowledgement's slot.
    assert data.start == int((NOW - 100) // BUCKET_S) * BUCKET_S


async def test_a_long_campaign_is_summed_into_wider_slots_except_the_last_day(
    store: Store, tmp_path: Path
) -> None:
    config = config_for(tmp_path)
    start = NOW - 90 * DAY_S
    taps = [start + i * 2000 for i in range(int(90 * DAY_S / 2000))]

    async def insert(db: Database) -> None:
        await db.executemany(
            "INSERT INTO acks (channel, user_id, source, acked_at) VALUES ('demo', ?, 'post', ?)",
            list(enumerate(taps)),
        )

    await store.write(insert)
    slots = await InsightStore(store).chart_slots(["demo"], start, NOW)
    data = build_chart_data(config, list(config.channels)[:1], slots, {}, {}, NOW, "en")
    (line,) = data.series
    assert line.final == len(taps)
    assert len(line.times) <= CHART_POINTS + 96 + 3
    # The last 24 hours keep 15-minute slots: the line is exact at each slot's end there.
    for probe in (NOW - DAY_S + 1000, NOW - 5000, NOW - 1):
        slot_start = int(probe // BUCKET_S) * BUCKET_S
        assert line.value_at(probe) == sum(1 for at in taps if at < slot_start)
    # Before, wider slots, each drawn at its end: never more than the true count, never less
    # than the count a wide slot earlier.
    older = NOW - 30 * DAY_S
    assert (
        sum(1 for at in taps if at < older - 90 * DAY_S / CHART_POINTS - BUCKET_S)
        <= line.value_at(older)
        <= sum(1 for at in taps if at < older)
    )


ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufeff]")


class RecordingRenderer(RendererAgg):
    """The Agg renderer the chart is drawn with, noting each string it is asked to draw."""

    def __init__(self, width: float, height: float, dpi: float) -> None:
        super().__init__(width, height, dpi)  # type: ignore[no-untyped-call]  # matplotlib's Agg is untyped
        self.drawn: list[tuple[str, str | None]] = []

    def draw_text(
        self,
        gc: Any,
        x: float,
        y: float,
        s: str,
        prop: FontProperties,
        angle: float,
        ismath: bool | str = False,
        mtext: Text | None = None,
    ) -> None:
        language = mtext.get_language() if mtext is not None else None
        self.drawn.append((s, language if isinstance(language, str) else None))
        super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)  # type: ignore[no-untyped-call]


def drawn_strings(data: ChartData, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str | None]]:
    """Every (string, language) the chart's figure hands to the Agg renderer, in drawing order."""
    recorder: list[RecordingRenderer] = []

    def recording(width: float, height: float, dpi: float) -> RendererAgg:
        renderer = RecordingRenderer(width, height, dpi)
        recorder.append(renderer)
        return renderer

    monkeypatch.setattr("matplotlib.backends.backend_agg.RendererAgg", recording)
    render_png(data)
    assert recorder, "the chart was not drawn with the Agg renderer"
    return [item for r in recorder for item in r.drawn]


def matplotlib_glyphs(text: str, language: str | None) -> list[int]:
    """The glyphs matplotlib's text layout (libraqm) draws for ``text``, in visual order."""
    font = get_font(FONT_PATH)
    font.set_size(12, DPI)
    return [item.glyph_index for item in _text_helpers.layout(text, font, language=language)]


_STRONG = {"L": "L", "R": "R", "AL": "R", "EN": "R", "AN": "R"}
_NEUTRAL = {"B", "S", "WS", "ON", "BN"}


def bidi_levels(text: str) -> list[int]:
    """UAX #9's resolved levels for one paragraph without explicit embeddings (rules P2-P3,
    W1-W7, N1-N2, I1-I2, L1): the chart's labels have none. The test's own reference, written out
    so that it is not the code under test: HarfBuzz shapes one direction at a time, so it is
    handed the runs this finds."""
    types = [unicodedata.bidirectional(ch) or "L" for ch in text]
    base = next((0 if t == "L" else 1 for t in types if t in ("L", "R", "AL")), 0)
    sor = "R" if base else "L"
    for i, t in enumerate(types):  # W1
        if t == "NSM":
            types[i] = types[i - 1] if i else sor
    last = sor
    for i, t in enumerate(types):  # W2
        if t in ("L", "R", "AL"):
            last = t
        elif t == "EN" and last == "AL":
            types[i] = "AN"
    types = ["R" if t == "AL" else t for t in types]  # W3
    for i in range(1, len(types) - 1):  # W4
        before, after = types[i - 1], types[i + 1]
        if (types[i] == "ES" and before == after == "EN") or (
            types[i] == "CS" and before == after and before in ("EN", "AN")
        ):
            types[i] = before
    i = 0
    while i < len(types):  # W5
        j = i
        while j < len(types) and types[j] == "ET":
            j += 1
        if j > i and ((i and types[i - 1] == "EN") or (j < len(types) and types[j] == "EN")):
            types[i:j] = ["EN"] * (j - i)
        i = max(j, i + 1)
    types = ["ON" if t in ("ES", "ET", "CS") else t for t in types]  # W6
    last = sor
    for i, t in enumerate(types):  # W7
        if t in ("L", "R"):
            last = t
        elif t == "EN" and last == "L":
            types[i] = "L"
    i = 0
    while i < len(types):  # N1, N2
        j = i
        while j < len(types) and types[j] in _NEUTRAL:
            j += 1
        if j > i:
            before = _STRONG.get(types[i - 1], sor) if i else sor
            after = _STRONG.get(types[j], sor) if j < len(types) else sor
            types[i:j] = [before if before == after else sor] * (j - i)
        i = max(j, i + 1)
    levels = [  # I1, I2
        (0 if t == "L" else 1 if t == "R" else 2) if base == 0 else (2 if t in ("L", "EN", "AN") else 1)
        for t in types
    ]
    end = len(text)
    while end and unicodedata.bidirectional(text[end - 1]) in ("WS", "S", "B", "BN"):  # L1
        end -= 1
    return levels[:end] + [base] * (len(text) - end)


def harfbuzz_glyphs(text: str, language: str | None) -> list[int]:
    """HarfBuzz's shaping of ``text`` in the same font: each directional run shaped with its
    neighbours as context, the runs put in visual order (UAX #9 rule L2), glyph ids left to right."""
    font = hb.Font(hb.Face(hb.Blob.from_file_path(str(FONT_PATH))))
    levels = bidi_levels(text)
    runs: list[tuple[int, int, int]] = []  # (start, end, level), logical order
    for i, level in enumerate(levels):
        if runs and runs[-1][2] == level:
            runs[-1] = (runs[-1][0], i + 1, level)
        else:
            runs.append((i, i + 1, level))
    for level in range(max(levels, default=0), 0, -1):  # L2
        out: list[tuple[int, int, int]] = []
        k = 0
        while k < len(runs):
            m = k
            while m < len(runs) and runs[m][2] >= level:
                m += 1
            out.extend(reversed(runs[k:m]) if m > k else [runs[k]])
            k = max(m, k + 1)
        runs = out
    glyphs: list[int] = []
    for start, end, level in runs:
        buf = hb.Buffer()
        buf.add_str(text, start, end - start)
        buf.guess_segment_properties()
        buf.direction = "rtl" if level % 2 else "ltr"
        if language:
            buf.language = language
        hb.shape(font, buf, {})
        glyphs.extend(info.codepoint for info in buf.glyph_infos)
    return glyphs


async def chart_with_taps(store: Store, tmp_path: Path, language: str) -> ChartData:
    """Three days of taps on two channels, some naming a service: every part of the chart drawn."""
    config = config_for(tmp_path)
    await AnnouncementStore(store).add_announcement("demo", -100, 7, 4242, "h", True, at=NOW - 3 * DAY_S)
    for i in range(300):
        service = (None, "soroush", "gap")[i % 3]
        at = NOW - 3 * DAY_S + i * 850
        await SubscriberStore(store).add_ack(
            "demo" if i % 3 else "news", i, "x", "fa", "post", at=at, service=service
        )
    insight = InsightStore(store)
    channels = list(config.channels)
    first = await insight.first_announcement(["demo", "news"])
    slots = await insight.chart_slots([c.key for c in channels], first, NOW)
    members: dict[str, int | None] = {"demo": 1234, "news": None}
    return build_chart_data(config, channels, slots, {"demo": 510}, members, NOW, language)


@pytest.mark.parametrize("language", ["fa", "ar"])
async def test_arabic_script_labels_are_drawn_as_harfbuzz_shapes_them(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    data = await chart_with_taps(store, tmp_path, language)
    drawn = drawn_strings(data, monkeypatch)
    texts = [text for text, _ in drawn]
    # The figure hands over the text as written (logical order, no presentation forms): shaping
    # is matplotlib's job, and doing it beforehand too is what garbled every label.
    assert data.title in texts
    assert chart_labels(language)["funnel"] in texts
    assert not [t for t in texts if PRESENTATION_FORMS.search(t)]
    rtl = [(text, lang) for text, lang in drawn if ARABIC_SCRIPT.search(text)]
    assert len(rtl) >= 8  # title, subtitles, axis labels, legends, series
    # Drawn in the chart's language; matplotlib gives none to the lines of a two-line text (a
    # time tick with its day below), which then get libraqm's default, and HarfBuzz's too.
    assert (data.title, language) in drawn
    for text, lang in rtl:
        assert lang in (language, None), text
        assert matplotlib_glyphs(text, lang) == harfbuzz_glyphs(text, lang), text


def test_the_shaping_comparison_tells_joined_right_to_left_text_from_garbled() -> None:
    word = "سروش"
    joined = harfbuzz_glyphs(word, "fa")
    nominal = [get_font(FONT_PATH).get_char_index(ord(ch)) for ch in word]
    # Joined letter forms: the first letter (س), drawn rightmost, in its initial form, and ر in
    # its final one; و does not join to its left, so it and ش stay as they are.
    assert len(joined) == len(word)
    assert joined[-1] != nominal[0] and joined[-2] != nominal[1]
    assert joined[:2] == [nominal[3], nominal[2]]
    assert matplotlib_glyphs(word, "fa") == joined
    # What the old double shaping amounted to (the letters reversed) does not pass the check.
    assert matplotlib_glyphs(word[::-1], "fa") != joined


@pytest.mark.parametrize(
    ("language", "foreign"),
    [("fa", "0-9٠-٩"), ("ar", "0-9۰-۹"), ("en", "۰-۹٠-٩")],
)
async def test_every_number_on_the_chart_is_in_the_readers_digits(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str, foreign: str
) -> None:
    data = await chart_with_taps(store, tmp_path, language)
    drawn = [text for text, _ in drawn_strings(data, monkeypatch)]
    assert [t for t in drawn if re.search(f"[{foreign}]", t)] == []
    assert any(re.search("[0-9۰-۹٠-٩]", t) for t in drawn)  # the numbers are there


def test_the_persian_time_axis_is_in_the_solar_hijri_calendar() -> None:
    tz = ZoneInfo("Asia/Tehran")
    days = [mdates.date2num(datetime(2026, 12, d, tzinfo=tz)) for d in (2, 3)]
    assert LocalDates(tz, "fa").format_ticks(days) == ["۱۱ آذر", "۱۲ آذر"]
    assert LocalDates(tz, "en").format_ticks(days) == ["2 Dec", "3 Dec"]
    assert LocalDates(tz, "ar").format_ticks(days) == ["٢ ديسمبر", "٣ ديسمبر"]
    hours = [mdates.date2num(datetime(2026, 12, 2, h, 30, tzinfo=tz)) for h in (18, 0 + 24 - 1)]
    assert LocalDates(tz, "fa").format_ticks(hours) == ["۱۸:۳۰\n۱۱ آذر", "۲۳:۳۰"]
    # A post a minute old: ticks seconds apart, each its own label.
    seconds = [mdates.date2num(datetime(2026, 12, 2, 4, 49, s, tzinfo=tz)) for s in (10, 20)]
    assert LocalDates(tz, "fa").format_ticks(seconds) == ["۰۴:۴۹:۱۰\n۱۱ آذر", "۰۴:۴۹:۲۰"]


@pytest.mark.parametrize("language", ["fa", "en", "ar"])
async def test_the_chart_in_each_language_is_saved_to_look_at(
    store: Store, tmp_path: Path, language: str
) -> None:
    data = await chart_with_taps(store, tmp_path, language)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        png = render_png(data)
    path = tmp_path / f"stats-{language}.png"
    path.write_bytes(png)
    assert png_size(png) == (int(WIDTH_IN * DPI), int(HEIGHT_IN * DPI))


def test_a_persian_chart_renders_without_missing_glyph_warnings(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    empty = ChartSlots(by_service=False, start=NOW - DAY_S, slots=(), per_channel={})
    data = build_chart_data(config, list(config.channels), empty, {}, {"demo": 10}, NOW, "fa")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        png = render_png(data)
    assert png_size(png) == (1000, 1000)


@pytest.mark.parametrize("language", ["fa", "ar"])
def test_a_latin_channel_name_stays_whole_in_a_right_to_left_chart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    config = config_for(tmp_path)
    slots = ChartSlots(
        by_service=False, start=NOW - DAY_S, slots=(("demo", int(NOW - 900), 12),), per_channel={}
    )
    data = build_chart_data(config, list(config.channels)[:1], slots, {}, {}, NOW, language, named=True)
    font = get_font(FONT_PATH)
    at, k = font.get_char_index(ord("@")), font.get_char_index(ord("k"))
    named = [text for text, _ in drawn_strings(data, monkeypatch) if "@kooch_demo" in text]
    assert len(named) >= 3  # the title, and the legend of each line chart
    for text in named:
        glyphs = matplotlib_glyphs(text, language)
        assert glyphs == harfbuzz_glyphs(text, language), text
        # "@kooch_demo", not "kooch_demo@": the @ is drawn just left of the k.
        assert glyphs[glyphs.index(k) - 1] == at, text


# --------------------------------------------------------------------------------------------
# What the picture shows, read back from the figure


def one_channel(tmp_path: Path, **extra: object) -> tuple[Config, list[Channel]]:
    config = config_for(tmp_path, **extra)
    return config, list(config.channels)[:1]


def picture_of(data: ChartData) -> Picture:
    with drawing(data.language):
        return read_picture(draw_chart(data))


@pytest.mark.parametrize("language", ["fa", "en", "ar"])
def test_a_few_moves_get_whole_number_ticks_in_the_readers_digits(tmp_path: Path, language: str) -> None:
    config, channels = one_channel(tmp_path)
    slots = ChartSlots(
        False, NOW - 3 * DAY_S, (("demo", NOW - 2 * DAY_S, 1), ("demo", NOW - 900, 1)), {"demo": 2}
    )
    drawn = picture_of(build_chart_data(config, channels, slots, {}, {"demo": 3}, NOW, language))
    assert drawn.panels == ["cumulative", "last24", "funnel"]
    # Not «۰ ۰ ۰ ۱ ۱ ۱»: ticks at 0.2, 0.4, … rounded to whole numbers.
    assert drawn.count_ticks["cumulative"] == ["0", "1", "2"]
    assert drawn.count_ticks["last24"] == ["0", "1"]
    assert drawn.count_ticks["funnel"] == ["0", "1", "2", "3"]


def test_the_24_hour_panel_starts_from_the_count_before_the_window(tmp_path: Path) -> None:
    config, channels = one_channel(tmp_path)
    window = NOW - DAY_S
    # 5 before the window (one slot of them ends exactly at its start), 7 inside.
    slots = ChartSlots(
        False,
        NOW - 2 * DAY_S,
        (("demo", NOW - 1.5 * DAY_S, 2), ("demo", window, 3), ("demo", window + 600, 4), ("demo", NOW, 3)),
        {"demo": 12},
    )
    data = build_chart_data(config, channels, slots, {}, {"demo": 100}, NOW, "en")
    assert (data.total, data.last_24h) == (12, 7)
    drawn = picture_of(data)
    (day,) = drawn.lines["last24"].values()
    assert day.values[0] == 0 and day.final == 7
    assert day.rises() == [window + 600, NOW]
    assert "@kooch_demo: 7" in drawn.texts["last24"]


def test_clicks_not_counted_are_said_so_and_counted_ones_are_drawn(tmp_path: Path) -> None:
    slots = ChartSlots(False, NOW - DAY_S / 2, (("demo", NOW - 900, 40),), {"demo": 40})
    config, channels = one_channel(tmp_path)
    drawn = picture_of(build_chart_data(config, channels, slots, {"demo": 0}, {"demo": 100}, NOW, "en"))
    assert "clicks:@kooch_demo" not in drawn.bars  # not a "0 clicks" bar: nobody counted them
    assert " clicks: not counted" in drawn.texts["funnel"]
    config, channels = one_channel(tmp_path, web=COUNTING_CLICKS)
    drawn = picture_of(build_chart_data(config, channels, slots, {"demo": 70}, {"demo": 100}, NOW, "en"))
    assert drawn.bars == {"members:@kooch_demo": 100, "clicks:@kooch_demo": 70, "acks:@kooch_demo": 40}
    assert " 70 (70.0%)" in drawn.texts["funnel"]
    assert not any("not counted" in t for t in drawn.texts["funnel"])


def test_a_small_bar_beside_a_large_one_stays_readable(tmp_path: Path) -> None:
    config, channels = one_channel(tmp_path)
    slots = ChartSlots(False, NOW - DAY_S / 2, (("demo", NOW - 900, 52),), {"demo": 52})
    data = build_chart_data(config, channels, slots, {}, {"demo": 12_500}, NOW, "fa")
    with drawing(data.language):
        fig = draw_chart(data)
        fig.canvas.draw()
        widths = {
            str(p.get_gid()): p.get_window_extent().width
            for ax in fig.axes
            for p in ax.patches
            if str(p.get_gid()).startswith("funnel:")
        }
    # On a linear axis 52 beside 12,500 is 0.4 % of the bar: under 3 pixels. Here it is a bar.
    assert widths["funnel:acks:@kooch_demo"] > 0.3 * widths["funnel:members:@kooch_demo"]
    texts = picture_of(data).texts["funnel"]
    assert "52 (0.4٪) " in texts and "12,500 " in texts  # in Persian digits, as ASCII here
