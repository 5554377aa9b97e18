"""The /stats chart: its numbers match the database, it is a real PNG, and Persian labels have
every glyph they need in the font it is drawn with."""

from __future__ import annotations

import struct
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
import yaml
from fontTools.ttLib import TTFont

from kooch.announce.store import AnnouncementStore
from kooch.config import Config, parse_config
from kooch.insight.charts import (
    DAY_S,
    FONT_PATH,
    LABELS,
    build_chart_data,
    chart_language,
    cumulative,
    render_png,
    shape,
)
from kooch.insight.store import BUCKET_S, CHART_POINTS, ChartSlots, InsightStore
from kooch.store import Store
from kooch.subscribers.store import SubscriberStore
from tests.kit import base_config

NOW = 1_800_000_000.0
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


def test_cumulative_folds_early_slots_and_ends_at_now() -> None:
    times, values = cumulative([(900, 2), (1800, 3), (9000, 1)], start=1000.0, now=10_000.0)
    assert times == (1000.0, 1800.0, 9000.0, 10_000.0)
    assert values == (2, 5, 6, 6)


async def test_series_fed_to_the_chart_match_the_database(store: Store, tmp_path: Path) -> None:
    config = config_for(tmp_path)
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
        # At any time, the line says how many had moved by the end of that time's slot.
        for probe in (NOW - 2 * DAY_S, NOW - DAY_S + 123, NOW - 1):
            slot_end = int(probe // BUCKET_S) * BUCKET_S + BUCKET_S
            assert series.value_at(probe) == sum(1 for at in mine if at < slot_end)
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
    assert data.start == min(int((NOW - 100) // BUCKET_S) * BUCKET_S, NOW - BUCKET_S)


async def test_a_long_campaign_is_summed_into_wider_slots_except_the_last_day(
    store: Store, tmp_path: Path
) -> None:
    config = config_for(tmp_path)
    start = NOW - 90 * DAY_S
    taps = [start + i * 2000 for i in range(int(90 * DAY_S / 2000))]

    async def insert(db: aiosqlite.Connection) -> None:
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
        slot_end = int(probe // BUCKET_S) * BUCKET_S + BUCKET_S
        assert line.value_at(probe) == sum(1 for at in taps if at < slot_end)
    # Before, wider slots: never more than the true count at the next wide slot's end.
    older = NOW - 30 * DAY_S
    assert (
        sum(1 for at in taps if at < older)
        <= line.value_at(older)
        <= sum(1 for at in taps if at < older + 90 * DAY_S / CHART_POINTS + BUCKET_S)
    )


def test_persian_labels_have_every_glyph_in_the_font(tmp_path: Path) -> None:
    font = TTFont(FONT_PATH)
    cmap = font.getBestCmap()
    font.close()
    labels = [*LABELS["fa"].values(), "سروش", "گپ", "بله", "ایتا", "روبیکا", "ژ", "۰۱۲۳۴۵۶۷۸۹"]
    for label in labels:
        shaped = shape(label.format(scope="همهٔ کانال‌ها", tz="Asia/Tehran"))
        missing = sorted({f"U+{ord(ch):04X}" for ch in shaped if ord(ch) not in cmap and not ch.isspace()})
        assert missing == [], f"{label!r} lacks glyphs {missing}"
    # Shaping really happened: joined presentation forms, right-to-left order.
    assert shape("سروش") != "سروش"
    assert any(0xFB50 <= ord(ch) <= 0xFEFF for ch in shape("سروش"))
    assert shape("Soroush") == "Soroush"


def test_a_persian_chart_renders_without_missing_glyph_warnings(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    empty = ChartSlots(by_service=False, start=NOW - DAY_S, slots=(), per_channel={})
    data = build_chart_data(config, list(config.channels), empty, {}, {"demo": 10}, NOW, "fa")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        png = render_png(data)
    assert png_size(png) == (1000, 1000)


@pytest.mark.parametrize(
    ("code", "language"),
    [("fa", "fa"), ("fa-IR", "fa"), ("en", "en"), ("de", "en"), (None, "en")],
    ids=["fa", "fa-IR", "en", "other", "none"],
)
def test_chart_language(code: str | None, language: str) -> None:
    assert chart_language(code) == language
