"""The living announcement, operator side: /reload, /status, /moved [undo], /schedule, the
``/announce … at/in …`` schedule, and the services that run beside the bot (the config watcher,
the sync engine, the scheduled posts' jobs).

Every command goes through :func:`handlers.operators.operator_only` (authorisation checked on each
call, audit row written). ``start`` and ``stop`` are called by ``bot.running_bot`` around the
running Application.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler, filters
from telegram.request import HTTPXRequest

from handlers.context import KOOCH_KEY, KoochContext
from handlers.operators import (
    CONFIRM_TTL_S,
    _post_announcement,
    cancel_pending,
    operator_only,
    target_channels,
)
from kooch.config import Channel, Config
from kooch.living_text import ChannelStatus, format_status, moved_question, scheduled_line
from kooch.moved import MovedTitle, moved_description, moved_title
from kooch.operator_text import channels_phrase, explain_telegram_error, format_time
from kooch.reload import Reloader
from kooch.render import markup, render_announcement
from kooch.runtime import Kooch
from kooch.schedule import in_words, overdue_action, parse_when, split_schedule
from kooch.store.living import LivingStore, ScheduledPost
from kooch.sync import SyncEngine

log = logging.getLogger(__name__)

JOB_PREFIX = "kooch:schedule:"


def _kooch(app: Application) -> Kooch:
    kooch: Kooch = app.bot_data[KOOCH_KEY]
    return kooch


async def notify_operators(app: Application, text: str, skip: int | None = None) -> None:
    """Send ``text`` to every operator of the config in force (but ``skip``)."""
    for operator in sorted(_kooch(app).config.current.operators):
        if operator == skip:
            continue
        try:
            await app.bot.send_message(operator, text[:4096])
        except TelegramError as exc:
            log.info("could not tell operator %s (%s)", operator, exc)


# --------------------------------------------------------------------------------------------
# Lifecycle (called by bot.running_bot)


async def start(app: Application, token: str, api_url: str) -> None:
    """Start the sync engine and the config watcher; put the scheduled posts back on the JobQueue."""
    kooch = _kooch(app)
    root = api_url.rstrip("/")
    # The engine's own Bot: edits are paced by the engine itself, and a 429 on an edit must not
    # hold back the Application's other calls (answers to taps) as AIORateLimiter would.
    edit_bot = Bot(
        token,
        base_url=f"{root}/bot",
        base_file_url=f"{root}/file/bot",
        request=HTTPXRequest(connection_pool_size=8),
    )
    await edit_bot.initialize()

    async def tell(text: str) -> None:
        await notify_operators(app, text)

    async def tell_but(text: str, skip: int | None) -> None:
        await notify_operators(app, text, skip)

    kooch.sync = SyncEngine(kooch.config, kooch.store, edit_bot, tell, markup)
    sync = kooch.sync

    async def applied(old: Config, new: Config) -> list[str]:
        sync.poke()
        return []

    kooch.reloader = Reloader(kooch.config, tell_but, applied)
    await sync.start()
    await kooch.reloader.start()
    await restore_schedule(app)


async def stop(app: Application) -> None:
    kooch = _kooch(app)
    if kooch.reloader is not None:
        await kooch.reloader.stop()
    if kooch.sync is not None:
        await kooch.sync.stop()
        await kooch.sync.bot.shutdown()


# --------------------------------------------------------------------------------------------
# /reload and /status


@operator_only("reload")
async def reload_command(update: Update, context: KoochContext) -> str:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    reloader = context.kooch.reloader
    if reloader is None:
        await message.reply_text("Reloading is not available in this mode.")
        return "unavailable"
    outcome = await reloader.reload(f"/reload by {user.id}", requested_by=user.id)
    await message.reply_text(outcome.message[:4096])
    return outcome.kind


@operator_only("status")
async def status(update: Update, context: KoochContext) -> str:
    message = update.effective_message
    assert message is not None
    config = context.config
    targets = await target_channels(message, config, context.args or [])
    if targets is None:
        return "unknown channel"
    channels, named = targets
    living = LivingStore(context.store)
    sync = context.kooch.sync
    keys = [c.key for c in channels]
    posts = await sync.statuses(keys) if sync is not None else []
    scheduled = await living.scheduled()
    counts = sync.counts if sync is not None else {}
    rows = []
    for channel in channels:
        rows.append(
            ChannelStatus(
                channel=channel,
                posts=[p for p in posts if p.row.channel == channel.key],
                count=counts.get(channel.key),
                moved=await living.moved_state(channel.key),
                scheduled=[s for s in scheduled if s.channel == channel.key],
            )
        )
    reload_state = context.kooch.reloader.state if context.kooch.reloader else None
    await message.reply_text(format_status(config, reload_state, rows, named, time.time())[:4096])
    return f"status for {channels_phrase(channels, named)}"


# --------------------------------------------------------------------------------------------
# /moved [channel], /moved undo [channel]


def _confirm_keyboard(kind: str, pending_id: int, label: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=f"{kind}:confirm:{pending_id}"),
                InlineKeyboardButton("Cancel", callback_data=f"{kind}:cancel:{pending_id}"),
            ]
        ]
    )


@operator_only("moved")
async def moved(update: Update, context: KoochContext) -> str:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    args = list(context.args or [])
    undo = bool(args) and args[0].lower() == "undo"
    if undo:
        args = args[1:]
    config = context.config
    targets = await target_channels(message, config, args)
    if targets is None:
        return "unknown channel"
    channels, named = targets
    living = LivingStore(context.store)
    if undo:
        states = {c.key: await living.moved_state(c.key) for c in channels}
        lines = [f"Undo the moved state of {channels_phrase(channels, named)}?"]
        for c in channels:
            state = states[c.key]
            if state is None or not state.active:
                lines.append(f"• {c.label}: not in the moved state; nothing to restore")
            else:
                lines.append(
                    f"• {c.label}: title back to “{state.original_title}”, description back to "
                    f"“{state.original_description or '(empty)'}”"
                    + (", unpin the announcement" if state.pinned_message_id else "")
                )
        if not any(s is not None and s.active for s in states.values()):
            await message.reply_text("\n".join(lines[1:]))
            return "nothing to undo"
        question = "\n".join(lines)
        button = "↩️ Restore"
    else:
        plans = []
        for c in channels:
            title: MovedTitle | str
            try:
                chat = await context.bot.get_chat(c.chat)
                title = moved_title(chat.title or "", c)
            except TelegramError as exc:
                title = f"cannot read it: {explain_telegram_error(exc.message)}"
            current = await context.store.current_announcement(c.key)
            plans.append((c, title, moved_description(config, c), current.message_id if current else None))
        question = moved_question(plans, named)
        button = "🏷 Set the moved state"
    pending_id = await context.store.create_pending(
        "moved", user.id, {"channels": [c.key for c in channels], "named": named, "undo": undo}
    )
    await message.reply_text(question[:4096], reply_markup=_confirm_keyboard("moved", pending_id, button))
    return f"asked to confirm #{pending_id}"


@operator_only("moved:confirm")
async def moved_confirm(update: Update, context: KoochContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    pending = await context.store.take_pending(int(query.data.rsplit(":", 1)[1]), "moved", "done")
    if pending is None:
        await query.answer("This confirmation was already used or cancelled.", show_alert=True)
        return "stale confirmation"
    if time.time() - pending.created_at > CONFIRM_TTL_S:
        await query.answer("This confirmation expired: run /moved again.", show_alert=True)
        return "expired confirmation"
    undo = bool(pending.payload["undo"])
    await query.answer("Restoring…" if undo else "Working…")
    config = context.config
    report: list[str] = []
    for key in pending.payload["channels"]:
        channel = config.channel_by_key(key)
        if channel is None:
            report.append(f"❌ {key}: no longer in the config; nothing changed.")
            continue
        if undo:
            report += await _undo_moved(context, channel)
        else:
            report += await _set_moved(context, config, channel, query.from_user.id)
    if query.message is not None:
        await context.bot.edit_message_text(
            "\n".join(report)[:4096], chat_id=query.message.chat.id, message_id=query.message.message_id
        )
    return ("undo: " if undo else "") + "; ".join(report)[:500]


async def _step(what: str, call: Awaitable[object]) -> str:
    """Run one Bot API step; its report line (done / missing right / too long / …)."""
    try:
        await call
    except BadRequest as exc:
        text = exc.message.lower()
        if "not modified" in text:
            return f"  ✅ {what}: already so"
        if "not enough rights" in text:
            return f"  ❌ {what}: missing right: give the bot “Change channel info” (and “Edit messages”)"
        if "too long" in text or "invalid" in text:
            return f"  ❌ {what}: too long for Telegram ({exc.message})"
        return f"  ❌ {what}: {explain_telegram_error(exc.message)}"
    except Forbidden as exc:
        return f"  ❌ {what}: {explain_telegram_error(exc.message)}"
    return f"  ✅ {what}: done"


async def _set_moved(context: KoochContext, config: Config, channel: Channel, operator: int) -> list[str]:
    living = LivingStore(context.store)
    lines = [f"{channel.label}:"]
    try:
        chat = await context.bot.get_chat(channel.chat)
    except TelegramError as exc:
        return [*lines, f"  ❌ nothing changed: {explain_telegram_error(exc.message)}"]
    title, description = chat.title or "", chat.description or ""
    saved = await living.save_originals(channel.key, chat.id, title, description, operator)
    state = await living.moved_state(channel.key)
    assert state is not None
    lines.append(
        "  ✅ original title and description saved"
        if saved
        else "  ℹ️ already in the moved state: the originals saved before are kept"
    )
    new_title = moved_title(state.original_title or title, channel)
    if new_title.too_long:
        lines.append(
            f"  ❌ title: too long for Telegram ({len(new_title.title)}/128 characters); left as it is"
        )
    else:
        lines.append(await _step("title", context.bot.set_chat_title(chat.id, new_title.title)))
    desc = moved_description(config, channel)
    if not desc.fits:
        lines.append("  ❌ description: too long for Telegram (255 characters) even with one link")
    else:
        line = await _step("description", context.bot.set_chat_description(chat.id, desc.text))
        if not desc.complete and "✅" in line:
            line += f" (only {desc.links} of {desc.services} links fit in 255 characters)"
        lines.append(line)
    current = await context.store.current_announcement(channel.key)
    if current is None:
        lines.append("  ❌ pin: no announcement posted yet (/announce)")
    else:
        pinned_before = (
            chat.pinned_message is not None and chat.pinned_message.message_id == current.message_id
        )
        line = await _step(
            f"pin the announcement (message {current.message_id})",
            context.bot.pin_chat_message(current.chat_id, current.message_id, disable_notification=True),
        )
        if "✅" in line and not pinned_before and saved:
            await living.set_moved_pin(channel.key, current.message_id)
        lines.append(line)
    return lines


async def _undo_moved(context: KoochContext, channel: Channel) -> list[str]:
    living = LivingStore(context.store)
    state = await living.moved_state(channel.key)
    lines = [f"{channel.label}:"]
    if state is None or not state.active:
        return [*lines, "  ℹ️ not in the moved state; nothing to restore"]
    if state.original_title:
        lines.append(
            await _step("title restored", context.bot.set_chat_title(state.chat_id, state.original_title))
        )
    lines.append(
        await _step(
            "description restored",
            context.bot.set_chat_description(state.chat_id, state.original_description),
        )
    )
    if state.pinned_message_id is not None:
        lines.append(
            await _step(
                f"unpin message {state.pinned_message_id}",
                context.bot.unpin_chat_message(state.chat_id, state.pinned_message_id),
            )
        )
    if all("✅" in line for line in lines[1:]):
        await living.mark_undone(channel.key)
    else:
        lines.append("  ⚠️ not everything was restored; the originals stay saved: try /moved undo again")
    return lines


@operator_only("moved:cancel")
async def moved_cancel(update: Update, context: KoochContext) -> str:
    return await cancel_pending(update, context, "moved", "Cancelled: the channels were not changed.")


# --------------------------------------------------------------------------------------------
# Scheduled announcements


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
    await message.reply_text(question, reply_markup=_confirm_keyboard("schedule", pending_id, "⏰ Schedule"))
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


def _queue_job(app: Application, post_id: int, due: float) -> None:
    assert app.job_queue is not None, "python-telegram-bot[job-queue] is required"
    _drop_job(app, post_id)
    when = max(0.0, due - time.time())
    app.job_queue.run_once(_scheduled_job, when, data=post_id, name=f"{JOB_PREFIX}{post_id}")


def _drop_job(app: Application, post_id: int) -> None:
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
        line, ok = await _post_announcement(context, config, channel, taken.created_by)
    await living.take_scheduled(post_id, ("posting",), "done" if ok else "failed", line)
    await context.store.add_audit(taken.created_by, "schedule:posted", f"#{post_id} {taken.channel}", line)
    tz = config.timezone
    lateness = time.time() - taken.due_at
    when = f"due {format_time(taken.due_at, tz)} ({tz})"
    if lateness > 60:
        when += f", posted {in_words(lateness)} late" + (" (the bot was down)" if not late else "")
    await notify_operators(context.application, f"⏰ Scheduled announcement #{post_id} ({when}):\n{line}")
    return line


async def restore_schedule(app: Application) -> None:
    """Rebuild the jobs from the database: future posts are queued, overdue ones posted now (within
    the grace period, and reported) or put to the operators (later than that)."""
    kooch = _kooch(app)
    living = LivingStore(kooch.store)
    config = kooch.config.current
    now = time.time()
    for s in await living.scheduled(("open", "posting")):
        if s.state == "posting":  # interrupted while posting: it may or may not be in the channel
            await living.take_scheduled(s.id, ("posting",), "failed", "interrupted while posting")
            await notify_operators(
                app,
                f"⚠️ Scheduled announcement #{s.id} for {s.channel} was being posted when the bot stopped. "
                "Check the channel; /announce posts it again if it is missing.",
            )
            continue
        action = overdue_action(s.due_at, now, config.schedule_grace_s)
        if action in ("schedule", "post"):
            _queue_job(app, s.id, s.due_at)
        else:
            await _ask_overdue(app, living, s, config)


async def _ask_overdue(app: Application, living: LivingStore, s: ScheduledPost, config: Config) -> None:
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
    for operator in sorted(config.operators):
        try:
            await app.bot.send_message(operator, text, reply_markup=keyboard)
        except TelegramError as exc:
            log.info("could not ask operator %s (%s)", operator, exc)


PRIVATE = filters.ChatType.PRIVATE

HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("reload", reload_command, filters=PRIVATE),
    CommandHandler("status", status, filters=PRIVATE),
    CommandHandler("moved", moved, filters=PRIVATE),
    CommandHandler("schedule", schedule_list, filters=PRIVATE),
    CallbackQueryHandler(moved_confirm, pattern=r"^moved:confirm:\d+$"),
    CallbackQueryHandler(moved_cancel, pattern=r"^moved:cancel:\d+$"),
    CallbackQueryHandler(schedule_confirm, pattern=r"^schedule:confirm:\d+$"),
    CallbackQueryHandler(schedule_cancel, pattern=r"^schedule:cancel:\d+$"),
    CallbackQueryHandler(schedule_drop, pattern=r"^schedule:drop:\d+$"),
    CallbackQueryHandler(schedule_late, pattern=r"^schedule:late:\d+$"),
]
