"""Hostile config files: how fast and how small Kooch refuses them, and what a running bot's taps
feel while one is saved into its watched config.

    python -m bench.config_bombs [--cutoff-s 20] [--cutoff-gb 3] [--rate 40]

1. refusal — each case (alias bombs of 9^5 to 9^9 values, an alias inside itself, 50,000 nested
   ``[``) read by three loaders, each run in a fresh subprocess so that its peak RSS is its own:
   ``kooch`` (parse_config, what ``bot.py check``, ``health`` and the reloader run), ``unlimited``
   (the same positions builder over PyYAML's plain SafeLoader: Kooch's loader before the limits)
   and ``safe_load`` (plain ``yaml.safe_load``, which shares aliased values instead of building
   them and checks nothing). A run is cut off after --cutoff-s seconds or --cutoff-gb of address
   space. Seconds are wall time of the read alone; MB is the process's peak RSS above its RSS
   after the imports. Bounded by: the machine's load (2 shared cores), the cutoffs.
2. taps — the real bot long-polling the Bot API simulator over loopback HTTP, a tap every
   1/--rate s from a new subscriber; before, while and after the 9^9 bomb, the loop and the deep
   nesting are saved into its watched config (each until the operator has the error). Latency
   is tap-to-answer as the simulator records it (created → answered). Bounded by: long polling
   (a tap waits for the bot's next getUpdates), the simulator in the same process, the load.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
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
OPERATOR = 4242
CONFIG = f"""
operators: [{OPERATOR}]
storage: {{sqlite_path: kooch.db}}
channels: [{{chat: "@kooch_demo", key: demo, language: fa}}]
services: [{{key: soroush, name: Soroush, url: "https://splus.ir/kooch_demo"}}]
"""


def bomb(levels: int) -> str:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


CASES: dict[str, str] = {
    **{f"9^{n}": bomb(n) for n in range(5, 10)},
    "loop": "loop: &l [*l]\n",
    "[x50000": "[" * 50_000,
}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


# --------------------------------------------------------------------------------------- refusal


def refuse_child(loader: str, case: str, cutoff_gb: float) -> dict[str, Any]:
    import yaml

    from kooch.config import ConfigInvalid, parse_config
    from kooch.config.yaml_positions import Located

    limit = int(cutoff_gb * 1024**3)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    text = CASES[case]
    base = current_rss_mb()
    start = time.perf_counter()
    try:
        if loader == "kooch":
            parse_config(text, "config.yaml")
            outcome = "read"
        elif loader == "unlimited":
            plain = yaml.SafeLoader(text)
            node = plain.get_single_node()
            located = Located("config.yaml")
            if node is not None:
                located.build(plain, node, "")
            outcome = f"built {located.nodes:,} values"
        else:
            yaml.safe_load(text)
            outcome = "read (aliases shared, not built)"
    except ConfigInvalid as exc:
        outcome = "refused: " + exc.errors[0].message[:60]
    except RecursionError:
        outcome = "RecursionError"
    except MemoryError:
        outcome = "MemoryError (cut off)"
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": max(0.0, rss_mb() - base), "outcome": outcome}


def refusal(cutoff_s: float, cutoff_gb: float) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    print(f"refusal (each in a fresh process; cut off at {cutoff_s:g} s or {cutoff_gb:g} GB):")
    for case in CASES:
        for loader in ("kooch", "unlimited", "safe_load"):
            try:
                out = subprocess.run(
                    [*again(__spec__, __file__), "--child", "refuse", loader, case, str(cutoff_gb)],
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                    timeout=cutoff_s,
                    check=False,
                )
                lines = out.stdout.strip().splitlines()
                r = json.loads(lines[-1]) if lines else {"seconds": None, "peak_mb": None}
                if not lines:
                    r["outcome"] = f"died (exit {out.returncode})"
            except subprocess.TimeoutExpired:
                r = {"seconds": None, "peak_mb": None, "outcome": f"cut off at {cutoff_s:g} s"}
            results[f"{case}/{loader}"] = r
            secs = f"{r['seconds']:8.3f} s" if r["seconds"] is not None else "       — "
            mb = f"{r['peak_mb']:7.1f} MB" if r["peak_mb"] is not None else "       — "
            print(f"  {case:<8} {loader:<10} {secs} {mb}  {r['outcome']}")
    return results


# ------------------------------------------------------------------------------------------ taps


async def taps_child(rate: float) -> dict[str, Any]:
    from bot import running_bot
    from kooch.app.settings import Settings
    from kooch.simulator import BotAPISimulator

    workdir = Path(tempfile.mkdtemp(prefix="kooch-bench-bombs-"))
    config = workdir / "config.yaml"
    good = CONFIG
    config.write_text(good, encoding="utf-8")
    marks: dict[str, float] = {}
    report_s: dict[str, float] = {}
    async with BotAPISimulator(token=TOKEN) as sim:
        sim.callback_deadline = 120
        channel = sim.add_channel(username="kooch_demo", member_count=10_000)
        operator = sim.add_user("Operator", "en", user_id=OPERATOR)
        post = await sim_post(sim, channel.id)
        async with running_bot(Settings(config, sim.token, sim.url, poll_timeout=1, fetch_links=False)):
            sent = await sim.send_text(operator, "/status")  # now the bot may write to the operator
            await sim.wait_for_message(operator.id, after=sent.message_id, timeout=30)
            stop = asyncio.Event()
            pending: list[asyncio.Task[Any]] = []

            async def stream() -> None:
                i = 0
                while not stop.is_set():
                    user = sim.add_user(f"U{i}", "fa")
                    i += 1
                    pending.append(asyncio.create_task(tap(user)))
                    await asyncio.sleep(1 / rate)

            async def tap(user: Any) -> None:
                query_id = await sim.press_button(user, channel.id, post, "ack:demo")
                await sim.wait_for_answer(query_id, timeout=120)

            def errors_said() -> int:
                return len([m for m in sim.messages(operator.id) if m.from_bot and "error" in (m.text or "")])

            def more_errors(seen: int) -> bool:
                return errors_said() > seen

            streaming = asyncio.create_task(stream())
            await asyncio.sleep(3)
            marks["while"] = time.time()
            for name in ("9^9", "loop", "[x50000"):
                seen = errors_said()
                saved = time.monotonic()
                await asyncio.to_thread(config.write_text, good + CASES[name], "utf-8")
                await sim.wait_until(functools.partial(more_errors, seen), timeout=60, what=f"error {name}")
                report_s[name] = time.monotonic() - saved
                await asyncio.sleep(1)
            marks["after"] = time.time()
            await asyncio.sleep(3)
            stop.set()
            await streaming
            await asyncio.gather(*pending)
        answers = [a for a in sim.answers if a.data == "ack:demo" and a.answered_at is not None]
    phases: dict[str, list[float]] = {"before": [], "while": [], "after": []}
    for a in answers:
        phase = (
            "before"
            if a.created_at < marks["while"]
            else "while"
            if a.created_at < marks["after"]
            else "after"
        )
        phases[phase].append(((a.answered_at or 0.0) - a.created_at) * 1000.0)
    return {
        "taps": len(answers),
        "phases": {
            k: {"taps": len(v), "p50_ms": percentile(v, 0.5), "p99_ms": percentile(v, 0.99), "max_ms": max(v)}
            for k, v in phases.items()
        },
        "save_to_error_report_s": report_s,
        "peak_rss_mb": rss_mb(),
    }


async def sim_post(sim: Any, chat_id: int) -> int:
    """Put an announcement with the moved button in the channel, as the bot would."""
    from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

    async with Bot(sim.token, base_url=f"{sim.url}/bot") as bot:
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("✅", callback_data="ack:demo")]])
        message = await bot.send_message(chat_id, "announcement", reply_markup=keyboard)
    return message.message_id


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cutoff-s", type=float, default=20.0, help="wall-time cutoff per refusal run")
    parser.add_argument("--cutoff-gb", type=float, default=3.0, help="address-space cutoff per refusal run")
    parser.add_argument("--rate", type=float, default=40.0, help="taps per second during the taps run")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        if args.child[0] == "refuse":
            result = refuse_child(args.child[1], args.child[2], float(args.child[3]))
        else:
            result = asyncio.run(taps_child(float(args.child[1])))
        print(json.dumps(result))
        return

    refused = refusal(args.cutoff_s, args.cutoff_gb)
    out = subprocess.run(
        [*again(__spec__, __file__), "--child", "taps", str(args.rate)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    taps: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"\ntaps at {args.rate:g}/s while the 9^9 bomb, the loop and 50,000 [ are saved "
        "(real bot, simulator):"
    )
    for phase, r in taps["phases"].items():
        print(
            f"  {phase:<7} {r['taps']:>5} taps  p50 {r['p50_ms']:7.1f} ms  p99 {r['p99_ms']:7.1f} ms  "
            f"max {r['max_ms']:7.1f} ms"
        )
    reports = ", ".join(f"{k} {v:.2f} s" for k, v in taps["save_to_error_report_s"].items())
    print(f"  saved → operator has the error: {reports} (the watcher's debounce included)")
    print(f"  peak RSS of the bot and simulator: {taps['peak_rss_mb']:.0f} MB")
    print(json.dumps({"refusal": refused, "taps": taps}))


if __name__ == "__main__":
    main()
