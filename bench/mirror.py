"""The mirror's pace: posts per second copied to a destination, against that destination's limit.

    python -m bench.mirror [--posts 40] [--limit-per-min 20]

A Bot API simulator stands in for the destination (Bale), enforcing --limit-per-min messages a
minute to one channel (Telegram's figure for a channel is 20; Bale and Soroush+ publish none) and
answering 429 with the wait above it. :class:`kooch.across.mirror.Mirror` sends --posts text posts
taken at once, from a real SQLite store, in three runs:

1. ``paced`` — ``mirror.per_minute`` set to the limit: bounded by the limit (posts/s ≈ limit/60),
   no 429 expected after the window's first burst.
2. ``over`` — ``per_minute`` three times the limit: the destination's 429s pace it instead; each
   is waited out (``retry_after``) and the same post sent again: bounded by the limit too, with
   the 429s counted.
3. ``ceiling`` — no limit at the destination, ``per_minute`` 6,000 (its maximum): what one sender does on its
   own (a claim commit, the HTTP call, a commit), bounded by the machine.

The destination's limit is a sliding window: it takes ``limit`` posts at once, then one per
``60 / limit`` s, so P posts need at least (P − limit) × 60 / limit s there (``over``); the mirror's
own pace sends them (P − 1) × 60 / per_minute s apart (``paced``). One run, ``--posts 40
--limit-per-min 20``, on the shared 2-core machine (README figures, issue 27): paced 40 in 117.7 s
= 0.34 posts/s at a limit of 0.333/s, no 429; over 40 in 79.3 s = 0.50 posts/s (20 at once, then
the limit; one 429 waited out); ceiling 40 in 0.45 s = 88 posts/s (two SQLite commits with fsync
and one loopback call per post).

Each figure is one run on a shared 2-core machine; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from kooch.across.mirror import Mirror
from kooch.across.store import MirrorStore
from kooch.arrivals.client import DestinationClient
from kooch.config import parse_config
from kooch.config.holder import ConfigHolder
from kooch.simulator import BotAPISimulator
from kooch.store import Store

TOKEN_ENV = "BENCH_BALE_TOKEN"


def config_text(folder: Path, api: str, per_minute: float) -> str:
    return yaml.safe_dump(
        {
            "operators": [1],
            "storage": {"sqlite_path": str(folder / "kooch.db")},
            "channels": [{"chat": "@kooch_demo", "key": "demo", "language": "fa"}],
            "services": [
                {
                    "key": "bale",
                    "name": {"en": "Bale"},
                    "url": "https://ble.ir/kooch_bale",
                    "arrivals": {
                        "api": api,
                        "chat": "@kooch_bale",
                        "token_env": TOKEN_ENV,
                        "platform": "bale",
                    },
                }
            ],
            "link_checks": False,
            "mirror": {"until": "30d", "services": ["bale"], "per_minute": per_minute},
        }
    )


async def run(posts: int, limit_per_min: int | None, per_minute: float) -> dict[str, Any]:
    async with BotAPISimulator(token="777000:BENCH", bot_username="kooch_bale_bot") as bale:
        bale.add_channel(username="kooch_bale")
        if limit_per_min is not None:
            bale.set_rate_limits(global_per_s=None, per_chat_per_s=None, per_channel_per_min=limit_per_min)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            path = folder / "config.yaml"
            path.write_text(config_text(folder, bale.url, per_minute), encoding="utf-8")
            holder = ConfigHolder(parse_config(path.read_text(encoding="utf-8"), base_dir=folder), path)
            store = await Store.open(folder / "kooch.db")

            async def no_file(_file_id: str) -> bytes:
                return b""

            async def tell(_words: Any) -> None:
                return None

            async def never(_channel: str) -> float | None:
                return None

            mirror = Mirror(
                holder,
                MirrorStore(store),
                DestinationClient(),
                environ={TOKEN_ENV: bale.token},
                download=no_file,
                tell=tell,
                announced_at=never,
            )
            try:
                for n in range(posts):
                    await mirror.take("demo", n + 1, {"text": f"post {n}"}, edited=False)
                began = time.perf_counter()
                await mirror.start()
                await mirror.wait_done("bale", posts)
                elapsed = time.perf_counter() - began
            finally:
                await mirror.stop()
                await store.close()
        sent = [c for c in bale.calls_of("sendMessage")]
        refused = sum(1 for c in sent if c.error_code == 429)
        copies = len([m for m in bale.messages("@kooch_bale") if m.from_bot])
    return {
        "posts": posts,
        "copies": copies,
        "seconds": round(elapsed, 2),
        "posts_per_s": round(posts / elapsed, 3),
        "limit_per_s": round(limit_per_min / 60, 3) if limit_per_min else None,
        "answered_429": refused,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=40)
    parser.add_argument("--limit-per-min", type=int, default=20)
    args = parser.parse_args()
    limit = args.limit_per_min
    results = {
        "paced": await run(args.posts, limit, limit),
        "over": await run(args.posts, limit, 3 * limit),
        "ceiling": await run(args.posts, None, 6000),
    }
    for name, r in results.items():
        limit_words = f"limit {r['limit_per_s']}/s" if r["limit_per_s"] else "no limit"
        print(
            f"{name:8} {r['copies']}/{r['posts']} copies in {r['seconds']} s: {r['posts_per_s']} posts/s "
            f"({limit_words}; {r['answered_429']} answered 429)"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    asyncio.run(main())
