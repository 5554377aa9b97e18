"""The JobQueue side of scheduled announcements: a job per scheduled post, and what it does at its
time (post it, or hold it, and tell the operators). A support module, not a handler module: the
schedule's handlers and the approval of a schedule (any handler module that runs the ``schedule``
action) put posts on the JobQueue through :func:`queue_job`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.ext import Application

from kooch.announce.schedule.model import ScheduledHeld, ScheduledPosted
from kooch.announce.schedule.service import post_scheduled
from kooch.announce.schedule.wording import held_notice, scheduled_posted_notice
from kooch.app.leadership import leader_job
from kooch.app.services import services_of
from kooch.handlers.context import KoochContext
from kooch.telegram.markup import markup
from kooch.telegram.post import Post

App = Application[Any, Any, Any, Any, Any, Any]

JOB_PREFIX = "kooch:schedule:"


def queue_job(app: App, post_id: int, due: float) -> None:
    assert app.job_queue is not None, "python-telegram-bot[job-queue] is required"
    drop_job(app, post_id)
    when = max(0.0, due - services_of(app).clock.now())
    app.job_queue.run_once(_scheduled_job, when, data=post_id, name=f"{JOB_PREFIX}{post_id}")


def drop_job(app: App, post_id: int) -> None:
    if app.job_queue is not None:
        for job in app.job_queue.get_jobs_by_name(f"{JOB_PREFIX}{post_id}"):
            job.schedule_removal()


@leader_job
async def _scheduled_job(context: KoochContext) -> None:
    assert context.job is not None
    post_id = context.job.data
    assert isinstance(post_id, int)
    await post_scheduled_now(context, post_id, ("open",))


async def post_scheduled_now(
    context: KoochContext, post_id: int, states: tuple[str, ...], *, decided: bool = False, check: bool = True
) -> ScheduledPosted | ScheduledHeld | None:
    """Post a scheduled announcement once (or hold it: the channel got an announcement since it
    was confirmed) and tell every operator, with what to do about a held one; None if it was not
    waiting."""
    kooch = context.kooch
    config = context.config
    result = await post_scheduled(
        kooch.gateway,
        kooch.announcements,
        kooch.audit,
        kooch.sync,
        config,
        kooch.clock,
        post_id,
        states,
        decided=decided,
        check=check,
    )
    if isinstance(result, ScheduledHeld):
        held = result
        await kooch.notifier.send(
            lambda reader: held_notice(held, config, reader).text,
            keyboard=lambda reader: _keyboard(held_notice(held, config, reader)),
        )
    elif result is not None:
        await kooch.notifier.tell(partial(scheduled_posted_notice, result, config.timezone))
    return result


def _keyboard(post: Post) -> InlineKeyboardMarkup:
    keyboard = markup(post)
    assert keyboard is not None, "a notice with buttons"
    return keyboard
