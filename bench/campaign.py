"""Reminder campaign throughput: how close Kooch keeps to Telegram's limit, and where it tops out.

    python -m bench.campaign [--recipients 10000] [--limit 30] [--rate 29] [--paid-limit 1000]

The real bot (``running_bot``) runs against the Bot API simulator over loopback HTTP; an operator
sends /remind and confirms, exactly as in production. Two runs, each with a fresh database:

1. limited: the simulator enforces ``--limit`` messages/s overall and 1/s per chat (Telegram's
   real limits); the campaign is configured at ``--rate`` (``campaigns.rate_per_s``). Reported:
   the sustained rate (recipients / time from first to last send), its fraction of the limit, and
   the 429s the simulator answered to campaign sends.
2. paid broadcast: the simulator's overall limit raised to ``--paid-limit`` (1,000/s), the campaign
   configured at that rate, once with ``in_flight: 1`` (the default: at most one duplicate after a
   crash) and once with ``--in-flight`` concurrent sends, to show where Kooch itself tops out.

10,000 recipients at 30/s take 5.5 minutes: ``--recipients`` shortens the run (the output says
what was run). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

OPERATOR_ID = 4242
TEXT = "Reminder: we have moved. Join us on Soroush."


async def one_run(recipients: int, sim_limit: float, rate: float, in_flight: int) -> dict[str, Any]:
    import yaml

    from bot import running_bot
    from kooch.app.settings import Settings
    from kooch.simulator import BotAPISimulator
    from kooch.store import Store
    from kooch.store.db import Database

    with tempfile.TemporaryDirectory(prefix="kooch-bench-campaign-") as tmp:
        folder = Path(tmp)
        config = {
            "operators": [OPERATOR_ID],
            "storage": {"sqlite_path": str(folder / "kooch.db")},
            "channels": [{"chat": "@kooch_demo", "key": "demo", "language": "en"}],
            "services": [{"key": "soroush", "name": "Soroush", "url": "https://splus.ir/kooch_demo"}],
            "campaigns": {"rate_per_s": rate, "in_flight": in_flight},
        }
        path = folder / "config.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        async with BotAPISimulator() as sim:
            operator = sim.add_user("Operator", "en", user_id=OPERATOR_ID)
            sim.add_channel(username="kooch_demo")
            users = [sim.add_user(f"U{i}", "en", started=True) for i in range(recipients)]
            store = await Store.open(folder / "kooch.db")

            async def seed(conn: Database) -> None:
                await conn.executemany(
                    "INSERT INTO subscribers (user_id, language, started_at, last_seen_at)"
                    " VALUES (?, 'en', 0, 0)",
                    [(u.id,) for u in users],
                )

            await store.write(seed)
            await store.close()
            sim.set_rate_limits(global_per_s=sim_limit, per_chat_per_s=1)
            async with running_bot(Settings(path, sim.token, sim.url, poll_timeout=1, fetch_links=False)):
                sent = await sim.send_text(operator, f"/remind {TEXT}")
                question = await sim.wait_for_message(
                    operator.id,
                    lambda m: any(d.startswith("remind:confirm:") for _, d in m.callback_buttons()),
                    after=sent.message_id,
                    timeout=30,
                )
                data = next(d for _, d in question.callback_buttons() if d.startswith("remind:confirm:"))
                await sim.wait_for_answer(
                    await sim.press_button(operator, operator.id, question.message_id, data), timeout=30
                )
                started = time.monotonic()
                deadline = started + recipients / min(rate, sim_limit) * 3 + 60
                while True:
                    done = sum(
                        1
                        for c in sim.calls
                        if c.ok and c.method == "sendMessage" and c.params.get("chat_id") != OPERATOR_ID
                    )
                    if done >= recipients or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.5)
            calls = [
                c for c in sim.calls if c.method == "sendMessage" and c.params.get("chat_id") != OPERATOR_ID
            ]
    ok = [c for c in calls if c.ok]
    throttled = sum(1 for c in calls if c.error_code == 429)
    span = ok[-1].at - ok[0].at if len(ok) > 1 else float("nan")
    delivered = len({c.params.get("chat_id") for c in ok})
    return {
        "recipients": recipients,
        "delivered": delivered,
        "duplicates": len(ok) - delivered,
        "throttled": throttled,
        "seconds": round(span, 2),
        "per_s": round((len(ok) - 1) / span, 2) if span == span and span > 0 else 0.0,
    }


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--limit", type=float, default=30.0, help="the simulator's overall limit (msg/s)")
    parser.add_argument("--rate", type=float, default=29.0, help="campaigns.rate_per_s for the limited run")
    parser.add_argument("--paid-limit", type=float, default=1000.0)
    parser.add_argument("--paid-recipients", type=int, default=None, help="default: --recipients")
    parser.add_argument("--in-flight", type=int, default=8, help="concurrent sends for the last run")
    args = parser.parse_args()
    paid_n = args.paid_recipients or args.recipients

    print(
        f"limited run: {args.recipients:,} recipients, simulator limit {args.limit:g}/s, "
        f"campaign rate {args.rate:g}/s"
    )
    limited = await one_run(args.recipients, args.limit, args.rate, 1)
    fraction = limited["per_s"] / args.limit
    print(
        f"  sustained {limited['per_s']:.2f}/s = {fraction:.3f} of the limit; 429s: {limited['throttled']}; "
        f"delivered {limited['delivered']:,}, duplicates {limited['duplicates']} in {limited['seconds']} s"
    )
    print(f"paid broadcast: {paid_n:,} recipients, simulator limit {args.paid_limit:g}/s, in_flight 1")
    paid = await one_run(paid_n, args.paid_limit, args.paid_limit, 1)
    print(
        f"  {paid['per_s']:.1f}/s; 429s: {paid['throttled']}; "
        f"delivered {paid['delivered']:,} in {paid['seconds']} s"
    )
    print(f"paid broadcast: {paid_n:,} recipients, in_flight {args.in_flight}")
    wide = await one_run(paid_n, args.paid_limit, args.paid_limit, args.in_flight)
    print(
        f"  {wide['per_s']:.1f}/s; 429s: {wide['throttled']}; "
        f"delivered {wide['delivered']:,} in {wide['seconds']} s"
    )
    result = {
        "recipients": args.recipients,
        "limit_per_s": args.limit,
        "rate_per_s": args.rate,
        "sustained_per_s": limited["per_s"],
        "fraction_of_limit": round(fraction, 3),
        "throttled": limited["throttled"],
        "duplicates": limited["duplicates"] + paid["duplicates"] + wide["duplicates"],
        "paid_limit_per_s": args.paid_limit,
        "paid_recipients": paid_n,
        "unlimited_per_s": paid["per_s"],
        "unlimited_throttled": paid["throttled"],
        "unlimited_in_flight": args.in_flight,
        f"unlimited_in_flight_{args.in_flight}_per_s": wide["per_s"],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
