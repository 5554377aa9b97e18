"""The living announcement under load: the edit rate Kooch keeps per channel while admins keep
editing config.yaml and subscribers keep tapping "I've moved" on live-counter posts.

    python -m bench.sync_load [--seconds 90] [--channels 3] [--edit-every 2] [--taps-per-s 20]
                              [--interval 5] [--sim-edits-per-min 20]

The real bot runs against the Bot API simulator over loopback HTTP, with the simulator's flood
control on as Telegram's (30 msg/s overall, 1/s per chat, 20/min per channel, and
``--sim-edits-per-min`` edits per minute per chat: a 429 with retry_after above it). For
``--seconds`` the config file is rewritten every ``--edit-every`` seconds (a service URL changes
each time) and ``--taps-per-s`` new users tap the moved buttons. Then the load stops and we wait
for every post to show the last config and the last count.

Reported per channel: edits made, the most edits in any 60 s window, 429s received, and the time
from the last config change to the post showing it. Also the taps' answer latency (the edits must
not slow the taps down). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bot import running_bot
from kooch.app.services import services_of
from kooch.app.settings import Settings
from kooch.i18n.formats import format_count
from kooch.simulator import BotAPISimulator, SimMessage

ROOT = Path(__file__).resolve().parents[1]

OPERATOR = 4242


def max_in_window(times: list[float], window: float = 60.0) -> int:
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def config_for(tmp: Path, channels: int, version: int, interval: float) -> dict[str, Any]:
    return {
        "operators": [OPERATOR],
        "storage": {"sqlite_path": str(tmp / "kooch.db")},
        "counter_interval_s": interval,
        "channels": [
            {"chat": f"@bench_{i}", "key": f"c{i}", "language": "fa" if i % 2 == 0 else "en", "counter": True}
            for i in range(channels)
        ],
        "services": [
            {
                "key": "soroush",
                "name": {"fa": "سروش", "en": "Soroush"},
                "url": f"https://splus.ir/v{version}",
            },
            {"key": "bale", "name": {"fa": "بله", "en": "Bale"}, "url": "https://ble.ir/bench"},
        ],
    }


def write(path: Path, config: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        path = tmp / "config.yaml"
        write(path, config_for(tmp, args.channels, 0, args.interval))
        async with BotAPISimulator() as sim:
            operator = sim.add_user("Operator", "en", user_id=OPERATOR, started=True)
            chats = [sim.add_channel(username=f"bench_{i}", title=f"Bench {i}") for i in range(args.channels)]
            async with running_bot(
                Settings(path, sim.token, sim.url, poll_timeout=1, fetch_links=False)
            ) as app:
                kooch = services_of(app)
                sent = await sim.send_text(operator, "/announce")
                question = await sim.wait_for_message(
                    operator.id,
                    lambda m: any(d.startswith("announce:confirm:") for _, d in m.callback_buttons()),
                    after=sent.message_id,
                    timeout=30,
                )
                confirm = next(d for _, d in question.callback_buttons() if d.startswith("announce:confirm:"))
                await sim.wait_for_answer(
                    await sim.press_button(operator, operator.id, question.message_id, confirm)
                )
                await sim.wait_until(
                    lambda: all(sim.messages(c.id) for c in chats), timeout=60, what="the announcements"
                )
                posts = [sim.messages(c.id)[0] for c in chats]
                # Telegram-like flood control from here on (posting is not what is measured).
                sim.set_rate_limits(edits_per_chat_per_min=args.sim_edits_per_min)

                latencies: list[float] = []
                stop = time.monotonic() + args.seconds
                version = 0
                last_change = time.monotonic()
                users = 0

                async def tap(i: int) -> None:
                    nonlocal users
                    users += 1
                    user = sim.add_user(f"U{users}", "fa")
                    post = posts[i % len(posts)]
                    t0 = time.monotonic()
                    query = await sim.press_button(
                        user, post.chat.id, post.message_id, f"ack:c{i % len(posts)}"
                    )
                    await sim.wait_for_answer(query, timeout=30)
                    latencies.append(time.monotonic() - t0)

                async def tapper() -> None:
                    tasks: list[asyncio.Task[None]] = []
                    i = 0
                    while time.monotonic() < stop:
                        tasks.append(asyncio.create_task(tap(i)))
                        i += 1
                        await asyncio.sleep(1 / args.taps_per_s)
                    await asyncio.gather(*tasks)

                async def editor() -> None:
                    nonlocal version, last_change
                    while time.monotonic() < stop:
                        await asyncio.sleep(args.edit_every)
                        version += 1
                        write(path, config_for(tmp, args.channels, version, args.interval))
                        last_change = time.monotonic()

                started = time.monotonic()
                await asyncio.gather(tapper(), editor())
                wanted = f"https://splus.ir/v{version}"
                converged: list[float] = []
                for post in posts:

                    def followed(post: SimMessage = post) -> bool:
                        return wanted in (post.text or "")

                    await sim.wait_until(followed, timeout=300, what="the last config")
                    converged.append(time.monotonic() - last_change)
                # The counters settle too: the last count shows within an interval, once the pace allows.
                totals = await kooch.announcements.ack_totals([f"c{i}" for i in range(len(posts))])
                settle_started = time.monotonic()
                for i, post in enumerate(posts):

                    def counted(post: SimMessage = post, i: int = i) -> bool:
                        count = format_count(totals[f"c{i}"], "fa" if i % 2 == 0 else "en")
                        return post.callback_buttons()[0][0].endswith(count)

                    await sim.wait_until(counted, timeout=300, what="the last count")
                counter_settled = time.monotonic() - settle_started
                result: dict[str, Any] = {
                    "seconds": round(time.monotonic() - started, 1),
                    "config_changes": version,
                    "taps": len(latencies),
                    "tap_p50_ms": round(1000 * statistics.median(latencies), 1),
                    "tap_p99_ms": round(1000 * sorted(latencies)[int(0.99 * (len(latencies) - 1))], 1),
                    "counter_settled_after_s": round(counter_settled, 1),
                    "sim_429s": sim.throttled_count,
                    "engine_retry_afters": kooch.sync.retry_afters,
                    "edits_limit_per_min": args.sim_edits_per_min,
                    "channels": [],
                }
                for i, post in enumerate(posts):
                    times = sorted(e.at for e in post.edits)
                    label = post.callback_buttons()[0][0]
                    result["channels"].append(
                        {
                            "channel": f"c{i}",
                            "edits": len(times),
                            "max_edits_in_60s": max_in_window(times),
                            "converged_after_s": round(converged[i], 1),
                            "acks": totals[f"c{i}"],
                            "button": label,
                        }
                    )
                return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--channels", type=int, default=3)
    parser.add_argument("--edit-every", type=float, default=2.0)
    parser.add_argument("--taps-per-s", type=float, default=20)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--sim-edits-per-min", type=int, default=20)
    args = parser.parse_args()
    result = asyncio.run(run(args))
    for ch in result["channels"]:
        print(
            f"{ch['channel']}: {ch['edits']} edits, at most {ch['max_edits_in_60s']} in any 60 s, "
            f"last config shown {ch['converged_after_s']} s after the last change; "
            f"{ch['acks']} acks, button {ch['button']!r}"
        )
    print(
        f"{result['config_changes']} config changes and {result['taps']} taps in {result['seconds']} s; "
        f"taps answered p50 {result['tap_p50_ms']} ms, p99 {result['tap_p99_ms']} ms; "
        f"429s from the simulator: {result['sim_429s']}; every counter showed its last number "
        f"{result['counter_settled_after_s']} s after the load stopped"
    )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
