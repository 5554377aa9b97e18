"""Scheduled announcements: ``/announce [channel] at/in …``, /schedule, their buttons, the jobs
that post them, and putting them back on the JobQueue at start-up (what is due is in the database).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from telegram import Update
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler

from kooch.announce.schedule.model import ScheduledHeld
from kooch.announce.schedule.service import restore
from kooch.announce.schedule.wording import (
    held_line,
    interrupted_notice,
    overdue_question,
    schedule_listing,
    scheduled_post_line,
)
from kooch.announce.store import ScheduledPost
from kooch.app.background import BackgroundWork, Kind
from kooch.app.leadership import leader_job
from kooch.app.services import services_of
from kooch.handlers.confirming import confirmed
from kooch.handlers.context import KoochContext
from kooch.handlers.guards import PRIVATE, language_of, operator_only
from kooch.handlers.posting import SCHEDULE, Confirmed, confirm_handlers
from kooch.handlers.schedule_jobs import JOB_PREFIX, drop_job, post_scheduled_now, queue_job
from kooch.i18n import gettext, paragraph, to_digits
from kooch.operators.audit import Record, Step
from kooch.telegram.markup import markup

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]


#: Replicas: how often the leader re-reads the scheduled posts, for the ones confirmed through
#: another replica (whose JobQueue has the job, but only the leader's runs it).
RESYNC_S = 15.0
RESYNC_JOB = "kooch:schedule-resync"


async def _confirmed(update: Update, context: KoochContext, done: Confirmed) -> Record | str:
    """A confirmation that passed the checks: approval, or scheduling now (not once its time
    passed)."""
    query = update.callback_query
    assert query is not None
    language = language_of(update, context)
    if done.payload.due <= context.kooch.clock.now():
        await query.answer(gettext(language, "That time has passed: run /announce … again."), show_alert=True)
        return Record(SCHEDULE.kind, Step.TOO_LATE, done.pending.id)
    return await confirmed(update, context, SCHEDULE.action, done.payload, done.pending.id)


@operator_only("schedule")
async def schedule_list(update: Update, context: KoochContext) -> str:
    message = update.effective_message
    assert message is not None
    posts = await context.kooch.announcements.scheduled()
    listing = schedule_listing(context.config, posts, context.kooch.clock.now(), language_of(update, context))
    await message.reply_text(listing.text, reply_markup=markup(listing))
    return f"listed {len(posts)}" if posts else "none"


@operator_only("schedule:drop")
async def schedule_drop(update: Update, context: KoochContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    post_id = int(query.data.rsplit(":", 1)[1])
    language = language_of(update, context)
    shown = to_digits(str(post_id), language)
    taken = await context.kooch.announcements.take_scheduled(
        post_id, ("open", "asked", "held"), "cancelled", "cancelled"
    )
    if taken is None:
        stale = gettext(language, "#{id} is no longer scheduled (posted or cancelled).")
        await query.answer(stale.format(id=shown), show_alert=True)
        return "stale"
    drop_job(context.application, post_id)
    await query.answer(gettext(language, "#{id} cancelled.").format(id=shown))
    if query.message is not None:
        done = gettext(language, "✖️ Scheduled announcement #{id} cancelled.").format(id=shown)
        await context.bot.send_message(query.message.chat.id, paragraph(done, language))
    return f"cancelled #{post_id}"


@operator_only("schedule:late")
async def schedule_late(update: Update, context: KoochContext) -> str:
    """ "Post now" on an overdue scheduled post that the operators were asked about, or "Post it
    anyway" on one held at its time (the operator decided: no duplicate check)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    post_id = int(query.data.rsplit(":", 1)[1])
    language = language_of(update, context)
    await query.answer(gettext(language, "Posting…"))
    # Held: the operator was told of the newer announcement and chose to post beside it. Overdue:
    # they were not, so the rule applies (a post whose channel got one since is held, and said so).
    result = await post_scheduled_now(context, post_id, ("held",), decided=True, check=False)
    if result is None:
        result = await post_scheduled_now(context, post_id, ("asked",), decided=True)
    if isinstance(result, ScheduledHeld):
        return held_line(result)
    if result is None:
        stale = gettext(language, "#{id} is no longer waiting (posted or cancelled).")
        await context.bot.send_message(
            query.from_user.id, paragraph(stale.format(id=to_digits(str(post_id), language)), language)
        )
        return "stale"
    return scheduled_post_line(result)


async def _restore_on_lead(app: App) -> None:
    """The jobs rebuilt from the database, and (replicas) kept in step with it while this one leads."""
    await _restore(app, interrupted=True)
    if services_of(app).leadership.elected:
        assert app.job_queue is not None
        app.job_queue.run_repeating(_resync_job, RESYNC_S, first=RESYNC_S, name=RESYNC_JOB)


async def _stop_resync(app: App) -> None:
    if app.job_queue is not None:
        for job in app.job_queue.get_jobs_by_name(RESYNC_JOB):
            job.schedule_removal()


#: The leader's duty (at once on SQLite, on each election won on PostgreSQL).
BACKGROUND = [
    BackgroundWork(
        "scheduled posts",
        Kind.DUTY,
        lambda language: gettext(language, "scheduled posts"),
        start=_restore_on_lead,
        stop=_stop_resync,
    )
]


@leader_job
async def _resync_job(context: KoochContext) -> None:
    # Only 'open' ones: a post being posted is another replica's job in flight, not interrupted.
    await _restore(context.application, interrupted=False)


async def _restore(app: App, *, interrupted: bool) -> None:
    """Future posts are queued, overdue ones posted now (within the grace period, and reported)
    or put to the operators (later than that); posts cut off while posting, reported."""
    kooch = services_of(app)
    config = kooch.config.current
    plan = await restore(kooch.announcements, kooch.clock, config.schedule_grace_s, interrupted=interrupted)
    for s in plan.interrupted:
        await kooch.notifier.tell(partial(interrupted_notice, s))
    for s in (*plan.queue, *plan.post):
        if not app.job_queue or not app.job_queue.get_jobs_by_name(f"{JOB_PREFIX}{s.id}"):
            queue_job(app, s.id, s.due_at)
    for s in plan.ask:
        # One keyboard for all: its buttons are in the config's default language.
        buttons = overdue_question(
            s, config.timezone, plan.now, config.schedule_grace_s, config.default_language
        )
        text = partial(_overdue_text, s, config.timezone, plan.now, config.schedule_grace_s)
        await kooch.notifier.send(text, keyboard=markup(buttons))


def _overdue_text(s: ScheduledPost, tz: str, now: float, grace_s: float, language: str) -> str:
    return overdue_question(s, tz, now, grace_s, language).text


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("schedule", schedule_list, filters=PRIVATE),
    # Schedule, Schedule a second one, and their "despite broken links" seconds.
    *confirm_handlers(SCHEDULE, _confirmed),
    CallbackQueryHandler(schedule_drop, pattern=r"^schedule:drop:\d+$"),
    CallbackQueryHandler(schedule_late, pattern=r"^schedule:late:\d+$"),
]
