"""The delivery path end to end: taps STORED per second (and tap-to-answer p99) over real HTTP.

    python -m bench.e2e [--taps 20000] [--seconds 20] [--connections 64]

Every contender runs in its own process, and so does the Bot API simulator
(``python -m kooch.simulator``): the figures say which process bounds them. Each figure counts
taps *stored* (rows in the contender's database) per second of load, never 200s.

1. ``polling_per_s``/``polling_p99_ms``: Kooch long-polling the simulator, ``--taps`` distinct
   users tapping at once; beside ``naive_polling_per_s``: python-telegram-bot's Updater, one
   INSERT + COMMIT per tap, then its answer call. Bounded by Kooch's CPU or the simulator's.
2. ``webhook_per_s``/``webhook_p99_ms``: the simulator delivering the same flood by webhook,
   ``max_connections`` 100, Kooch answering each tap inside its response.
3. ``wrk_per_s``/``wrk_p99_ms``: Debian's ``wrk`` (``--connections``, ``--seconds``) POSTing
   distinct tap updates with the secret straight to Kooch's webhook; beside, under the same load:
   ``bare_per_s`` (aiohttp answering an empty 200: the HTTP ceiling, requests not taps),
   ``naive_webhook_per_s`` (python-telegram-bot's ``run_webhook``, INSERT + COMMIT per tap, its
   own answer call to the simulator as a stub Bot API) and ``aiogram_reply_per_s`` (aiogram 3,
   ``handle_in_background=False``, INSERT + COMMIT per tap, ``answerCallbackQuery`` in the reply).
4. ``p99_ms_at_1000``: tap-to-answer p99 with the simulator delivering by webhook at 1,000 taps/s
   offered for ``--seconds``.

What bounds them: every process shares the machine's cores, so each figure is bounded by the
busiest of the contender, the simulator (which creates, delivers and records every tap) and wrk;
SQLite's fsync (``synchronous=FULL``) bounds the one-commit-per-tap peers. The naive webhook peer
answers 200 before it stores, so its rows lag its 200s: the gap is what a crash would lose.

The last line is one JSON object with every figure. ``--seconds 3 --taps 2000`` checks that it
runs end to end in about a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.extras import require
from kooch.testing.bench import again
from kooch.testing.ports import free_port

ROOT = Path(__file__).resolve().parents[1]

TOKEN = "123456:BENCH"
SECRET = "bench-webhook-secret"
OPERATOR = 4242
ACKS_TABLE = "CREATE TABLE IF NOT EXISTS acks (channel TEXT, user_id INTEGER, PRIMARY KEY (channel, user_id))"

CONFIG = """
operators: [{operator}]
storage: {{sqlite_path: {db}}}
channels: [{{chat: "@kooch_demo", key: demo, language: fa}}]
services: [{{key: soroush, name: {{fa: سروش, en: Soroush}}, url: "https://splus.ir/kooch_demo"}}]
"""
WEB = """web: {{listen: "127.0.0.1:{port}", public_url: "http://127.0.0.1:{port}", webhook: true,
       max_connections: 100}}
"""

#: wrk's script: distinct tap updates (ids from a per-thread range), the secret header, and the
#: request count and latency percentiles as one line at the end.
WRK_LUA = """
local next_thread = 0
function setup(thread)
  thread:set("base", next_thread * 100000000 + 1000)
  next_thread = next_thread + 1
end
local n = 0
-- A tap carries the post it sits under, as Telegram sends it (a short one here).
local post = '"message":{"message_id":1,"date":1700000000,"chat":{"id":-1001,"type":"channel",' ..
  '"title":"Demo","username":"kooch_demo"},"sender_chat":{"id":-1001,"type":"channel","title":"Demo"},' ..
  '"text":"announcement"}'
function request()
  n = n + 1
  local id = base + n
  local body = string.format('{"update_id":%d,"callback_query":{"id":"%d","from":{"id":%d,' ..
    '"is_bot":false,"first_name":"W"},"chat_instance":"1","data":"ack:demo",' .. post .. '}}', id, id, id)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
    ["X-Telegram-Bot-Api-Secret-Token"] = "SECRET"}, body)
end
function done(summary, latency, requests)
  io.write(string.format("WRK %d %d %d %f %f\\n", summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(99) / 1000.0, summary.duration / 1e6))
end
"""


def rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM acks").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not created yet


async def wait_for(what: str, check: Any, timeout: float) -> None:
    """Poll ``check()`` (a benchmark may: nothing here is a test assertion on time)."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(0.02)


# --------------------------------------------------------------------------------- processes


@asynccontextmanager
async def process(*args: str, env: dict[str, str] | None = None) -> AsyncIterator[asyncio.subprocess.Process]:
    proc = await asyncio.create_subprocess_exec(
        *args,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


@asynccontextmanager
async def simulator(deliver: bool) -> AsyncIterator[tuple[str, httpx.AsyncClient, int, int]]:
    """The simulator in its own process: (its URL, a client, the channel, the moved post)."""
    port = free_port()
    args = [sys.executable, "-m", "kooch.simulator", "--port", str(port), "--token", TOKEN]
    args += ["--callback-deadline", "300", "--retry-base", "0.2"]
    if not deliver:
        args.append("--no-webhook-delivery")
    url = f"http://127.0.0.1:{port}"
    async with process(*args) as proc, httpx.AsyncClient(base_url=url, timeout=300) as client:

        async def up() -> bool:
            if proc.returncode is not None:
                raise RuntimeError(f"the simulator exited with {proc.returncode}")
            try:
                return (await client.get("/sim/stats")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_for("the simulator", up, 60)
        channel = (await client.post("/sim/channels", json={"username": "kooch_demo"})).json()["chat_id"]
        buttons = [[{"text": "✅", "callback_data": "ack:demo"}]]
        post = (
            await client.post("/sim/posts", json={"chat_id": channel, "text": "moved", "buttons": buttons})
        ).json()
        yield url, client, int(channel), int(post["message_id"])


async def stats(client: httpx.AsyncClient) -> dict[str, Any]:
    result: dict[str, Any] = (await client.get("/sim/stats")).json()
    return result


def kooch_args(workdir: Path, db: Path, web_port: int | None) -> tuple[list[str], dict[str, str]]:
    config = workdir / "config.yaml"
    text = CONFIG.format(operator=OPERATOR, db=db)
    if web_port is not None:
        text += WEB.format(port=web_port)
    config.write_text(text, encoding="utf-8")
    return [sys.executable, "bot.py", "--config", str(config)], {"KOOCH_LOG_LEVEL": "WARNING"}


def peer_args(kind: str, db: Path, api: str, port: int) -> list[str]:
    return [*again(__spec__, __file__), "--peer", kind, str(db), api, str(port)]


async def flood(
    client: httpx.AsyncClient, channel: int, post: int, db: Path, taps: int, start: Any
) -> dict[str, float]:
    """``taps`` new users tap the post at once; seconds until all are stored, answer p99."""
    async with start:

        async def ready() -> bool:
            s = await stats(client)
            calls = s["calls"]
            return bool(calls.get("getUpdates") or s["webhook"]["url"])

        await wait_for("the bot taking updates", ready, 120)
        began = time.monotonic()
        await client.post("/sim/taps", json={"chat_id": channel, "message_id": post, "count": taps})

        async def stored() -> bool:
            return rows(db) >= taps

        await wait_for(f"{taps} taps stored", stored, 600)
        elapsed = time.monotonic() - began
        s = await stats(client)
    latency = s["answer_latency_seconds"]
    return {
        "per_s": taps / elapsed,
        "p99_ms": float(latency.get("p99", 0.0)) * 1000.0,
        "answered": float(s["callback_queries"]["answered"]),
        "in_reply": float(s["callback_queries"]["answered_by_webhook_reply"]),
    }


async def run_flood(kind: str, taps: int) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix=f"kooch-e2e-{kind}-"))
    db = workdir / "kooch.db"
    try:
        async with simulator(deliver=kind == "webhook") as (url, client, channel, post):
            if kind == "naive_polling":
                start = process(*peer_args("naive-polling", db, url, 0))
            else:
                args, env = kooch_args(workdir, db, free_port() if kind == "webhook" else None)
                env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url, KOOCH_WEBHOOK_SECRET=SECRET)
                start = process(*args, env=env)
            return await flood(client, channel, post, db, taps, start)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def run_at_rate(rate: float, seconds: float) -> dict[str, float]:
    """Kooch by webhook, the simulator offering ``rate`` taps/s for ``seconds``."""
    workdir = Path(tempfile.mkdtemp(prefix="kooch-e2e-rate-"))
    db = workdir / "kooch.db"
    try:
        async with simulator(deliver=True) as (url, client, channel, post):
            args, env = kooch_args(workdir, db, free_port())
            env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url, KOOCH_WEBHOOK_SECRET=SECRET)
            async with process(*args, env=env):

                async def ready() -> bool:
                    return bool((await stats(client))["webhook"]["url"])

                await wait_for("the webhook", ready, 120)
                # 10 taps every 10 ms: Telegram's taps come one by one, not 100 at the same
                # instant, whose last would wait for the 99 before it (what 100 ms slices measured).
                slice_s = 0.01
                per_slice = max(1, round(rate * slice_s))
                began = time.monotonic()
                sent = 0
                while time.monotonic() - began < seconds:
                    body = {"chat_id": channel, "message_id": post, "count": per_slice}
                    await client.post("/sim/taps", json=body)
                    sent += per_slice
                    due = began + (sent / per_slice) * slice_s
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                offered = sent / (time.monotonic() - began)

                async def stored() -> bool:
                    return rows(db) >= sent

                await wait_for("the offered taps stored", stored, 300)
                s = await stats(client)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"offered_per_s": offered, "p99_ms": float(s["answer_latency_seconds"].get("p99", 0.0)) * 1000.0}


async def run_wrk(kind: str, seconds: float, connections: int) -> dict[str, float]:
    """``wrk`` straight at one contender's webhook; taps stored per second of load."""
    workdir = Path(tempfile.mkdtemp(prefix=f"kooch-e2e-wrk-{kind}-"))
    db = workdir / "kooch.db"
    port = free_port()
    script = workdir / "taps.lua"
    script.write_text(WRK_LUA.replace("SECRET", SECRET), encoding="utf-8")
    try:
        # Delivering, so that it accepts http:// webhooks (like a --local server); it has no
        # updates of its own to deliver here: wrk brings them.
        async with simulator(deliver=True) as (url, client, _channel, _post):
            if kind == "kooch":
                args, env = kooch_args(workdir, db, port)
                env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=url, KOOCH_WEBHOOK_SECRET=SECRET)
            else:
                args, env = peer_args(kind, db, url, port), {}
            async with process(*args, env=env), httpx.AsyncClient(timeout=5) as probe:

                async def up() -> bool:
                    try:
                        await probe.get(f"http://127.0.0.1:{port}/")
                    except httpx.TransportError:
                        return False
                    return kind == "bare" or bool((await stats(client))["webhook"]["url"])

                await wait_for(f"{kind} listening", up, 120)
                before = rows(db)
                out = await asyncio.to_thread(
                    subprocess.run,
                    [
                        "wrk",
                        "-t2",
                        f"-c{connections}",
                        f"-d{seconds:g}s",
                        "-s",
                        str(script),
                        f"http://127.0.0.1:{port}/telegram-webhook",
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                stored = rows(db) - before
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("WRK "))
    requests, bad_status, socket_errors, p99_ms, duration = (float(v) for v in line.split()[1:])
    counted = requests if kind == "bare" else stored
    return {
        "per_s": counted / duration,
        "p99_ms": p99_ms,
        "requests_per_s": requests / duration,
        "non_2xx": bad_status,
        "socket_errors": socket_errors,
    }


# --------------------------------------------------------------------------------- the peers


async def insert_tap(db: Any, user_id: int) -> None:
    await db.execute("INSERT OR IGNORE INTO acks VALUES ('demo', ?)", (user_id,))
    await db.commit()


def run_peer(kind: str, db_path: str, api: str, port: int) -> None:
    """One baseline bot, until SIGTERM."""
    if kind == "bare":
        from aiohttp import web

        async def empty(request: web.Request) -> web.Response:
            await request.read()
            return web.Response()

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", empty)
        web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)
        return
    if kind == "aiogram":
        run_aiogram(db_path, api, port)
        return
    run_ptb(kind, db_path, api, port)


def run_ptb(kind: str, db_path: str, api: str, port: int) -> None:
    import aiosqlite
    from telegram import Update
    from telegram.error import TelegramError
    from telegram.ext import Application, CallbackQueryHandler, ContextTypes

    state: dict[str, aiosqlite.Connection] = {}

    async def opened(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        state["db"] = await aiosqlite.connect(db_path)
        await state["db"].execute(ACKS_TABLE)
        await state["db"].commit()

    async def closed(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        await state["db"].close()

    async def tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await insert_tap(state["db"], query.from_user.id)
        # wrk's taps are unknown to the stub Bot API: the call is what is measured.
        with contextlib.suppress(TelegramError):
            await query.answer("ok")

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{api}/bot")
        .post_init(opened)
        .post_shutdown(closed)
        .build()
    )
    app.add_handler(CallbackQueryHandler(tap))
    if kind == "naive-polling":
        app.run_polling(allowed_updates=Update.ALL_TYPES, stop_signals=(signal.SIGTERM,))
    else:
        app.run_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="telegram-webhook",
            secret_token=SECRET,
            webhook_url=f"http://127.0.0.1:{port}/telegram-webhook",
            stop_signals=(signal.SIGTERM,),
        )


def run_aiogram(db_path: str, api: str, port: int) -> None:
    import aiosqlite
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.methods import AnswerCallbackQuery
    from aiogram.types import CallbackQuery
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler
    from aiohttp import web

    session = AiohttpSession(api=TelegramAPIServer.from_base(api))
    bot = Bot(TOKEN, session=session)
    dispatcher = Dispatcher()
    state: dict[str, aiosqlite.Connection] = {}

    @dispatcher.callback_query()
    async def tap(query: CallbackQuery) -> AnswerCallbackQuery:
        await insert_tap(state["db"], query.from_user.id)
        return query.answer("ok")  # returned: aiogram writes it into the webhook reply

    async def opened(app: web.Application) -> None:
        state["db"] = await aiosqlite.connect(db_path)
        await state["db"].execute(ACKS_TABLE)
        await state["db"].commit()
        await bot.set_webhook(f"http://127.0.0.1:{port}/telegram-webhook", secret_token=SECRET)

    async def closed(app: web.Application) -> None:
        await state["db"].close()
        await bot.session.close()

    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, handle_in_background=False, secret_token=SECRET).register(
        app, path="/telegram-webhook"
    )
    app.on_startup.append(opened)
    app.on_cleanup.append(closed)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# --------------------------------------------------------------------------------- main


async def run_all(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {}

    def say(text: str) -> None:
        print(text, flush=True)

    say(f"e2e: {args.taps:,} distinct taps a flood; wrk {args.seconds:g} s, {args.connections} connections")
    polling = await run_flood("polling", args.taps)
    naive_polling = await run_flood("naive_polling", args.taps)
    say(f"  polling        {polling['per_s']:>8,.0f} stored/s  p99 {polling['p99_ms']:>7,.0f} ms")
    say(f"  naive polling  {naive_polling['per_s']:>8,.0f} stored/s  p99 {naive_polling['p99_ms']:>7,.0f} ms")
    webhook = await run_flood("webhook", args.taps)
    say(
        f"  webhook        {webhook['per_s']:>8,.0f} stored/s  p99 {webhook['p99_ms']:>7,.0f} ms"
        f"  ({webhook['in_reply']:,.0f} of {webhook['answered']:,.0f} answers in the reply)"
    )
    wrk: dict[str, dict[str, float]] = {}
    for kind in ("bare", "kooch", "naive-webhook", "aiogram"):
        wrk[kind] = await run_wrk(kind, args.seconds, args.connections)
        r = wrk[kind]
        unit = "requests/s" if kind == "bare" else "stored/s"
        say(
            f"  wrk {kind:<14} {r['per_s']:>8,.0f} {unit}  p99 {r['p99_ms']:>7,.1f} ms"
            f"  ({r['requests_per_s']:,.0f} req/s, {r['non_2xx']:.0f} non-2xx,"
            f" {r['socket_errors']:.0f} socket errors)"
        )
    at_rate = await run_at_rate(1000.0, args.seconds)
    say(f"  webhook at {at_rate['offered_per_s']:,.0f} taps/s offered: p99 {at_rate['p99_ms']:,.0f} ms")
    figures.update(
        polling_per_s=round(polling["per_s"]),
        polling_p99_ms=round(polling["p99_ms"], 1),
        naive_polling_per_s=round(naive_polling["per_s"]),
        webhook_per_s=round(webhook["per_s"]),
        webhook_p99_ms=round(webhook["p99_ms"], 1),
        webhook_answers_in_reply=int(webhook["in_reply"]),
        wrk_per_s=round(wrk["kooch"]["per_s"]),
        wrk_p99_ms=round(wrk["kooch"]["p99_ms"], 1),
        bare_per_s=round(wrk["bare"]["per_s"]),
        naive_webhook_per_s=round(wrk["naive-webhook"]["per_s"]),
        aiogram_reply_per_s=round(wrk["aiogram"]["per_s"]),
        p99_ms_at_1000=round(at_rate["p99_ms"], 1),
        # What the bench's own offering loop reached (it is bounded by the simulator's CPU).
        offered_per_s_at_1000=round(at_rate["offered_per_s"]),
        polling_vs_naive=round(polling["per_s"] / max(naive_polling["per_s"], 1e-9), 2),
        wrk_vs_aiogram=round(wrk["kooch"]["per_s"] / max(wrk["aiogram"]["per_s"], 1e-9), 2),
        wrk_vs_naive=round(wrk["kooch"]["per_s"] / max(wrk["naive-webhook"]["per_s"], 1e-9), 2),
        wrk_fraction_of_bare=round(wrk["kooch"]["per_s"] / max(wrk["bare"]["per_s"], 1e-9), 3),
        taps=args.taps,
        seconds=args.seconds,
        connections=args.connections,
        cores=os.cpu_count(),
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--taps", type=int, default=20_000, help="distinct taps per flood (polling, webhook)")
    parser.add_argument("--seconds", type=float, default=20.0, help="wrk's duration, and the 1,000/s run's")
    parser.add_argument("--connections", type=int, default=64, help="wrk's connections")
    parser.add_argument("--peer", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.peer:
        kind, db, api, port = args.peer
        run_peer(kind, db, api, int(port))
        return
    if shutil.which("wrk") is None:
        sys.exit("bench/e2e.py needs wrk: apt-get install wrk")
    # Its peers: aiogram, and python-telegram-bot's run_webhook (tornado).
    require("bench/e2e.py", "aiogram", "tornado")
    print(json.dumps(asyncio.run(run_all(args))))


if __name__ == "__main__":
    main()
