"""Issue 24: one list of background work and one lifecycle, against the real bot and the simulator.

/status says what runs in the background, on which replica and when it last ran, in the reader's
language; stopping the bot closes everything it opened, in the reverse order, and leaves no task.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from kooch.app.background import Kind
from kooch.app.services import services_of
from kooch.clock import ManualClock
from kooch.i18n import format_datetime
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from kooch.store import WriteFailed
from kooch.store.leader import PgLeader
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import OPERATOR_ID, base_config, running_bot, say_and_collect, write_config

#: A fixed moment (2026-12-16 14:30 UTC), so the last runs /status shows are known.
NOW = 1_797_431_400.0


@pytest.fixture
def persian_operator(sim: BotAPISimulator) -> SimUser:
    return sim.add_user("گرداننده", "fa", user_id=OPERATOR_ID)


async def test_status_lists_the_background_work_where_it_runs_and_when_it_last_ran(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    clock = ManualClock(now=NOW)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        background = services_of(app).background
        names = [(w.name, w.kind) for w in background.works]
        # Every singleton and periodic job, declared once, in the order the features are built.
        assert names == [
            ("retention", Kind.JOB),
            ("post sync", Kind.DUTY),
            ("campaign sender", Kind.DUTY),
            ("arrivals rounds", Kind.DUTY),
            ("bot menus", Kind.DUTY),
            ("link check", Kind.JOB),
            ("scheduled posts", Kind.DUTY),
            ("approval expiry", Kind.JOB),
        ]
        # A job's round, run now by the JobQueue's own job (the scheduler may have run it too).
        assert app.job_queue is not None
        clock.advance(60)
        (retention,) = app.job_queue.get_jobs_by_name("kooch-retention")
        await retention.run(app)
        (status,) = await say_and_collect(sim, operator, "/status", 1)
    tz = base_config(tmp_path).get("timezone", "Asia/Tehran")
    started = format_datetime(NOW, tz, "en", numeric=True, year=False)
    ran = format_datetime(NOW + 60, tz, "en", numeric=True, year=False)
    text = plain(status.text or "")
    block = text[text.index("Background work:") :].splitlines()[:9]
    assert block == [
        "Background work:",
        "• retention: every 1 day, here; last ran " + ran,
        "• post sync: running here since " + started,
        "• campaign sender: running here since " + started,
        "• member counts: running here since " + started,
        "• bot menus: running here since " + started,
        "• link checks: every 1 minute, here; not run yet",
        "• scheduled posts: running here since " + started,
        "• approval expiry: every 1 minute, here; not run yet",
    ]


async def test_a_persian_operator_reads_the_background_work_right(
    sim: BotAPISimulator, persian_operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    path = write_config(tmp_path / "config.yaml", base_config(tmp_path))
    clock = ManualClock(now=NOW)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        assert app.job_queue is not None
        clock.advance(60)
        (retention,) = app.job_queue.get_jobs_by_name("kooch-retention")
        await retention.run(app)
        (status,) = await say_and_collect(sim, persian_operator, "/status", 1)
    assert status.text is not None
    lines = status.text.splitlines()
    start = next(i for i, line in enumerate(lines) if "کارهای پس‌زمینه:" in line)
    block = lines[start : start + 9]
    assert "همگام‌سازی اعلان‌ها: از" in plain(block[2])
    assert "پاک‌سازی داده‌های کهنه: هر ۱ روز، روی همین نمونه؛ آخرین اجرا" in plain(block[1])
    assert_reads_right(block)


async def test_stopping_closes_everything_in_reverse_order_and_leaves_no_task(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    raw = base_config(tmp_path)
    path = write_config(tmp_path / "config.yaml", raw)
    before = asyncio.all_tasks()
    caplog.set_level(logging.DEBUG, logger="kooch.lifecycle")
    async with running_bot(path, sim.token, sim.url, poll_timeout=1) as app:
        services = services_of(app)
        await say_and_collect(sim, operator, "/help", 1)
        running = asyncio.all_tasks() - before
        assert running, "the bot runs tasks of its own (the intake, the duties)"
    opened = [
        r.getMessage().removeprefix("opened ") for r in caplog.records if r.getMessage().startswith("opened ")
    ]
    closed = [
        r.getMessage().removeprefix("closing ")
        for r in caplog.records
        if r.getMessage().startswith("closing ")
    ]
    # Everything that stops is on the one stack, closed in the reverse of the order it opened.
    assert opened == [
        "store",
        "the Application's Bot",
        "clicks",
        "the sync engine's Bot",
        "config reloader",
        "leadership",
        "polling intake's spool",
        "the Application",
        "polling intake",
    ]
    assert closed == opened[::-1]
    # Nothing the bot started is left running, and the store takes no more writes.
    left = [t for t in asyncio.all_tasks() - before if not t.done()]
    assert left == [], [t.get_name() for t in left]
    with pytest.raises(WriteFailed):
        await services.audit.add(0, "after", "the store closed", "nothing")
    assert not app.running


async def test_a_follower_says_the_leader_runs_the_background_work(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path, postgresql_url: str
) -> None:
    # Another replica leads: this one answers /status, and runs none of the work itself.
    other = PgLeader(postgresql_url, "other replica", retry_s=0.05)
    await other.start()
    await other.wait_until_leader()
    config = base_config(tmp_path)
    config["storage"]["url"] = postgresql_url
    path = write_config(tmp_path / "config.yaml", config)
    try:
        async with running_bot(path, sim.token, sim.url, poll_timeout=1) as app:
            assert services_of(app).leadership.role == "follower"
            (status,) = await say_and_collect(sim, operator, "/status", 1)
    finally:
        await other.close()
    text = plain(status.text or "")
    block = text[text.index("Background work:") :].splitlines()[1:9]
    assert block == [
        f"• {title}: on the leader"
        for title in (
            "retention",
            "post sync",
            "campaign sender",
            "member counts",
            "bot menus",
            "link checks",
            "scheduled posts",
            "approval expiry",
        )
    ]
