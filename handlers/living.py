"""The living announcement, operator side: /reload, /status, /moved [undo] and their buttons.

Every command goes through :func:`handlers.guards.operator_only` (authorisation checked on each
call, audit row written).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable

from telegram import Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from handlers.context import KoochContext
from handlers.guards import (
    CONFIRM_TTL_S,
    PRIVATE,
    cancel_pending,
    confirm_keyboard,
    operator_only,
    target_channels,
)
from kooch.announce.moved import MovedTitle, moved_description, moved_title
from kooch.announce.store import LivingStore
from kooch.announce.wording import ChannelStatus, format_status, moved_question
from kooch.config import Channel, Config
from kooch.operators.wording import channels_phrase
from kooch.telegram.errors import explain_telegram_error

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# /reload and /status


@operator_only("reload")
async def reload_command(update: Update, context: KoochContext) -> str:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    outcome = await context.kooch.reloader.reload(f"/reload by {user.id}", requested_by=user.id)
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
    posts = await sync.statuses(keys)
    scheduled = await living.scheduled()
    counts = sync.counts
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
    reload_state = context.kooch.reloader.state
    await message.reply_text(format_status(config, reload_state, rows, named, time.time())[:4096])
    return f"status for {channels_phrase(channels, named)}"


# --------------------------------------------------------------------------------------------
# /moved [channel], /moved undo [channel]


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
    await message.reply_text(question[:4096], reply_markup=confirm_keyboard("moved", pending_id, button))
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


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("reload", reload_command, filters=PRIVATE),
    CommandHandler("status", status, filters=PRIVATE),
    CommandHandler("moved", moved, filters=PRIVATE),
    CallbackQueryHandler(moved_confirm, pattern=r"^moved:confirm:\d+$"),
    CallbackQueryHandler(moved_cancel, pattern=r"^moved:cancel:\d+$"),
]
