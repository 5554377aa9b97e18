"""Scheduled announcements: ``/announce [channel] at/in …``, /schedule, their buttons, the jobs
that post them, and putting them back on the JobQueue at start-up (what is due is in the database).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler

from kooch.announce.schedule import ScheduledHeld, ScheduledPosted, parse_when, split_schedule
from kooch.announce.scheduling import post_scheduled, restore
from kooch.announce.store import Announcement, ScheduledPost
from kooch.announce.wording import (
    held_line,
    held_notice,
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
from kooch.handlers.approving import needs_approval
from kooch.handlers.context import KoochContext
from kooch.handlers.guards import PRIVATE, cancel_pending, language_of, operator_only, target_channels
from kooch.handlers.posting import (
    Confirmation,
    Confirmed,
    announced_since_asked,
    ask_approval,
    ask_to_confirm,
    channels_of,
    confirm_handlers,
)
from kooch.i18n import gettext, paragraph, to_digits
from kooch.store.leader import PgLeader
from kooch.telegram.markup import markup
from kooch.telegram.post import Post

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
    # The same checks as /announce: the links' verdicts, and "a second one" where a channel has one.
    payload = {"named": named, "due": when.timestamp()}
    return await ask_to_confirm(message, context, SCHEDULE, user.id, channels, payload, language)


def _schedule_question(
    context: KoochContext, payload: dict[str, Any], existing: Mapping[str, Announcement], language: str
) -> str:
    """The question (and the approver's account of it): when, where, and where it would be a
    second announcement."""
    config = context.config
    channels = channels_of(config, payload["channels"])
    due, now = float(payload["due"]), context.kooch.clock.now()
    named = bool(payload["named"])
    return schedule_question(channels, named, due, config.timezone, now, language, existing)


SCHEDULE = Confirmation(
    "schedule",
    label=lambda language: gettext(language, "⏰ Schedule"),
    question=_schedule_question,
    account=_schedule_question,
    # No expiry of its own: the scheduled time is the limit.
    rerun=None,
)


async def _confirmed(update: Update, context: KoochContext, confirmed: Confirmed) -> str:
    """A confirmation that passed the checks: approval, or scheduling now."""
    query = update.callback_query
    assert query is not None
    language = language_of(update, context)
    payload = confirmed.pending.payload
    if float(payload["due"]) <= context.kooch.clock.now():
        await query.answer(gettext(language, "That time has passed: run /announce … again."), show_alert=True)
        return "too late"
    if needs_approval(context):
        return await ask_approval(update, context, SCHEDULE, confirmed)
    await query.answer(gettext(language, "Scheduled."))
    text, summary = await execute_schedule(context, payload, query.from_user.id, language)
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
    # A channel that got an announcement since the question is left out (asked afresh next time).
    meanwhile = await announced_since_asked(context, payload, language)
    keys = [k for k in payload["channels"] if k not in meanwhile]
    known = {k: int(v) for k, v in payload.get("known", {}).items()}
    ids = await context.kooch.announcements.schedule(keys, due, operator_id, known) if keys else []
    for post_id in ids:
        _queue_job(context.application, post_id, due)
    lines = list(meanwhile.values())
    if ids:
        now = context.kooch.clock.now()
        lines.insert(0, schedule_confirmed(ids, keys, due, context.config.timezone, language, now=now))
    left_out = f" (left out, announced since: {', '.join(meanwhile)})" if meanwhile else ""
    return "\n".join(lines), "scheduled " + ", ".join(f"#{i}" for i in ids) + left_out


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
        post_id, ("open", "asked", "held"), "cancelled", "cancelled"
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
    """ "Post now" on an overdue scheduled post that the operators were asked about, or "Post it
    anyway" on one held at its time (the operator decided: no duplicate check)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    post_id = int(query.data.rsplit(":", 1)[1])
    language = language_of(update, context)
    await query.answer(gettext(language, "Posting…"))
    # Held: the operator was told of the newer announcement and chose to post beside it. Overdue:
    # they were not, so the rule applies (a post whose channel got one since is held, and said so).
    result = await _post_scheduled(context, post_id, ("held",), decided=True, check=False)
    if result is None:
        result = await _post_scheduled(context, post_id, ("asked",), decided=True)
    if isinstance(result, ScheduledHeld):
        return held_line(result)
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


def _keyboard(post: Post) -> InlineKeyboardMarkup:
    keyboard = markup(post)
    assert keyboard is not None, "a notice with buttons"
    return keyboard


def _overdue_text(s: ScheduledPost, tz: str, now: float, grace_s: float, language: str) -> str:
    return overdue_question(s, tz, now, grace_s, language).text


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("schedule", schedule_list, filters=PRIVATE),
    # Schedule, Schedule a second one, and their "despite broken links" seconds.
    *confirm_handlers(SCHEDULE, _confirmed),
    CallbackQueryHandler(schedule_cancel, pattern=r"^schedule:cancel:\d+$"),
    CallbackQueryHandler(schedule_drop, pattern=r"^schedule:drop:\d+$"),
    CallbackQueryHandler(schedule_late, pattern=r"^schedule:late:\d+$"),
]
