"""Scheduled announcements: ``/announce [channel] at/in …``, /schedule, their buttons, the jobs
that post them, and putting them back on the JobQueue at start-up (what is due is in the database).
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler

from handlers.approving import needs_approval, request_approval
from handlers.context import KoochContext
from handlers.guards import (
    PRIVATE,
    cancel_pending,
    confirm_keyboard,
    language_of,
    operator_only,
    take_confirmation,
    target_channels,
)
from kooch.announce.render import render_announcement
from kooch.announce.schedule import ScheduledPosted, parse_when, split_schedule
from kooch.announce.scheduling import post_scheduled, restore
from kooch.announce.store import ScheduledPost
from kooch.announce.wording import (
    interrupted_notice,
    overdue_question,
    schedule_confirmed,
    schedule_listing,
    schedule_question,
    scheduled_post_line,
    scheduled_posted_notice,
)
from kooch.app.leadership import leader_job
from kooch.app.services import services_of
from kooch.i18n import gettext, paragraph, to_digits
from kooch.store.leader import PgLeader
from kooch.telegram.markup import markup

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]


JOB_PREFIX = "kooch:schedule:"
#: Replicas: how often the leader re-reads the scheduled posts, for the ones confirmed through
#: another replica (whose JobQueue has the job, but only the leader's runs it).
RESYNC_S = 15.0
RESYNC_JOB = "kooch:schedule-resync"


def is_schedule_request(args: list[str]) -> bool:
    """``/announce [channel] at …`` or ``… in …``: a schedule, not a post now."""
    return split_schedule(args) is not None


async def ask_schedule(update: Update, context: KoochContext) -> str:
    """The ``/announce [channel] at/in …`` hook of handlers.operators.announce (already authorised)."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    split = split_schedule(list(context.args or []))
    assert split is not None
    channel_args, when_words = split
    config = context.config
    language = language_of(update, context)
    targets = await target_channels(message, config, channel_args, language)
    if targets is None:
        return "unknown channel"
    channels, named = targets
    now = context.kooch.clock.now()
    when = parse_when(when_words, datetime.fromtimestamp(now, ZoneInfo(config.timezone)), language)
    if isinstance(when, str):
        await message.reply_text(when)
        return "bad time"
    for channel in channels:
        post = render_announcement(config, channel, preview=True)
        await message.reply_text(post.text, reply_markup=markup(post))
    due = when.timestamp()
    pending_id = await context.kooch.pending.create(
        "schedule", user.id, {"channels": [c.key for c in channels], "named": named, "due": due}
    )
    question = schedule_question(channels, named, due, config.timezone, now, language)
    keyboard = confirm_keyboard("schedule", pending_id, gettext(language, "⏰ Schedule"), language)
    await message.reply_text(question, reply_markup=keyboard)
    return f"asked to confirm schedule #{pending_id}"


@operator_only("schedule:confirm")
async def schedule_confirm(update: Update, context: KoochContext) -> str:
    query = update.callback_query
    assert query is not None
    # No expiry of its own: the scheduled time is the limit.
    pending = await take_confirmation(update, context, "schedule", rerun=None)
    if isinstance(pending, str):
        return pending
    due = float(pending.payload["due"])
    language = language_of(update, context)
    if due <= context.kooch.clock.now():
        await query.answer(gettext(language, "That time has passed: run /announce … again."), show_alert=True)
        return "too late"
    if needs_approval(context):
        config = context.config
        channels = [c for k in pending.payload["channels"] if (c := config.channel_by_key(k)) is not None]
        previews = [render_announcement(config, channel, preview=True) for channel in channels]
        named = bool(pending.payload["named"])
        now = context.kooch.clock.now()

        def detail(reader: str) -> str:
            return schedule_question(channels, named, due, config.timezone, now, reader)

        return await request_approval(update, context, "schedule", pending.payload, previews, detail)
    await query.answer(gettext(language, "Scheduled."))
    text, summary = await execute_schedule(context, pending.payload, query.from_user.id, language)
    if query.message is not None:
        await context.bot.edit_message_text(
            text,
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
        )
    return summary


async def execute_schedule(
    context: KoochContext, payload: dict[str, Any], operator_id: int, language: str
) -> tuple[str, str]:
    """Schedule a confirmed ``/announce … at/in …``: the report (in ``language``, the reader's),
    and the audit result."""
    due = float(payload["due"])
    if due <= context.kooch.clock.now():
        late = gettext(language, "❌ That time has passed: nothing was scheduled; run /announce … again.")
        return paragraph(late, language), "too late"
    ids = await context.kooch.announcements.schedule(payload["channels"], due, operator_id)
    for post_id in ids:
        _queue_job(context.application, post_id, due)
    text = schedule_confirmed(ids, payload["channels"], due, context.config.timezone, language)
    return text, "scheduled " + ", ".join(f"#{i}" for i in ids)


@operator_only("schedule:cancel")
async def schedule_cancel(update: Update, context: KoochContext) -> str:
    text = gettext(language_of(update, context), "Cancelled: nothing was scheduled.")
    return await cancel_pending(update, context, "schedule", text)


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
        post_id, ("open", "asked"), "cancelled", "cancelled"
    )
    if taken is None:
        stale = gettext(language, "#{id} is no longer scheduled (posted or cancelled).")
        await query.answer(stale.format(id=shown), show_alert=True)
        return "stale"
    _drop_job(context.application, post_id)
    await query.answer(gettext(language, "#{id} cancelled.").format(id=shown))
    if query.message is not None:
        done = gettext(language, "✖️ Scheduled announcement #{id} cancelled.").format(id=shown)
        await context.bot.send_message(query.message.chat.id, paragraph(done, language))
    return f"cancelled #{post_id}"


@operator_only("schedule:late")
async def schedule_late(update: Update, context: KoochContext) -> str:
    """ "Post now" on an overdue scheduled post that the operators were asked about."""
    query = update.callback_query
    assert query is not None and query.data is not None
    post_id = int(query.data.rsplit(":", 1)[1])
    language = language_of(update, context)
    await query.answer(gettext(language, "Posting…"))
    result = await _post_scheduled(context, post_id, ("asked",), decided=True)
    if result is None:
        stale = gettext(language, "#{id} is no longer waiting (posted or cancelled).")
        await context.bot.send_message(
            query.from_user.id, paragraph(stale.format(id=to_digits(str(post_id), language)), language)
        )
        return "stale"
    return scheduled_post_line(result)


def _queue_job(app: App, post_id: int, due: float) -> None:
    assert app.job_queue is not None, "python-telegram-bot[job-queue] is required"
    _drop_job(app, post_id)
    when = max(0.0, due - services_of(app).clock.now())
    app.job_queue.run_once(_scheduled_job, when, data=post_id, name=f"{JOB_PREFIX}{post_id}")


def _drop_job(app: App, post_id: int) -> None:
    if app.job_queue is not None:
        for job in app.job_queue.get_jobs_by_name(f"{JOB_PREFIX}{post_id}"):
            job.schedule_removal()


@leader_job
async def _scheduled_job(context: KoochContext) -> None:
    assert context.job is not None
    post_id = context.job.data
    assert isinstance(post_id, int)
    await _post_scheduled(context, post_id, ("open",))


async def _post_scheduled(
    context: KoochContext, post_id: int, states: tuple[str, ...], *, decided: bool = False
) -> ScheduledPosted | None:
    """Post a scheduled announcement once and tell the operators; None if it was not waiting."""
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
    )
    if result is not None:
        await kooch.notifier.tell(partial(scheduled_posted_notice, result, config.timezone))
    return result


async def restore_schedule(app: App) -> None:
    """The leader's duty (at once on SQLite, on each election won on PostgreSQL): the jobs
    rebuilt from the database, and kept in step with it while this replica leads."""

    async def start() -> None:
        await _restore(app, interrupted=True)
        if isinstance(services_of(app).leadership.leader, PgLeader):
            assert app.job_queue is not None
            app.job_queue.run_repeating(_resync_job, RESYNC_S, first=RESYNC_S, name=RESYNC_JOB)

    async def stop() -> None:
        if app.job_queue is not None:
            for job in app.job_queue.get_jobs_by_name(RESYNC_JOB):
                job.schedule_removal()

    await services_of(app).leadership.add("scheduled posts", start, stop)


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
            _queue_job(app, s.id, s.due_at)
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
    CallbackQueryHandler(schedule_confirm, pattern=r"^schedule:confirm:\d+$"),
    CallbackQueryHandler(schedule_cancel, pattern=r"^schedule:cancel:\d+$"),
    CallbackQueryHandler(schedule_drop, pattern=r"^schedule:drop:\d+$"),
    CallbackQueryHandler(schedule_late, pattern=r"^schedule:late:\d+$"),
]
