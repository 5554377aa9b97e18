"""``bot.py rehearse``: the whole migration, offline, in seconds.

Starts the Bot API simulator on loopback, runs the real bot against it over HTTP (the same
python-telegram-bot client as live), and plays the day: the operator posts the announcement with
/announce and confirms, N subscribers arrive (some start the bot, a share tap "I've moved", some
tap twice), and the operator asks /stats. It prints what the operator would read, writes the
/stats chart the operator would see (a Persian operator's, so its right-to-left labels can be
looked at) and prints where it and the rehearsal database are, and checks that every answered tap
is in that database.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kooch.app.settings import Settings
from kooch.config import Config, ConfigInvalid, load_config
from kooch.exits import Exit
from kooch.i18n import strip_controls
from kooch.simulator import ALL_CHANNEL_RIGHTS, BotAPISimulator, SimMessage, SimUser
from kooch.store import Store
from kooch.subscribers.store import SubscriberStore

RunningBot = Callable[[Settings], AbstractAsyncContextManager[Any]]

#: Share of subscribers who tap "I've moved", who tap it twice, and who start the bot.
TAP_SHARE = 0.6
REPEAT_SHARE = 0.1
START_SHARE = 0.2
#: Taps in flight at once (a burst, as when the post lands).
CONCURRENT_TAPS = 100


@dataclass(frozen=True)
class Arrivals:
    """What the rehearsal's subscribers did, and what the bot answered their taps."""

    starters: list[SimUser]
    tappers: list[SimUser]
    #: The toasts of the first taps and of the repeated ones, as they came back.
    first: list[str]
    again: list[str]
    #: Each answer's kind: "new", "repeat" or "other".
    answers: list[str]
    seconds: float


async def rehearse(config_path: Path, subscribers: int, running_bot: RunningBot) -> int:
    try:
        config = load_config(config_path)
    except ConfigInvalid as exc:
        print(f"✗ {config_path} is invalid; fix it first:", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return Exit.CONFIG
    workdir = Path(tempfile.mkdtemp(prefix="kooch-rehearsal-"))
    database = workdir / "rehearsal.db"
    rng = random.Random(2018)
    # Durations the rehearsal prints: a stopwatch, not the clock the bot reads.
    started_at = time.perf_counter()
    print(f"Kooch rehearsal: {config_path}, {subscribers} subscribers, offline (Bot API simulator)")

    async with BotAPISimulator() as sim:
        operator_id = min(config.operators)
        # A Persian-speaking operator, as most are: the /stats chart comes in Persian.
        operator = sim.add_user("Operator", "fa", user_id=operator_id)
        channel_ids = _add_channels(sim, config, subscribers)
        # Offline: the destinations' links are not fetched (`bot.py check --links` does that).
        settings = Settings(
            config_path, sim.token, sim.url, poll_timeout=1, database=database, fetch_links=False
        )
        async with running_bot(settings):
            await _announce(sim, operator)
            arrivals = await _subscribers_arrive(sim, config, subscribers, rng, channel_ids)
            stats, photo = await _read_stats(sim, operator)
        # The bot has stopped and flushed: count what the database holds.
        rows = await _rows_per_channel(database, channel_ids)

    print("\n── the operator's /stats ──")
    print(strip_controls(stats.text or ""))
    chart = workdir / "stats-fa.png"
    if photo.photo is not None:
        chart.write_bytes(photo.photo.data)
        print(f"the /stats chart: {chart}")
    ok = _summary(subscribers, arrivals, rows)
    print(f"took {time.perf_counter() - started_at:.1f} s")
    print(f"rehearsal database: {database} (open it with: sqlite3 {database})")
    print("✓ rehearsal passed" if ok else "✗ rehearsal found a mismatch")
    return Exit.OK if ok else Exit.FAILED


def _add_channels(sim: BotAPISimulator, config: Config, subscribers: int) -> dict[str, int]:
    """The config's channels in the simulator, the bot an administrator; their ids by key."""
    channel_ids: dict[str, int] = {}
    for ch in config.channels:
        username = ch.chat[1:] if isinstance(ch.chat, str) else None
        chat = sim.add_channel(
            username=username,
            title=f"{ch.key} (rehearsal)",
            member_count=subscribers,
            bot_rights=ALL_CHANNEL_RIGHTS,
            chat_id=ch.chat if isinstance(ch.chat, int) else None,
        )
        channel_ids[ch.key] = chat.id
    return channel_ids


async def _announce(sim: BotAPISimulator, operator: SimUser) -> None:
    """1. The operator announces and confirms; the report is printed."""
    sent = await sim.send_text(operator, "/announce")
    question = await sim.wait_for_message(
        operator.id,
        lambda m: any(d.startswith("announce:confirm:") for _, d in m.callback_buttons()),
        timeout=15,
        after=sent.message_id,
    )
    confirm = next(d for _, d in question.callback_buttons() if d.startswith("announce:confirm:"))
    await sim.wait_for_answer(await sim.press_button(operator, operator.id, question.message_id, confirm))
    result = await sim.wait_for_message(
        operator.id,
        # The question, edited into the report (in the operator's language) once it posted.
        lambda m: m.message_id == question.message_id and not m.callback_buttons(),
        timeout=15,
    )
    print("\n── the operator's /announce ──")
    print(strip_controls(result.text or ""))


async def _subscribers_arrive(
    sim: BotAPISimulator, config: Config, subscribers: int, rng: random.Random, channel_ids: dict[str, int]
) -> Arrivals:
    """2. The subscribers arrive: some start the bot, a share tap, some tap twice."""
    users = [sim.add_user(f"Subscriber{i}", "fa" if rng.random() < 0.7 else "en") for i in range(subscribers)]
    starters = [u for u in users if rng.random() < START_SHARE]
    for i, user in enumerate(starters):
        await sim.send_text(user, "/start rehearsal" if i % 2 else "/start")
    tappers = [u for u in users if rng.random() < TAP_SHARE]
    repeaters = [u for u in tappers if rng.random() < REPEAT_SHARE]
    posts = {key: _announcement(sim, chat_id) for key, chat_id in channel_ids.items()}
    toasts = {
        text: kind
        for ch in config.channels
        for kind, text in (
            ("new", config.text(ch.language, "thanks")),
            ("repeat", config.text(ch.language, "already_moved")),
        )
    }
    tap_started = time.perf_counter()
    first = await _tap_all(sim, [(u, k) for u in tappers for k in posts], channel_ids, posts)
    again = await _tap_all(sim, [(u, k) for u in repeaters for k in posts], channel_ids, posts)
    seconds = time.perf_counter() - tap_started
    answers = [toasts.get(text, "other") for text in first + again]
    return Arrivals(starters, tappers, first, again, answers, seconds)


async def _read_stats(sim: BotAPISimulator, operator: SimUser) -> tuple[SimMessage, SimMessage]:
    """3. The operator reads /stats: the text and the chart."""
    await sim.wait_until(lambda: sim.pending_updates == 0, timeout=30, what="all updates taken")
    sent = await sim.send_text(operator, "/stats")
    stats = await sim.wait_for_message(
        operator.id, lambda m: "📊" in (m.text or ""), timeout=15, after=sent.message_id
    )
    photo = await sim.wait_for_message(
        operator.id, lambda m: m.photo is not None, timeout=60, after=stats.message_id
    )
    return stats, photo


async def _rows_per_channel(database: Path, channel_ids: dict[str, int]) -> dict[str, int]:
    store = await Store.open(database)
    try:
        acks = SubscriberStore(store)
        return {key: len(await acks.acks_of_channel(key)) for key in channel_ids}
    finally:
        await store.close()


def _summary(subscribers: int, arrivals: Arrivals, rows: dict[str, int]) -> bool:
    """Print the rehearsal's figures; whether every answered tap is in the database."""
    thanks = arrivals.answers.count("new")
    repeats = arrivals.answers.count("repeat")
    expected = len(arrivals.tappers)
    taps = len(arrivals.answers)
    print("\n── rehearsal summary ──")
    print(f"subscribers: {subscribers}; started the bot: {len(arrivals.starters)}")
    print(
        f"taps: {taps} ({len(arrivals.again)} repeated) answered in {arrivals.seconds:.2f} s "
        f"({taps / arrivals.seconds:,.0f} taps/s over HTTP); thank-yous: {thanks}, "
        f"already-moved: {repeats}"
    )
    ok = (
        all(n == expected for n in rows.values())
        and thanks == len(arrivals.first)
        and repeats == len(arrivals.again)
    )
    for key, n in rows.items():
        print(f"database rows for {key}: {n} (expected {expected}) {'✓' if n == expected else '✗'}")
    return ok


def _announcement(sim: BotAPISimulator, chat_id: int) -> int:
    post = sim.last_message(chat_id, from_bot=True)
    if post is None:
        raise RuntimeError(f"no announcement was posted in chat {chat_id}")
    return post.message_id


async def _tap_all(
    sim: BotAPISimulator,
    presses: list[tuple[Any, str]],
    channel_ids: dict[str, int],
    posts: dict[str, int],
) -> list[str]:
    """Press every (user, channel) pair, at most CONCURRENT_TAPS at once; the toast texts."""
    gate = asyncio.Semaphore(CONCURRENT_TAPS)

    async def tap(user: Any, key: str) -> str:
        async with gate:
            query_id = await sim.press_button(user, channel_ids[key], posts[key], f"ack:{key}")
            answer = await sim.wait_for_answer(query_id, timeout=30)
            return answer.text or ""

    return list(await asyncio.gather(*(tap(u, k) for u, k in presses)))
