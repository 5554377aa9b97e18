"""Operator insight at scale: /stats figures and /export with a million acknowledgements.

    python -m bench.insight [--acks 1000000] [--clicks 5000000] [--db PATH]

1. Generates a database with --acks acknowledgements (3 channels, 30 days, a third naming a
   service), --clicks clicks on the redirect links (a tenth from link previews) and a third of a
   million started users, with SQL ``WITH RECURSIVE`` inside one transaction per table, through
   Kooch's real schema and triggers (so the aggregates are built as the live bot builds them).
2. Times what /stats reads (median of 7 runs, the store's own async reader): the text's figures
   (acknowledgements total and last 24 h, started users, announcements) and the chart's (the
   15-minute slots, clicks per channel, the first announcement), then the chart's drawing.
   The clicks-per-service query over the raw clicks table is timed apart (``clicks_by_service_ms``).
3. Runs /export of every channel in a fresh subprocess, so its peak RSS is the export's own and
   not the generator's: pseudonymised acknowledgements and clicks per day, zipped if over 50 MB.

The last line of output is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kooch.testing.bench import again

if TYPE_CHECKING:
    from kooch.store import Store

ROOT = Path(__file__).resolve().parents[1]

CHANNELS = ("demo", "news", "sport")
SERVICES = ("soroush", "gap", "bale", "eitaa", "rubika")
SPAN_S = 30 * 86400
CONFIG = """
operators: [1]
timezone: Asia/Tehran
storage: {sqlite_path: kooch.db}
channels:
  - {chat: "@kooch_demo", key: demo, language: fa}
  - {chat: "@kooch_news", key: news, language: fa}
  - {chat: "@kooch_sport", key: sport, language: en}
services:
  - {key: soroush, name: {fa: سروش, en: Soroush}, url: "https://splus.ir/x"}
  - {key: gap, name: {fa: گپ, en: Gap}, url: "https://gap.im/x"}
  - {key: bale, name: {fa: بله, en: Bale}, url: "https://ble.ir/x"}
  - {key: eitaa, name: {fa: ایتا, en: Eitaa}, url: "https://eitaa.com/x"}
  - {key: rubika, name: {fa: روبیکا, en: Rubika}, url: "https://rubika.ir/x"}
"""


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the address space, which execve
    replaces; ru_maxrss on Linux carries the parent's peak over fork and exec, so it would count
    the generator's memory in the export's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def generate(db: Path, acks: int, clicks: int, now: float) -> dict[str, float]:
    from kooch.store.migrations import migrate

    migrate(db)
    start = now - SPAN_S
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    timings: dict[str, float] = {}
    t = time.perf_counter()
    conn.execute("BEGIN")
    # Acknowledgements arrive faster at first (sqrt spreads them towards the announcement).
    conn.execute(
        """
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
        INSERT INTO acks (channel, user_id, first_name, language, source, service, acked_at)
        SELECT CASE i % 3 WHEN 0 THEN 'demo' WHEN 1 THEN 'news' ELSE 'sport' END,
               100000000 + i, 'User', CASE WHEN i % 4 = 0 THEN 'en' ELSE 'fa' END,
               CASE WHEN i % 10 = 0 THEN 'site' ELSE 'post' END,
               CASE i % 3 WHEN 0 THEN NULL ELSE
                 CASE (i / 3) % 5 WHEN 0 THEN 'soroush' WHEN 1 THEN 'gap' WHEN 2 THEN 'bale'
                      WHEN 3 THEN 'eitaa' ELSE 'rubika' END END,
               ? + ? * (1.0 * i / ?) * (1.0 * i / ?)
        FROM n
        """,
        (acks, start, SPAN_S, acks, acks),
    )
    conn.execute("COMMIT")
    timings["generate_acks_s"] = time.perf_counter() - t
    t = time.perf_counter()
    conn.execute("BEGIN")
    conn.execute(
        """
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
        INSERT INTO clicks (at, service, channel, source, platform, is_bot)
        SELECT ? + ? * (1.0 * i / ?),
               CASE i % 5 WHEN 0 THEN 'soroush' WHEN 1 THEN 'gap' WHEN 2 THEN 'bale'
                    WHEN 3 THEN 'eitaa' ELSE 'rubika' END,
               CASE (i / 5) % 4 WHEN 0 THEN 'demo' WHEN 1 THEN 'news' WHEN 2 THEN 'sport' ELSE NULL END,
               'post',
               CASE i % 7 WHEN 0 THEN 'ios' WHEN 1 THEN 'desktop' WHEN 2 THEN 'other' ELSE 'android' END,
               i % 10 = 9
        FROM n
        """,
        (clicks, start, SPAN_S, clicks),
    )
    conn.execute("COMMIT")
    timings["generate_clicks_s"] = time.perf_counter() - t
    conn.execute("BEGIN")
    conn.execute(
        """
        WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
        INSERT INTO subscribers (user_id, language, source, started_at, last_seen_at)
        SELECT 100000000 + i * 3, 'fa', NULL, ? + i, ? + i FROM n
        """,
        (acks // 3, start, start),
    )
    for k, channel in enumerate(CHANNELS):
        conn.execute(
            "INSERT INTO announcements (channel, chat_id, message_id, posted_at, posted_by, content_hash)"
            " VALUES (?, ?, 1, ?, 1, 'h')",
            (channel, -1001000000001 - k, start - 60),
        )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return timings


async def clicks_by_service_from_rows(store: Store, keys: list[str]) -> dict[str, tuple[int, int]]:
    """What the aggregates replace: a GROUP BY over every click, (people, bots) per service."""
    marks = ", ".join("?" for _ in keys)
    rows = await store.reader.fetch(
        "SELECT service, SUM(is_bot = 0), SUM(is_bot <> 0) FROM clicks"
        f" WHERE channel IN ({marks}) GROUP BY service",
        keys,
    )
    return {str(s): (int(h or 0), int(b or 0)) for s, h, b in rows}


async def measure_stats(db: Path, config_path: Path, now: float) -> dict[str, float]:
    from kooch.announce.store import AnnouncementStore
    from kooch.config import load_config
    from kooch.insight.charts import build_chart_data, render_png
    from kooch.insight.clicks import ClickLog
    from kooch.insight.store import InsightStore
    from kooch.store import Store
    from kooch.subscribers.store import SubscriberStore

    config = load_config(config_path)
    store = await Store.open(db)
    insight = InsightStore(store)
    subscribers, announcements = SubscriberStore(store), AnnouncementStore(store)
    keys = [c.key for c in config.channels]
    text_ms, chart_ms, service_ms, service_agg_ms = [], [], [], []
    data = None
    try:
        for _ in range(7):
            t = time.perf_counter()
            counts = await subscribers.ack_counts(keys, now)
            await subscribers.started_count()
            for key in keys:
                await announcements.current_announcement(key)
            text_ms.append((time.perf_counter() - t) * 1000)

            t = time.perf_counter()
            first = await insight.first_announcement(keys)
            slots = await insight.chart_slots(keys, first, now)
            clicks = await insight.clicks_by_channel(keys)
            data = build_chart_data(
                config,
                list(config.channels),
                slots,
                {k: c.humans for k, c in clicks.items()},
                dict.fromkeys(keys, 2_000_000),
                now,
                "fa",
            )
            chart_ms.append((time.perf_counter() - t) * 1000)

            t = time.perf_counter()
            raw = await clicks_by_service_from_rows(store, keys)
            service_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            agg = await ClickLog(store).by_service(keys)
            service_agg_ms.append((time.perf_counter() - t) * 1000)
            assert raw == {k: (v.humans, v.bots) for k, v in agg.items()}, (
                "the aggregates disagree with the clicks table"
            )
        assert data is not None
        assert sum(c.total for c in counts.values()) == data.total, "text and chart disagree"
        t = time.perf_counter()
        png = await asyncio.to_thread(render_png, data)
        render_ms = (time.perf_counter() - t) * 1000
    finally:
        await store.close()
    return {
        "stats_text_ms": statistics.median(text_ms),
        "stats_chart_data_ms": statistics.median(chart_ms),
        "stats_ms": statistics.median([a + b for a, b in zip(text_ms, chart_ms, strict=True)]),
        "clicks_by_service_ms": statistics.median(service_ms),
        "clicks_by_service_aggregate_ms": statistics.median(service_agg_ms),
        "chart_render_ms": render_ms,
        "chart_png_bytes": len(png),
        "chart_acks": data.total,
    }


def export_child(db: Path, out: Path) -> None:
    """In a fresh process: the export exactly as /export runs it, then its time and peak RSS."""
    from kooch.insight.export import ExportRequest, write_export
    from kooch.insight.pseudonym import Pseudonymizer

    baseline = peak_rss_mb()
    t = time.perf_counter()
    result = write_export(
        ExportRequest(
            database=db,
            channels=CHANNELS,
            since=None,
            timezone="Asia/Tehran",
            user_ids=False,
            pseudonymize=Pseudonymizer(b"k" * 32),
            out_dir=out,
            stem="bench",
        )
    )
    elapsed = time.perf_counter() - t
    print(
        json.dumps(
            {
                "export_s": elapsed,
                "export_peak_rss_mb": peak_rss_mb(),
                "export_baseline_rss_mb": baseline,
                "export_ack_rows": result.acks.rows,
                "export_click_rows": result.clicks.rows,
                "export_acks_file": result.acks.filename,
                "export_acks_bytes": result.acks.path.stat().st_size,
                "export_clicks_bytes": result.clicks.path.stat().st_size,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acks", type=int, default=1_000_000)
    parser.add_argument("--clicks", type=int, default=5_000_000)
    parser.add_argument("--export-child", nargs=2, metavar=("DB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(Path(args.export_child[0]), Path(args.export_child[1]))
        return 0

    with tempfile.TemporaryDirectory(prefix="kooch-bench-") as tmp:
        folder = Path(tmp)
        db = folder / "kooch.db"
        config_path = folder / "config.yaml"
        config_path.write_text(CONFIG, encoding="utf-8")
        now = time.time()
        print(f"generating {args.acks:,} acknowledgements and {args.clicks:,} clicks …", flush=True)
        figures: dict[str, Any] = {"acks": args.acks, "clicks": args.clicks}
        figures.update(generate(db, args.acks, args.clicks, now))
        figures["db_mb"] = db.stat().st_size / 2**20
        print(
            f"  acks in {figures['generate_acks_s']:.1f} s, clicks in {figures['generate_clicks_s']:.1f} s;"
            f" database {figures['db_mb']:.0f} MB",
            flush=True,
        )
        figures.update(asyncio.run(measure_stats(db, config_path, now)))
        print(
            f"/stats figures: {figures['stats_ms']:.1f} ms (text {figures['stats_text_ms']:.1f} ms,"
            f" chart data {figures['stats_chart_data_ms']:.1f} ms; goal < 200 ms); chart drawn in"
            f" {figures['chart_render_ms']:.0f} ms ({figures['chart_png_bytes'] / 1024:.0f} KB PNG)"
        )
        print(
            f"clicks per service: {figures['clicks_by_service_ms']:.0f} ms over the clicks table,"
            f" {figures['clicks_by_service_aggregate_ms']:.1f} ms over click_totals (ClickLog.by_service)"
        )
        out = folder / "export"
        out.mkdir()
        child = subprocess.run(
            [*again(__spec__, __file__), "--export-child", str(db), str(out)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        figures.update(json.loads(child.stdout.strip().splitlines()[-1]))
        print(
            f"/export: {figures['export_ack_rows']:,} acknowledgements + {figures['export_click_rows']:,} "
            f"click rows in {figures['export_s']:.1f} s, peak RSS {figures['export_peak_rss_mb']:.0f} MB "
            f"(process baseline {figures['export_baseline_rss_mb']:.0f} MB; goal < 100 MB); "
            f"{figures['export_acks_file']} {figures['export_acks_bytes'] / 2**20:.0f} MB"
        )
        assert figures["export_ack_rows"] == args.acks
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
