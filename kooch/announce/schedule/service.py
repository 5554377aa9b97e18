"""Scheduled announcements, the feature side: posting one when its turn comes (once: the row's
state is the lock) and sorting what the database holds at start-up. Both return typed outcomes
(:mod:`kooch.announce.schedule.model`); the handlers queue the jobs and send the words."""

from __future__ import annotations

from kooch.announce.duplicates import posted_since
from kooch.announce.post.service import post_announcement
from kooch.announce.schedule.model import RestorePlan, ScheduledHeld, ScheduledPosted, plan_restore
from kooch.announce.schedule.wording import held_line, scheduled_post_line
from kooch.announce.store import AnnouncementStore
from kooch.announce.sync.service import SyncEngine
from kooch.clock import Clock
from kooch.config import Config
from kooch.operators.audit import AuditLog
from kooch.telegram.gateway import Gateway

#: Why a post found in the ``posting`` state at start-up was marked failed.
INTERRUPTED = "interrupted while posting"


async def post_scheduled(
    gateway: Gateway,
    announcements: AnnouncementStore,
    audit: AuditLog,
    sync: SyncEngine,
    config: Config,
    clock: Clock,
    post_id: int,
    states: tuple[str, ...],
    *,
    decided: bool = False,
    check: bool = True,
) -> ScheduledPosted | ScheduledHeld | None:
    """Post scheduled announcement ``post_id`` if it is in one of ``states`` (None if it is not:
    posted or cancelled meanwhile), and record the result with the post and in the audit log.

    With ``check`` (off when an operator chose just now to post it beside the newer one), a post
    whose channel got an announcement since the schedule was confirmed is held instead (state
    ``held``: a restart does not fire it). Taking the row to ``posting`` first is the lock: a
    crash after it leaves the post ``posting``, which start-up reports and never posts again, so
    at most the one in flight can be missing or doubled.
    """
    taken = await announcements.take_scheduled(post_id, states, "posting")
    if taken is None:
        return None
    channel = config.channel_by_key(taken.channel)
    if channel is not None and check:
        now = await announcements.current_announcement(taken.channel)
        if now is not None and posted_since(taken.known_announcement, now):
            held = ScheduledHeld(taken, now, clock.now())
            await announcements.take_scheduled(post_id, ("posting",), "held", held_line(held))
            await audit.add(taken.created_by, "schedule:held", f"#{post_id} {taken.channel}", held_line(held))
            return held
    outcome = None
    if channel is not None:
        outcome = await post_announcement(gateway, announcements, sync, config, channel, taken.created_by)
    result = ScheduledPosted(taken, outcome, clock.now(), decided)
    line = scheduled_post_line(result)
    await announcements.take_scheduled(post_id, ("posting",), "done" if result.posted else "failed", line)
    await audit.add(taken.created_by, "schedule:posted", f"#{post_id} {taken.channel}", line)
    return result


async def restore(
    announcements: AnnouncementStore, clock: Clock, grace_s: float, *, interrupted: bool = True
) -> RestorePlan:
    """What start-up does with the scheduled posts in the database. Marks the interrupted ones
    failed and the ones to ask about ``asked`` (each once: a post another process took meanwhile
    is left out of the plan); queuing and telling the operators are the caller's. Without
    ``interrupted``, posts being posted are left alone (a running leader's re-read)."""
    states = ("open", "posting") if interrupted else ("open",)
    plan = plan_restore(await announcements.scheduled(states), clock.now(), grace_s)
    for s in plan.interrupted:
        await announcements.take_scheduled(s.id, ("posting",), "failed", INTERRUPTED)
    asked = [s for s in plan.ask if await announcements.take_scheduled(s.id, ("open",), "asked") is not None]
    return RestorePlan(plan.now, plan.queue, plan.post, tuple(asked), plan.interrupted)
