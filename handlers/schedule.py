"""Scheduled announcements: ``/announce [channel] at/in …``, /schedule, their buttons, the jobs
that post them, and putting them back on the JobQueue at start-up (what is due is in the database).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler

from handlers.context import KoochContext
from handlers.guards import PRIVATE, cancel_pending, confirm_keyboard, operator_only, target_channels
from handlers.posting import post_now
from kooch.announce.render import render_announcement
from kooch.announce.schedule import in_words, overdue_action, parse_when, split_schedule
from kooch.announce.store import LivingStore, ScheduledPost
from kooch.announce.wording import scheduled_line
from kooch.app.services import services_of
from kooch.config import Config
from kooch.operators.wording import channels_phrase
from kooch.telegram.markup import markup
from kooch.wording import format_time

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]


JOB_PREFIX = "kooch:schedule:"


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
    targets = await target_channels(message, config, channel_args)
    if targets is None:
        return "unknown channel"
    channels, named = targets
    tz = ZoneInfo(config.timezone)
    when = parse_when(when_words, datetime.now(tz))
    if isinstance(when, str):
        await message.reply_text(when)
        return "bad time"
    for channel in channels:
        post = render_announcement(config, channel, preview=True)
        await message.reply_text(post.text, reply_markup=markup(post))
    due = when.timestamp()
    pending_id = await context.store.create_pending(
        "schedule", user.id, {"channels": [c.key for c in channels], "named": named, "due": due}
    )
    question = (
        f"Schedule the announcement above for {channels_phrase(channels, named)} at "
        f"{when:%Y-%m-%d %H:%M} ({config.timezone}), in {in_words(due - time.time())}?\n"
        "It is posted with the config in force at that moment; /schedule lists and cancels."
    )
    await message.reply_text(question, reply_markup=confirm_keyboard("schedule", pending_id, "⏰ Schedule"))
    return f"asked to confirm schedule #{pending_id}"


@operator_only("schedule:confirm")
async def schedule_confirm(update: Update, context: KoochContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    pending = await context.store.take_pending(int(query.data.rsplit(":", 1)[1]), "schedule", "done")
    if pending is None:
        await query.answer("This confirmation was already used or cancelled.", show_alert=True)
        return "stale confirmation"
    due = float(pending.payload["due"])
    if due <= time.time():
        await query.answer("That time has passed: run /announce … again.", show_alert=True)
        return "too late"
    ids = await LivingStore(context.store).schedule(pending.payload["channels"], due, query.from_user.id)
    for post_id in ids:
        _queue_job(context.application, post_id, due)
    await query.answer("Scheduled.")
    tz = context.config.timezone
    text = "\n".join(
        f"⏰ #{i}: {key} at {format_time(due, tz)} ({tz})"
        for i, key in zip(ids, pending.payload["channels"], strict=True)
    )
    if query.message is not None:
        await context.bot.edit_message_text(
            text + "\n/schedule lists and cancels.",
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
        )
    return "scheduled " + ", ".join(f"#{i}" for i in ids)


@operator_only("schedule:cancel")
async def schedule_cancel(update: Update, context: KoochContext) -> str:
    return await cancel_pending(update, context, "schedule", "Cancelled: nothing was scheduled.")


@operator_only("schedule")
async def schedule_list(update: Update, context: KoochContext) -> str:
    message = update.effective_message
    assert message is not None
    config = context.config
    posts = await LivingStore(context.store).scheduled()
    if not posts:
        await message.reply_text(
            "Nothing is scheduled. /announce [channel] at <time> or in <2h> schedules an announcement."
        )
        return "none"
    now = time.time()
    lines = ["Scheduled announcements:"]
    buttons = []
    for s in posts:
        channel = config.channel_by_key(s.channel)
        label = channel.label if channel else f"{s.channel} (no longer in the config)"
        lines.append(f"{scheduled_line(s, config.timezone, now)} — {label}")
        buttons.append([InlineKeyboardButton(f"✖️ Cancel #{s.id}", callback_data=f"schedule:drop:{s.id}")])
    await message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons))
    return f"listed {len(posts)}"


@operator_only("schedule:drop")
async def schedule_drop(update: Update, context: KoochContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    post_id = int(query.data.rsplit(":", 1)[1])
    taken = await LivingStore(context.store).take_scheduled(
        post_id, ("open", "asked"), "cancelled", "cancelled"
    )
    if taken is None:
        await query.answer(f"#{post_id} is no longer scheduled (posted or cancelled).", show_alert=True)
        return "stale"
    _drop_job(context.application, post_id)
    await query.answer(f"#{post_id} cancelled.")
    if query.message is not None:
        await context.bot.send_message(
            query.message.chat.id, f"✖️ Scheduled announcement #{post_id} cancelled."
        )
    return f"cancelled #{post_id}"


@operator_only("schedule:late")
async def schedule_late(update: Update, context: KoochContext) -> str:
    """ "Post now" on an overdue scheduled post that the operators were asked about."""
    query = update.callback_query
    assert query is not None and query.data is not None
    post_id = int(query.data.rsplit(":", 1)[1])
    await query.answer("Posting…")
    line = await _post_scheduled(context, post_id, ("asked",), late=True)
    if line is None:
        await context.bot.send_message(
            query.from_user.id, f"#{post_id} is no longer waiting (posted or cancelled)."
        )
        return "stale"
    return line


def _queue_job(app: App, post_id: int, due: float) -> None:
    assert app.job_queue is not None, "python-telegram-bot[job-queue] is required"
    _drop_job(app, post_id)
    when = max(0.0, due - time.time())
    app.job_queue.run_once(_scheduled_job, when, data=post_id, name=f"{JOB_PREFIX}{post_id}")


def _drop_job(app: App, post_id: int) -> None:
    if app.job_queue is not None:
        for job in app.job_queue.get_jobs_by_name(f"{JOB_PREFIX}{post_id}"):
            job.schedule_removal()


async def _scheduled_job(context: KoochContext) -> None:
    assert context.job is not None
    post_id = context.job.data
    assert isinstance(post_id, int)
    await _post_scheduled(context, post_id, ("open",), late=False)


async def _post_scheduled(
    context: KoochContext, post_id: int, states: tuple[str, ...], *, late: bool
) -> str | None:
    """Post a scheduled announcement once (the row's state is the lock); tell the operators."""
    living = LivingStore(context.store)
    taken = await living.take_scheduled(post_id, states, "posting")
    if taken is None:
        return None
    config = context.config
    channel = config.channel_by_key(taken.channel)
    if channel is None:
        line = f"❌ {taken.channel}: no longer in the config; nothing posted."
        ok = False
    else:
        line, ok = await post_now(context, config, channel, taken.created_by)
    await living.take_scheduled(post_id, ("posting",), "done" if ok else "failed", line)
    await context.store.add_audit(taken.created_by, "schedule:posted", f"#{post_id} {taken.channel}", line)
    tz = config.timezone
    lateness = time.time() - taken.due_at
    when = f"due {format_time(taken.due_at, tz)} ({tz})"
    if lateness > 60:
        when += f", posted {in_words(lateness)} late" + (" (the bot was down)" if not late else "")
    await context.kooch.notifier.tell(f"⏰ Scheduled announcement #{post_id} ({when}):\n{line}")
    return line


async def restore_schedule(app: App) -> None:
    """Rebuild the jobs from the database: future posts are queued, overdue ones posted now (within
    the grace period, and reported) or put to the operators (later than that)."""
    kooch = services_of(app)
    living = LivingStore(kooch.store)
    config = kooch.config.current
    now = time.time()
    for s in await living.scheduled(("open", "posting")):
        if s.state == "posting":  # interrupted while posting: it may or may not be in the channel
            await living.take_scheduled(s.id, ("posting",), "failed", "interrupted while posting")
            await kooch.notifier.tell(
                f"⚠️ Scheduled announcement #{s.id} for {s.channel} was being posted when the bot stopped. "
                "Check the channel; /announce posts it again if it is missing.",
            )
            continue
        action = overdue_action(s.due_at, now, config.schedule_grace_s)
        if action in ("schedule", "post"):
            _queue_job(app, s.id, s.due_at)
        else:
            await _ask_overdue(app, living, s, config)


async def _ask_overdue(app: App, living: LivingStore, s: ScheduledPost, config: Config) -> None:
    if await living.take_scheduled(s.id, ("open",), "asked") is None:
        return
    tz = config.timezone
    text = (
        f"⏰ Scheduled announcement #{s.id} for {s.channel} was due {format_time(s.due_at, tz)} ({tz}), "
        f"{in_words(time.time() - s.due_at)} ago, while the bot was down: more than the grace period "
        f"({in_words(config.schedule_grace_s)}). Post it now?"
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("📢 Post now", callback_data=f"schedule:late:{s.id}"),
                InlineKeyboardButton("✖️ Cancel it", callback_data=f"schedule:drop:{s.id}"),
            ]
        ]
    )
    await services_of(app).notifier.send(text, keyboard=keyboard)


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("schedule", schedule_list, filters=PRIVATE),
    CallbackQueryHandler(schedule_confirm, pattern=r"^schedule:confirm:\d+$"),
    CallbackQueryHandler(schedule_cancel, pattern=r"^schedule:cancel:\d+$"),
    CallbackQueryHandler(schedule_drop, pattern=r"^schedule:drop:\d+$"),
    CallbackQueryHandler(schedule_late, pattern=r"^schedule:late:\d+$"),
]
