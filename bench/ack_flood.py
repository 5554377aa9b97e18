"""The ack flood: how many "I've moved" taps per second Kooch answers, against two baselines.

    python -m bench.ack_flood [--taps 20000] [--rate 2000] [--http-taps 3000]

Every figure comes from one run on this machine, each mode in a fresh subprocess (so peak RSS is
the mode's own), all on the same synthetic updates: N distinct users tapping one channel post,
through the real python-telegram-bot Application with the network replaced by an in-process
request that answers like Telegram (kooch/simulator/inprocess.py):

1. ceiling  — python-telegram-bot dispatching the taps to a handler that only answers, both with
   Kooch's concurrency and one update at a time (the faster counts as the ceiling);
2. naive    — one INSERT + one COMMIT per tap, updates processed one at a time;
3. kooch    — Kooch's own handlers and store (group commit, concurrent updates).

Throughput runs offer all taps at once; latency runs offer them at --rate taps/s and measure
tap-to-answer time from the moment each tap became available. Last, the same flood end to end
over HTTP against the Bot API simulator (long polling). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from kooch.testing.bench import again

ROOT = Path(__file__).resolve().parents[1]

TOKEN = "123456:BENCH"
CONFIG = """
operators: [1]
storage: {sqlite_path: kooch.db}
channels: [{chat: "@kooch_demo", key: demo, language: fa}]
services: [{key: soroush, name: Soroush, url: "https://splus.ir/kooch_demo"}]
"""


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


async def run_mode(mode: str, taps: int, rate: float | None) -> dict[str, Any]:
    import aiosqlite
    from telegram import Update
    from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes

    from bot import running_bot
    from kooch.app.settings import Settings
    from kooch.simulator.inprocess import InProcessTelegram, tap_update
    from kooch.store import Store, migrate

    updates = [tap_update(500_000_000 + i, 10_000_000 + i, "ack:demo") for i in range(taps)]
    fake = InProcessTelegram(updates)
    workdir = Path(tempfile.mkdtemp(prefix="kooch-bench-"))
    db_path = workdir / "kooch.db"
    store: Store | None = None
    naive_db: aiosqlite.Connection | None = None
    app: Application[Any, Any, Any, Any, Any, Any]

    if mode in ("ceiling", "ceiling-sequential"):

        async def answer_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert update.callback_query is not None
            await update.callback_query.answer("thanks")

        from kooch.app.runner import CONCURRENT_UPDATES

        builder = ApplicationBuilder().token(TOKEN).request(fake).get_updates_request(fake)
        app = builder.concurrent_updates(CONCURRENT_UPDATES if mode == "ceiling" else False).build()
        app.add_handler(CallbackQueryHandler(answer_only))
    elif mode == "naive":
        migrate(db_path)
        naive_db = await aiosqlite.connect(db_path)
        await naive_db.execute("PRAGMA journal_mode=WAL")
        await naive_db.execute("PRAGMA synchronous=FULL")
        db = naive_db

        async def insert_and_commit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            query = update.callback_query
            assert query is not None
            await db.execute(
                "INSERT INTO acks (channel, user_id, first_name, language, source, acked_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                ("demo", query.from_user.id, query.from_user.first_name, "fa", "post", time.time()),
            )
            await db.commit()
            await query.answer("thanks")

        app = ApplicationBuilder().token(TOKEN).request(fake).get_updates_request(fake).build()
        app.add_handler(CallbackQueryHandler(insert_and_commit))
    elif mode != "kooch":  # Kooch's own bot is started below, by its composition root
        raise SystemExit(f"unknown mode {mode}")

    if mode == "kooch":
        # The real bot, every service opened by its composition root; only the network is
        # replaced, by the in-process Telegram.
        config_path = workdir / "bench.yaml"
        config_path.write_text(CONFIG)
        async with running_bot(
            Settings(
                config_path,
                TOKEN,
                "http://in-process",
                poll_timeout=5,
                transport=lambda _pool: fake,
                fetch_links=False,
            )
        ):
            fake.release(rate)
            await asyncio.wait_for(fake.all_answered.wait(), timeout=600)
    else:
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        fake.release(rate)
        try:
            await asyncio.wait_for(fake.all_answered.wait(), timeout=600)
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
    elapsed = fake.elapsed_s()
    rows = None
    if store is not None:
        await store.close()
    if naive_db is not None:
        await naive_db.close()
    if mode in ("naive", "kooch"):
        async with aiosqlite.connect(db_path) as db, db.execute("SELECT COUNT(*) FROM acks") as cur:
            row = await cur.fetchone()
            rows = int(row[0]) if row else 0
    latencies = fake.latencies_ms()
    return {
        "mode": mode,
        "taps": taps,
        "offered_per_s": rate,
        "per_s": taps / elapsed if elapsed else 0.0,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies) if latencies else float("nan"),
        "peak_rss_mb": peak_rss_mb(),
        "rows": rows,
        "answered": fake.answers,
    }


async def run_http(taps: int) -> dict[str, Any]:
    """The flood end to end: simulator over loopback HTTP, the real bot long-polling it."""
    from bot import running_bot
    from kooch.app.settings import Settings
    from kooch.simulator import BotAPISimulator

    workdir = Path(tempfile.mkdtemp(prefix="kooch-bench-http-"))
    config = workdir / "config.yaml"
    config.write_text(CONFIG.replace("operators: [1]", "operators: [4242]"), encoding="utf-8")
    async with BotAPISimulator(token=TOKEN) as sim:
        channel = sim.add_channel(username="kooch_demo", member_count=taps)
        post = await sim_post(sim, channel.id)
        users = [sim.add_user(f"U{i}", "fa") for i in range(taps)]
        async with running_bot(Settings(config, sim.token, sim.url, poll_timeout=1, fetch_links=False)):
            gate = asyncio.Semaphore(500)

            async def tap(user: Any) -> None:
                async with gate:
                    query_id = await sim.press_button(user, channel.id, post, "ack:demo")
                    await sim.wait_for_answer(query_id, timeout=60)

            await asyncio.gather(*(tap(u) for u in users))
        answers = [a for a in sim.answers if a.data == "ack:demo" and a.answered_at is not None]
    start = min(a.created_at for a in answers)
    end = max(a.answered_at or 0.0 for a in answers)
    latencies = [((a.answered_at or 0.0) - a.created_at) * 1000.0 for a in answers]
    return {
        "mode": "http",
        "taps": taps,
        "per_s": len(answers) / (end - start),
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "peak_rss_mb": peak_rss_mb(),
    }


async def sim_post(sim: Any, chat_id: int) -> int:
    """Put an announcement with the moved button in the channel, as the bot would."""
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

    async with Bot(sim.token, base_url=f"{sim.url}/bot") as bot:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("✅", callback_data="ack:demo")]])
        message = await bot.send_message(chat_id, "announcement", reply_markup=keyboard)
    return message.message_id


def in_subprocess(*args: str) -> dict[str, Any]:
    out = subprocess.run(
        [*again(__spec__, __file__), "--child", *args], check=True, capture_output=True, text=True, cwd=ROOT
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--taps", type=int, default=20_000, help="taps per throughput run")
    parser.add_argument("--rate", type=float, default=2000.0, help="offered taps/s for the latency runs")
    parser.add_argument("--latency-seconds", type=float, default=5.0, help="length of each latency run")
    parser.add_argument("--http-taps", type=int, default=3000, help="taps for the end-to-end HTTP run")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        mode, taps, rate = args.child[0], int(args.child[1]), args.child[2]
        if mode == "http":
            result = asyncio.run(run_http(taps))
        else:
            result = asyncio.run(run_mode(mode, taps, None if rate == "max" else float(rate)))
        print(json.dumps(result))
        return

    print(f"ack flood: {args.taps:,} distinct users tapping one post; each mode in a fresh process")
    through: dict[str, dict[str, Any]] = {}
    for mode in ("ceiling", "ceiling-sequential", "naive", "kooch"):
        through[mode] = in_subprocess(mode, str(args.taps), "max")
        r = through[mode]
        print(f"  {mode:<19} {r['per_s']:>8,.0f} taps/s   peak RSS {r['peak_rss_mb']:.0f} MB")
    ceiling = max(through["ceiling"]["per_s"], through["ceiling-sequential"]["per_s"])
    naive, kooch = through["naive"]["per_s"], through["kooch"]["per_s"]
    assert through["kooch"]["rows"] == args.taps, "kooch stored a different number of rows than taps"
    assert through["naive"]["rows"] == args.taps

    latency_taps = int(args.rate * args.latency_seconds)
    print(f"\nlatency at {args.rate:,.0f} taps/s offered ({latency_taps:,} taps):")
    lat: dict[str, dict[str, Any]] = {}
    for mode in ("ceiling", "naive", "kooch"):
        lat[mode] = in_subprocess(mode, str(latency_taps), str(args.rate))
        r = lat[mode]
        print(
            f"  {mode:<8} answered {r['per_s']:>7,.0f} taps/s   p50 {r['p50_ms']:>8.1f} ms   "
            f"p99 {r['p99_ms']:>8.1f} ms   max {r['max_ms']:>8.1f} ms"
        )

    http = in_subprocess("http", str(args.http_taps), "max")
    print(
        f"\nend to end over HTTP (simulator, long polling, {args.http_taps:,} taps, 500 in flight):"
        f" {http['per_s']:,.0f} taps/s, p50 {http['p50_ms']:.1f} ms, p99 {http['p99_ms']:.1f} ms"
    )

    concurrent = through["ceiling"]["per_s"]
    print(f"\nkooch / ceiling = {kooch / ceiling:.2f}  (goal ≥ 0.8; the faster of the two ceilings)")
    print(f"kooch / ceiling with Kooch's concurrency = {kooch / concurrent:.2f}")
    print(f"kooch / naive   = {kooch / naive:.2f}  (goal ≥ 3)")
    print(f"kooch p99 at {args.rate:,.0f}/s = {lat['kooch']['p99_ms']:.1f} ms  (goal ≤ 50 ms)")
    summary = {
        "ceiling_per_s": round(ceiling, 1),
        "naive_per_s": round(naive, 1),
        "kooch_per_s": round(kooch, 1),
        "kooch_vs_ceiling": round(kooch / ceiling, 3),
        "ceiling_concurrent_per_s": round(concurrent, 1),
        "kooch_vs_ceiling_concurrent": round(kooch / concurrent, 3),
        "kooch_vs_naive": round(kooch / naive, 3),
        "offered_per_s": args.rate,
        "p50_ms": round(lat["kooch"]["p50_ms"], 2),
        "p99_ms": round(lat["kooch"]["p99_ms"], 2),
        "peak_rss_mb": round(through["kooch"]["peak_rss_mb"], 1),
        "http_per_s": round(http["per_s"], 1),
        "http_p99_ms": round(http["p99_ms"], 2),
        "taps": args.taps,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
