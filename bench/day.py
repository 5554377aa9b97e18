"""The day a channel posts its final announcement: a profile, not a flood, against the simulator.

    python -m bench.day [--seconds 60] [--modes webhook,polling]
    python -m bench.day --seconds 10     # the quick form: about a minute

Kooch runs in a process of its own, and so does the Bot API simulator (``python -m
kooch.simulator``, Telegram's flood control switched on: 30 messages a second in all, one a
second per chat, 429 above) and the landing-page loader; this process only paces the rest through
the simulator's control API (bench/e2e.py's helpers). For ``--seconds`` and per delivery mode
(Kooch long-polling, or the simulator calling Kooch's webhook, ``max_connections`` 100), all at once:

- **taps** on the final post's "I've moved" button, rising linearly from 0 to ``--tap-rate``
  (1,000/s), with two bursts of ``--burst-rate`` (3,000/s) at 1/3 and 2/3 of the run, each
  ``--burst-seconds`` long (5 s; at most a sixth of the run); ``--repeat-share`` (10 %) of them
  are users tapping again;
- **/start** from ``--start-rate`` (200/s) new subscribers in their private chats: each is
  answered with a message, at most 30 a second for the whole bot, so most replies are still
  queued when the run ends (counted as queued, not dropped: Kooch keeps them and sends them at
  Telegram's pace);
- **operators**: ``--operators`` (5) each sending /stats, /status, /links or /help in turn, one
  every ``--operator-every`` (2) seconds: their latency is what matters most (Kooch's operator
  lane sends theirs ahead of the crowd's);
- **landing-page loads**: ``--page-rate`` (300/s) GETs of the channel's page (``/demo``) on
  Kooch's web server, from a separate process (aiohttp), the same server that takes the webhook.

Per class: p50/p99/max latency, from the moment the simulator made the update available (or
the loader sent the request) to the answer (answerCallbackQuery, the first sendMessage or
sendPhoto in the chat, the HTTP response). ``answered``: taps and operators' commands by the end
of the drain (``--drain-seconds`` at most, polled once a second, until every tap is answered or
expired and every tapper, starter and operator stored or answered), /start replies by the end of
the load (the drain does not wait for them: Telegram's 30 a second). ``stored``: ``acks`` and
``subscribers`` rows (a /start is stored when handled, which waits for its reply's sending
slot; until then it is spooled in the ``inbox``, durably: ``starts_spooled``). ``queued``: not
answered yet (a /start reply waiting for a sending slot, a tap still at Telegram or in Kooch).
``dropped`` must be 0: a tapper none of whose taps was stored, a /start neither stored nor
spooled, a page load that failed; beside, ``expired``: updates the simulator gave up delivering
by webhook (as Telegram does after ~150 s). Any of those is printed loudly.
The last line is one JSON object with every figure.

What bounds the figures: every process shares the machine's cores (2 on the reference machine,
shared with other work), so a figure is bounded by the busiest of Kooch, the simulator (which
creates, delivers and records every update, and is the one near saturation during the bursts:
``offered`` says what it reached) and the loader; ``cpu_s`` per process says who was busy.
Telegram's 30 messages a second bounds the /start replies (``starts_replied_per_s``). The tap
latency includes the simulator's own queueing: it is the time a user's button spins.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench.e2e import CONFIG, SECRET, TOKEN, WEB, process, simulator, stats, wait_for
from kooch.testing.bench import again
from kooch.testing.ports import free_port

ROOT = Path(__file__).resolve().parents[1]

#: The commands operators send, in turn.
OPERATOR_COMMANDS = ("/stats", "/status", "/links", "/help")
#: How often the pacing loop offers the next slice of load.
TICK_S = 0.1
#: The classes, in the order of the table.
CLASSES = ("operators", "taps", "starts", "pages")


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50/p99/max in milliseconds (None when nothing was answered)."""
    if not values:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000.0, 1)

    return {"p50_ms": at(0.50), "p99_ms": at(0.99), "max_ms": round(ordered[-1] * 1000.0, 1)}


def count_rows(db: Path, table: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not created yet


#: Who started the bot, held durably: a subscriber row, or a /start waiting in the intake's spool
#: (``inbox``) to be handled when a reply slot frees (Telegram's 30 a second paces that).
STARTERS_HELD = """
SELECT COUNT(*) FROM (
    SELECT user_id FROM subscribers
    UNION
    SELECT json_extract(body, '$.message.from.id') FROM inbox
    WHERE json_extract(body, '$.message.text') = '/start'
)
"""


def starters_held(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute(STARTERS_HELD).fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not created yet


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of a process (and its reaped children), from /proc."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(v) for v in fields[11:15]) / ticks


def simulator_pid(url: str) -> int | None:
    """The simulator process this bench started (its command line names its port)."""
    port = url.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"kooch.simulator" in args and port.encode() in args:
            return int(entry.name)
    return None


def tap_rate(t: float, args: argparse.Namespace) -> float:
    """Taps per second offered ``t`` seconds into the run."""
    seconds = float(args.seconds)
    burst = min(float(args.burst_seconds), seconds / 6)
    for start in (seconds / 3, 2 * seconds / 3):
        if start <= t < start + burst:
            return float(args.burst_rate)
    return float(args.tap_rate) * t / seconds


def config_text(operators: list[int], db: Path, web_port: int, webhook: bool) -> str:
    text = CONFIG.format(operator=", ".join(str(o) for o in operators), db=db)
    web = WEB.format(port=web_port)
    if not webhook:
        web = web.replace("webhook: true", "webhook: false")
    return text + web + "link_checks: false\n"


# --------------------------------------------------------------------------------- the page loader


async def load_pages(url: str, rate: float, seconds: float, out: Path) -> None:
    """The child: GET ``url`` at ``rate``/s for ``seconds``; latencies and failures to ``out``."""
    import aiohttp

    latencies: list[float] = []
    failures: dict[str, int] = {}
    behind = 0.0

    async def one() -> None:
        sent = time.monotonic()
        try:
            async with session.get(url) as response:
                await response.read()
                if response.status != 200:
                    failures[str(response.status)] = failures.get(str(response.status), 0) + 1
                    return
        except (aiohttp.ClientError, TimeoutError) as exc:
            failures[exc.__class__.__name__] = failures.get(exc.__class__.__name__, 0) + 1
            return
        latencies.append(time.monotonic() - sent)

    connector = aiohttp.TCPConnector(limit=200)
    timeout = aiohttp.ClientTimeout(total=60)
    tasks: set[asyncio.Task[None]] = set()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        began = time.monotonic()
        offered = 0
        while (now := time.monotonic()) - began < seconds:
            due = int((now - began) * rate) + 1
            behind = max(behind, (due - 1 - offered) / rate)
            while offered < due:
                task = asyncio.create_task(one())
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                offered += 1
            await asyncio.sleep(max(0.0, began + offered / rate - time.monotonic()))
        elapsed = time.monotonic() - began
        if tasks:
            await asyncio.wait(tasks)
    result = {
        "offered": offered,
        "offered_per_s": offered / elapsed,
        "latencies": latencies,
        "failures": failures,
        "behind_s": behind,
    }
    await asyncio.to_thread(out.write_text, json.dumps(result), encoding="utf-8")


# --------------------------------------------------------------------------------- one mode


async def drain(
    client: httpx.AsyncClient, db: Path, operators: list[int], distinct: int, starters: int, limit: float
) -> float | None:
    """After the load: seconds until the taps are settled (every one answered or expired at the
    simulator, or every tapper stored and nothing left to fetch: an answer later than the
    simulator's callback deadline is refused), every operator answered and every starter stored
    or spooled; None if that did not happen within ``limit`` seconds or nothing moved for a
    minute. Polled once a second: /sim/stats and /sim/replies walk every record, and polling them
    faster would load the simulator."""
    began = time.monotonic()
    last: tuple[int, ...] = ()
    moved_at = began
    while (now := time.monotonic()) - began < limit:
        s = await stats(client)
        queries = s["callback_queries"]
        expired = int(s["webhook"]["statuses"].get("expired", 0))
        acks, subscribers = count_rows(db, "acks"), starters_held(db)
        state = (queries["answered"], expired, s["queued_for_get_updates"], acks, subscribers)
        if state != last:
            last, moved_at = state, now
        elif now - moved_at > 60:
            return None  # stalled
        # Kooch answers a tap once it is stored: answered or expired, the rows are final.
        settled = queries["answered"] + expired >= queries["created"]
        stored = acks >= distinct and s["queued_for_get_updates"] == 0
        if (settled or stored) and subscribers >= starters:
            replies = (await client.get("/sim/replies")).json()["replies"]
            if all(r[2] is not None for r in replies if r[0] in operators):
                return now - began
        await asyncio.sleep(1.0)
    return None


class Pacer:
    """This process's share of the load: taps, /start and operators' commands, a slice a tick,
    each slice one control-API request sent without waiting for the previous ones."""

    def __init__(self, client: httpx.AsyncClient, channel: int, post: int, args: argparse.Namespace) -> None:
        self.client = client
        self.channel = channel
        self.post = post
        self.args = args
        self.tappers: list[int] = []
        self.starters: list[int] = []
        self.taps = 0
        self.repeat_taps = 0
        self.operator_asks = 0
        self.pending: set[asyncio.Task[None]] = set()
        self.failed: list[str] = []
        self.random = random.Random(22)

    def spawn(self, request: Callable[[], Awaitable[None]]) -> None:
        async def guarded() -> None:
            try:
                await request()
            except httpx.HTTPError as exc:
                self.failed.append(f"{exc.__class__.__name__}: {exc}")

        task = asyncio.create_task(guarded())
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    def tap(self, count: int) -> None:
        repeats = min(len(self.tappers), round(count * self.args.repeat_share))
        new = count - repeats
        if new:

            async def new_taps() -> None:
                body = {"chat_id": self.channel, "message_id": self.post, "count": new}
                answer = (await self.client.post("/sim/taps", json=body)).json()
                self.tappers.extend(answer["user_ids"])

            self.spawn(new_taps)
        if repeats:
            again = self.random.sample(self.tappers, repeats)

            async def repeat_taps() -> None:
                body = {"chat_id": self.channel, "message_id": self.post, "user_ids": again}
                await self.client.post("/sim/taps", json=body)

            self.spawn(repeat_taps)
        self.taps += count
        self.repeat_taps += repeats

    def start(self, count: int) -> None:
        async def starts() -> None:
            answer = (await self.client.post("/sim/messages", json={"text": "/start", "count": count})).json()
            self.starters.extend(answer["user_ids"])

        self.spawn(starts)

    def ask(self, operator: int, command: str) -> None:
        async def asks() -> None:
            await self.client.post("/sim/messages", json={"text": command, "user_ids": [operator]})

        self.spawn(asks)
        self.operator_asks += 1

    async def run(self, operators: list[int]) -> float:
        """Offer the load for ``--seconds``; the seconds it took."""
        args = self.args
        began = time.monotonic()
        taps_due = 0.0
        starts_due = 0.0
        # Operator k asks first at k/N of the interval, then every interval.
        every = args.operator_every
        next_ask = [every * k / max(1, len(operators)) for k in range(len(operators))]
        asked = [0] * len(operators)
        tick = 0
        while (t := time.monotonic() - began) < args.seconds:
            taps_due += tap_rate(t, args) * TICK_S
            if (n := int(taps_due)) > 0:
                self.tap(n)
                taps_due -= n
            starts_due += args.start_rate * TICK_S
            if (n := int(starts_due)) > 0:
                self.start(n)
                starts_due -= n
            for k, operator in enumerate(operators):
                if t >= next_ask[k]:
                    self.ask(operator, OPERATOR_COMMANDS[asked[k] % len(OPERATOR_COMMANDS)])
                    asked[k] += 1
                    next_ask[k] += every
            tick += 1
            await asyncio.sleep(max(0.0, began + tick * TICK_S - time.monotonic()))
        elapsed = time.monotonic() - began
        if self.pending:
            await asyncio.wait(set(self.pending))
        return elapsed


async def run_mode(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"kooch-day-{mode}-"))
    db = workdir / "kooch.db"
    web_port = free_port()
    pages_out = workdir / "pages.json"
    try:
        async with simulator(deliver=mode == "webhook") as (url, client, channel, post):
            made = await client.post("/sim/users", json={"count": args.operators, "language_code": "fa"})
            operators = [int(o) for o in made.json()["user_ids"]]
            await client.post("/sim/rate-limits", json={})  # Telegram's: 30/s in all, 1/s per chat
            config = workdir / "config.yaml"
            config.write_text(config_text(operators, db, web_port, mode == "webhook"), encoding="utf-8")
            env = {
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": url,
                "KOOCH_WEBHOOK_SECRET": SECRET,
                "KOOCH_LOG_LEVEL": "WARNING",
            }
            page_url = f"http://127.0.0.1:{web_port}/demo"
            async with (
                process(sys.executable, "bot.py", "--config", str(config), env=env) as kooch,
                httpx.AsyncClient(timeout=5) as probe,
            ):

                async def ready() -> bool:
                    try:
                        page = await probe.get(page_url)
                    except httpx.TransportError:
                        return False
                    s = await stats(client)
                    taking = (
                        bool(s["webhook"]["url"]) if mode == "webhook" else bool(s["calls"].get("getUpdates"))
                    )
                    return page.status_code == 200 and taking

                await wait_for("Kooch serving and taking updates", ready, 120)
                sim_pid = simulator_pid(url)
                cpu_before = {"kooch": cpu_seconds(kooch.pid), "simulator": cpu_seconds(sim_pid)}
                pacer = Pacer(client, channel, post, args)
                loader_args = ["--pages", page_url, str(args.page_rate), str(args.seconds), str(pages_out)]
                async with process(*again(__spec__, __file__), *loader_args) as loader:
                    elapsed = await pacer.run(operators)
                    await loader.wait()
                cpu_after = {"kooch": cpu_seconds(kooch.pid), "simulator": cpu_seconds(sim_pid)}
                load_average = os.getloadavg()[0]
                replies_at_end = (await client.get("/sim/replies")).json()["replies"]
                distinct = len(set(pacer.tappers))
                starters = len(pacer.starters)

                drain_s = await drain(client, db, operators, distinct, starters, args.drain_seconds)
                cpu_drained = {"kooch": cpu_seconds(kooch.pid), "simulator": cpu_seconds(sim_pid)}
                s = await stats(client)
                replies = (await client.get("/sim/replies")).json()["replies"]
                acks = count_rows(db, "acks")
                subscribers = count_rows(db, "subscribers")
                held = starters_held(db)
                metrics = (await probe.get(f"http://127.0.0.1:{web_port}/metrics")).text
                # Killed, not stopped: sending the /start replies still queued, at 30 a second, is
                # what a graceful stop would wait for (and they are spooled: nothing measured is lost).
                kooch.kill()
                await kooch.wait()
    finally:
        pages = json.loads(pages_out.read_text(encoding="utf-8")) if pages_out.exists() else None
        shutil.rmtree(workdir, ignore_errors=True)
    if pages is None:
        raise RuntimeError("the page loader wrote no result")
    return summarize(
        mode,
        args,
        pacer,
        elapsed,
        s,
        replies,
        replies_at_end,
        operators,
        acks,
        (subscribers, held),
        pages,
        drain_s,
        (cpu_before, cpu_after, cpu_drained),
        load_average,
        metrics,
    )


def summarize(
    mode: str,
    args: argparse.Namespace,
    pacer: Pacer,
    elapsed: float,
    s: dict[str, Any],
    replies: list[list[Any]],
    replies_at_end: list[list[Any]],
    operators: list[int],
    acks: int,
    starts_stored: tuple[int, int],
    pages: dict[str, Any],
    drain_s: float | None,
    cpu_marks: tuple[dict[str, float | None], ...],
    load_average: float,
    metrics: str,
) -> dict[str, Any]:
    ops = set(operators)
    queries = s["callback_queries"]
    tap_latency = s["answer_latency_seconds"]
    distinct = len(set(pacer.tappers))
    taps_unanswered = queries["created"] - queries["answered"]
    op_seconds = [r[2] for r in replies if r[0] in ops and r[2] is not None]
    op_asked = sum(1 for r in replies if r[0] in ops)
    # /start replies as they stood when the load ended (the drain does not wait for them).
    start_seconds = [r[2] for r in replies_at_end if r[0] not in ops and r[2] is not None]
    starts_at_end = len(start_seconds)
    starters = len(pacer.starters)
    subscribers, held = starts_stored
    page_failures = sum(pages["failures"].values())
    errors = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("kooch_errors_total")
    )

    def spent(before: dict[str, float | None], after: dict[str, float | None]) -> dict[str, float | None]:
        return {
            name: None if was is None or (now := after[name]) is None else now - was
            for name, was in before.items()
        }

    cpu_before, cpu_after, cpu_drained = cpu_marks
    expired = int(s["webhook"]["statuses"].get("expired", 0))
    tap_ms = {
        "p50_ms": round(tap_latency["p50"] * 1000, 1) if tap_latency["count"] else None,
        "p99_ms": round(tap_latency["p99"] * 1000, 1) if tap_latency["count"] else None,
        "max_ms": round(tap_latency["max"] * 1000, 1) if tap_latency["count"] else None,
    }
    classes: dict[str, dict[str, Any]] = {
        "operators": {
            "offered": op_asked,
            "offered_per_s": op_asked / elapsed,
            "answered": len(op_seconds),
            "stored": None,
            # Not answered when the drain ended: still waiting, at the simulator or in Kooch.
            "queued": op_asked - len(op_seconds),
            "dropped": 0,
            **percentiles(op_seconds),
        },
        "taps": {
            "offered": queries["created"],
            "offered_per_s": queries["created"] / elapsed,
            "answered": queries["answered"],
            "stored": acks,
            # Not answered when the drain ended (expired at Telegram, answered too late, or waiting).
            "queued": taps_unanswered,
            # Tappers none of whose taps was stored (a repeat is stored once).
            "dropped": max(0, distinct - acks),
            **tap_ms,
        },
        "starts": {
            "offered": starters,
            "offered_per_s": starters / elapsed,
            "answered": starts_at_end,
            "stored": subscribers,
            "queued": starters - len(start_seconds),
            # Neither a subscriber row nor spooled in the inbox.
            "dropped": max(0, starters - held),
            **percentiles(start_seconds),
        },
        "pages": {
            "offered": pages["offered"],
            "offered_per_s": pages["offered_per_s"],
            "answered": len(pages["latencies"]),
            "stored": None,
            "queued": 0,
            "dropped": page_failures,
            **percentiles(pages["latencies"]),
        },
    }
    return {
        "mode": mode,
        "seconds": elapsed,
        "classes": classes,
        "distinct_tappers": distinct,
        "repeat_taps": pacer.repeat_taps,
        "starts_replied_per_s": starts_at_end / elapsed,
        "starts_spooled": held - subscribers,
        "throttled": s["throttled"],
        "answers_in_webhook_reply": queries["answered_by_webhook_reply"],
        # Updates the simulator gave up delivering by webhook, as Telegram does after ~150 s.
        "expired": expired,
        "drain_s": drain_s,
        "cpu_s": spent(cpu_before, cpu_after),
        "cpu_s_with_drain": spent(cpu_before, cpu_drained),
        "load_average": load_average,
        "page_failures": pages["failures"],
        "page_loader_behind_s": pages["behind_s"],
        "kooch_errors": errors,
        "control_failures": pacer.failed,
    }


# --------------------------------------------------------------------------------- output


def table(r: dict[str, Any]) -> str:
    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"

    def n(v: int | None) -> str:
        return "-" if v is None else f"{v:,}"

    lines = [
        f"{r['mode']}: {r['seconds']:.1f} s of load; "
        f"{r['distinct_tappers']:,} distinct tappers + {r['repeat_taps']:,} repeat taps",
        f"  {'class':<10}{'offered':>9}{'/s':>7}{'answered':>10}{'stored':>9}{'queued':>8}{'dropped':>9}"
        f"{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}",
    ]
    for name in CLASSES:
        c = r["classes"][name]
        lines.append(
            f"  {name:<10}{c['offered']:>9,}{c['offered_per_s']:>7,.0f}{c['answered']:>10,}"
            f"{n(c['stored']):>9}{n(c['queued']):>8}{c['dropped']:>9,}{ms(c['p50_ms']):>9}{ms(c['p99_ms']):>9}{ms(c['max_ms']):>9}"
        )

    def cpu(spent: dict[str, float | None]) -> str:
        return ", ".join(f"{k} {'?' if v is None else f'{v:.1f}'} s" for k, v in spent.items())

    drain = "not within the drain" if r["drain_s"] is None else f"{r['drain_s']:.1f} s"
    lines.append(
        f"  /start replies {r['starts_replied_per_s']:.1f}/s (Telegram allows ~30/s), "
        f"{r['starts_spooled']:,} /start spooled (inbox) waiting to be handled; "
        f"429s {r['throttled']:,}; "
        f"taps answered in the webhook reply {r['answers_in_webhook_reply']:,}; drain {drain}; "
        f"CPU during the load: {cpu(r['cpu_s'])}, with the drain: {cpu(r['cpu_s_with_drain'])}; "
        f"load average {r['load_average']:.1f}; "
        f"page loader at most {r['page_loader_behind_s'] * 1000:.0f} ms behind; "
        f"kooch_errors_total {r['kooch_errors']:.0f}"
    )
    if r["page_failures"]:
        lines.append(f"  page failures: {r['page_failures']}")
    if r["control_failures"]:
        lines.append(
            f"  control API failures: {len(r['control_failures'])}, first: {r['control_failures'][0]}"
        )
    dropped = {name: r["classes"][name]["dropped"] for name in CLASSES if r["classes"][name]["dropped"]}
    if dropped:
        lines.append(f"  !!! DROPPED (must be 0): {dropped} !!!")
    if r["expired"]:
        lines.append(
            f"  !!! {r['expired']:,} updates EXPIRED undelivered at the simulator (Telegram's ~150 s) !!!"
        )
    waiting = {
        name: r["classes"][name]["queued"] for name in ("operators", "taps") if r["classes"][name]["queued"]
    }
    if waiting:
        lines.append(f"  !!! not answered when the drain ended: {waiting} !!!")
    if r["drain_s"] is None:
        lines.append("  !!! the drain did not finish: stored and dropped are not final !!!")
    return "\n".join(lines)


def flat(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for mode, r in results.items():
        for name in CLASSES:
            for field, value in r["classes"][name].items():
                key = f"{mode}_{name}_{field}"
                figures[key] = round(value, 1) if isinstance(value, float) else value
        figures[f"{mode}_starts_replied_per_s"] = round(r["starts_replied_per_s"], 1)
        figures[f"{mode}_starts_spooled"] = r["starts_spooled"]
        figures[f"{mode}_throttled"] = r["throttled"]
        figures[f"{mode}_expired"] = r["expired"]
        figures[f"{mode}_drain_s"] = None if r["drain_s"] is None else round(r["drain_s"], 1)
        for name, value in r["cpu_s"].items():
            figures[f"{mode}_cpu_s_{name}"] = None if value is None else round(value, 1)
        for name, value in r["cpu_s_with_drain"].items():
            figures[f"{mode}_cpu_s_with_drain_{name}"] = None if value is None else round(value, 1)
        figures[f"{mode}_load_average"] = round(r["load_average"], 1)
        figures[f"{mode}_kooch_errors"] = r["kooch_errors"]
    figures["dropped"] = sum(r["classes"][name]["dropped"] for r in results.values() for name in CLASSES)
    figures.update(
        seconds=args.seconds,
        tap_rate=args.tap_rate,
        burst_rate=args.burst_rate,
        start_rate=args.start_rate,
        page_rate=args.page_rate,
        operators=args.operators,
        cores=os.cpu_count(),
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of load per mode")
    parser.add_argument("--modes", default="webhook,polling", help="delivery modes, comma-separated")
    parser.add_argument(
        "--tap-rate", type=float, default=1000.0, help="taps/s reached at the end of the rise"
    )
    parser.add_argument("--burst-rate", type=float, default=3000.0, help="taps/s during the two bursts")
    parser.add_argument(
        "--burst-seconds", type=float, default=5.0, help="each burst's length (≤ a sixth of the run)"
    )
    parser.add_argument(
        "--repeat-share", type=float, default=0.1, help="share of taps that are users tapping again"
    )
    parser.add_argument(
        "--start-rate", type=float, default=200.0, help="/start per second from new subscribers"
    )
    parser.add_argument("--operators", type=int, default=5, help="operators sending commands")
    parser.add_argument(
        "--operator-every", type=float, default=2.0, help="seconds between one operator's commands"
    )
    parser.add_argument("--page-rate", type=float, default=300.0, help="landing-page loads per second")
    parser.add_argument(
        "--drain-seconds", type=float, default=900.0, help="at most, after the load, to wait for answers"
    )
    parser.add_argument("--pages", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pages:
        url, rate, seconds, out = args.pages
        asyncio.run(load_pages(url, float(rate), float(seconds), Path(out)))
        return
    modes = [m for m in args.modes.split(",") if m]
    if unknown := set(modes) - {"webhook", "polling"}:
        sys.exit(f"--modes: unknown {', '.join(sorted(unknown))} (webhook, polling)")
    print(
        f"the final post's day, {args.seconds:g} s per mode: taps rising to {args.tap_rate:,.0f}/s with "
        f"bursts of {args.burst_rate:,.0f}/s, {args.start_rate:,.0f} /start/s, {args.operators} operators "
        f"every {args.operator_every:g} s, {args.page_rate:,.0f} page loads/s; Telegram's limits on",
        flush=True,
    )
    results: dict[str, dict[str, Any]] = {}
    for mode in modes:
        results[mode] = asyncio.run(run_mode(mode, args))
        print(table(results[mode]), flush=True)
    figures = flat(results, args)
    if figures["dropped"]:
        print(f"!!! {figures['dropped']} DROPPED in all: must be 0 !!!", flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
