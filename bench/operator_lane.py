"""Operators first: how long an operator's /stats waits behind a /start flood, lane on and off.

    python -m bench.operator_lane [--subscribers 20000] [--tail-seconds 20] [--modes lane,no-lane]

The real bot, in a process of its own, long-polls the Bot API simulator (in this process) over
loopback HTTP with Telegram's limits on (30 messages a second in all, one a second per chat:
``set_rate_limits()``; the simulator answers 429 above them). Per mode, a fresh bot and a fresh
simulator:

1. ``--subscribers`` users send /start at once (the flood a final post provokes);
2. ``lane`` only: the operator sends /stats right behind the flood (``behind_s``): the bot must
   fetch every /start before it (getUpdates gives 100 at a time, in order) and then answer;
3. once every /start is fetched and the replies are going out at Telegram's pace, the operator
   sends /stats (``answer_s``: until its text reaches Telegram; ``chart_s``: its chart);
4. the subscribers' replies per second from that /stats to ``--tail-seconds`` after it (``per_s``),
   the same window in both modes.

The modes: ``lane`` is Kooch (operators' updates in their own lane, their sends first at the rate
limiter); ``no-lane`` routes the operator like a subscriber (``running_bot(operators_first=False)``),
the baseline measured in the same run. Without the lane the operator waits for every reply queued
before theirs: about subscribers / 30 seconds (11 minutes for 20,000), so that run takes as long.

What bounds the figures: Telegram's 30 a second bounds ``per_s`` (the goal is to stay near it);
``answer_s`` with the lane is the next send slot (1/30 s) plus the handler's own work (two store
reads, getChatMemberCount) on a machine whose cores the bot shares with the simulator; ``behind_s``
is the time to fetch and spool the flood; without the lane ``answer_s`` is the backlog ÷ 30.
``peak_rss_mb`` is the bot's (the deep subscriber backlog holds the whole flood in memory).
The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from kooch.testing.bench import again

ROOT = Path(__file__).resolve().parents[1]

TOKEN = "123456:BENCH"
OPERATOR = 4242
CONFIG = """
operators: [{operator}]
storage: {{sqlite_path: {db}}}
channels: [{{chat: "@kooch_demo", key: demo, language: fa}}]
services: [{{key: soroush, name: {{fa: سروش, en: Soroush}}, url: "https://splus.ir/kooch_demo"}}]
link_checks: false
"""
#: Telegram's overall limit, what the subscribers' replies per second are compared with.
TELEGRAM_PER_S = 30.0


async def run_bot(config: Path, url: str, operators_first: bool) -> None:
    """The child: the real bot until SIGTERM (the bench kills it: draining would take minutes)."""
    from bot import running_bot
    from kooch.app.settings import Settings

    os.environ.setdefault("PTB_TIMEDELTA", "true")
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with running_bot(
        Settings(config, TOKEN, url, poll_timeout=1, fetch_links=False, operators_first=operators_first)
    ):
        await stop.wait()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


async def one_mode(mode: str, subscribers: int, tail_s: float) -> dict[str, Any]:
    from kooch.simulator import BotAPISimulator

    workdir = Path(tempfile.mkdtemp(prefix="kooch-bench-lane-"))
    config = workdir / "config.yaml"
    config.write_text(CONFIG.format(operator=OPERATOR, db=workdir / "kooch.db"), encoding="utf-8")
    async with BotAPISimulator(token=TOKEN) as sim:
        sim.add_channel(username="kooch_demo", title="Kooch demo", member_count=subscribers)
        operator = sim.add_user("Operator", "en", user_id=OPERATOR)
        users = [sim.add_user(f"S{i}", "fa") for i in range(subscribers)]
        chats = {u.id for u in users}
        sim.set_rate_limits()  # Telegram's: 30 a second in all, one a second per chat
        child = await asyncio.create_subprocess_exec(
            *again(__spec__, __file__),
            "--bot",
            str(config),
            sim.url,
            mode,
            cwd=ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            await sim.wait_until(
                lambda: any(c.method == "getUpdates" for c in sim.calls), timeout=120, what="the bot polling"
            )
            replies: list[float] = []  # when each subscriber's reply reached Telegram (wall clock)
            seen = 0

            def count_replies() -> int:
                nonlocal seen
                calls = sim.calls
                for call in calls[seen:]:
                    if call.method == "sendMessage" and call.ok and call.params.get("chat_id") in chats:
                        replies.append(call.at)
                seen = len(calls)
                return len(replies)

            async def ask_stats(timeout: float) -> tuple[float, float | None]:
                """/stats from the operator: seconds until its text, and its chart, reach Telegram."""
                asked_at = time.time()
                asked = await sim.send_text(operator, "/stats")
                text = await sim.wait_for_message(
                    operator.id, lambda m: m.photo is None, after=asked.message_id, timeout=timeout
                )
                sent = [
                    c
                    for c in sim.calls
                    if c.ok and c.params.get("chat_id") == operator.id and c.at >= asked_at
                ]
                text_at = min(c.at for c in sent if c.method == "sendMessage")
                try:
                    await sim.wait_for_message(
                        operator.id, lambda m: m.photo is not None, after=text.message_id, timeout=60
                    )
                    chart_at: float | None = max(
                        c.at for c in sim.calls if c.method == "sendPhoto" and c.ok and c.at >= asked_at
                    )
                except TimeoutError:
                    chart_at = None
                return text_at - asked_at, None if chart_at is None else chart_at - asked_at

            flood_at = time.time()
            for user in users:
                await sim.send_text(user, "/start")
            behind: tuple[float, float | None] | None = None
            if mode == "lane":
                behind = await ask_stats(timeout=600)
                # The operator's chat is Telegram's one message a second again before the next.
                await asyncio.sleep(2.0)
            await sim.wait_until(lambda: sim.pending_updates == 0, timeout=600, what="the flood fetched")
            fetched_s = time.time() - flood_at
            await sim.wait_until(lambda: count_replies() >= 30, timeout=600, what="the first replies")
            outstanding_before = subscribers - count_replies()
            asked_at = time.time()
            answer_s, chart_s = await ask_stats(timeout=subscribers / TELEGRAM_PER_S * 3 + 120)
            outstanding_after = subscribers - count_replies()
            # The replies' rate over the same window in every mode: the tail after the ask.
            with contextlib.suppress(TimeoutError):
                await sim.wait_until(
                    lambda: count_replies() >= subscribers,
                    timeout=max(0.0, asked_at + tail_s - time.time()),
                )
            count_replies()
            rss = peak_rss_mb(child.pid)
        finally:
            child.kill()  # draining the rest at 30 a second would take minutes
            await child.wait()
        # From the ask to --tail-seconds after it (or the last reply, if the backlog ran out first).
        end = min(asked_at + tail_s, replies[-1])
        in_tail = sum(1 for at in replies if asked_at <= at <= end)
        return {
            "mode": mode,
            "subscribers": subscribers,
            "behind_s": None if behind is None else behind[0],
            "behind_chart_s": None if behind is None else behind[1],
            "fetched_s": fetched_s,
            "answer_s": answer_s,
            "chart_s": chart_s,
            "outstanding_when_asked": outstanding_before,
            "outstanding_when_answered": outstanding_after,
            "replies": len(replies),
            "per_s": in_tail / (end - asked_at) if end > asked_at else float("nan"),
            "throttled": sim.throttled_count,
            "peak_rss_mb": rss,
        }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=20_000, help="/start messages queued")
    parser.add_argument(
        "--tail-seconds", type=float, default=20.0, help="replies watched after the answer, for their rate"
    )
    parser.add_argument("--modes", default="lane,no-lane", help="which runs, comma-separated")
    parser.add_argument("--bot", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.bot:
        config, url, mode = args.bot
        asyncio.run(run_bot(Path(config), url, operators_first=mode == "lane"))
        return

    modes = [m for m in args.modes.split(",") if m]
    print(
        f"operator lane: {args.subscribers:,} subscribers' /start queued, Telegram's limits on "
        f"(30/s in all, 1/s per chat); the bot in its own process, each mode a fresh bot"
    )
    results: dict[str, dict[str, Any]] = {}
    for mode in modes:
        r = results[mode] = asyncio.run(one_mode(mode, args.subscribers, args.tail_seconds))
        behind = "" if r["behind_s"] is None else f"right behind the flood {r['behind_s']:.2f} s; "
        chart = "none" if r["chart_s"] is None else f"{r['chart_s']:.2f} s"
        print(
            f"  {mode:<8} {behind}flood fetched in {r['fetched_s']:.1f} s; /stats with "
            f"{r['outstanding_when_asked']:,} replies queued answered in {r['answer_s']:.2f} s "
            f"(chart {chart}; {r['outstanding_when_answered']:,} still queued); subscribers "
            f"{r['per_s']:.1f} replies/s after the ask; 429s {r['throttled']}; "
            f"bot peak RSS {r['peak_rss_mb']:.0f} MB"
        )
    summary: dict[str, Any] = {"subscribers": args.subscribers}
    for mode, r in results.items():
        key = mode.replace("-", "_")
        for field in ("answer_s", "chart_s", "behind_s", "fetched_s", "per_s", "throttled", "peak_rss_mb"):
            value = r[field]
            summary[f"{key}_{field}"] = round(value, 3) if isinstance(value, float) else value
    if "lane" in results:
        lane = results["lane"]
        print(f"\nlane: answer {lane['answer_s']:.2f} s (goal ≤ 1 s)")
        print(f"lane subscribers / Telegram's 30 per s = {lane['per_s'] / TELEGRAM_PER_S:.2f}")
    if "lane" in results and "no-lane" in results:
        lane, base = results["lane"], results["no-lane"]
        print(f"no-lane answer / lane answer = {base['answer_s'] / lane['answer_s']:.0f}")
        print(f"lane subscribers per s / no-lane = {lane['per_s'] / base['per_s']:.2f}  (goal ≈ 1)")
        summary["answer_speedup"] = round(base["answer_s"] / lane["answer_s"], 1)
        summary["per_s_vs_no_lane"] = round(lane["per_s"] / base["per_s"], 3)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
