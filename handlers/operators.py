"""Operator commands (private chat, ids in ``operators`` only): /preview, /announce, /stats.

Every handler here is wrapped by :func:`operator_only`, which checks authorisation on every call
(the config may have changed since the last one) and writes the audit row: who, what, when, result.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from handlers.context import KoochContext
from kooch.config import Channel, Config
from kooch.operator_text import (
    REFUSAL,
    ChannelFigures,
    announce_question,
    channels_phrase,
    explain_telegram_error,
    format_stats,
)
from kooch.render import Post, markup, render_announcement

log = logging.getLogger(__name__)

#: A confirmation button older than this asks the operator to start again.
CONFIRM_TTL_S = 3600.0

OperatorHandler = Callable[[Update, KoochContext], Awaitable[str]]
Handler = Callable[[Update, KoochContext], Coroutine[Any, Any, None]]


def operator_only(action: str) -> Callable[[OperatorHandler], Handler]:
    """Refuse non-operators (and audit the attempt); audit the result of every operator action."""

    def wrap(fn: OperatorHandler) -> Handler:
        @functools.wraps(fn)
        async def inner(update: Update, context: KoochContext) -> None:
            user = update.effective_user
            if user is None:
                return
            query = update.callback_query
            detail = (
                (query.data if query else None)
                or (update.effective_message.text if update.effective_message else None)
                or ""
            )
            if not context.config.is_operator(user.id):
                if query is not None:
                    await query.answer(REFUSAL, show_alert=True)
                elif update.effective_message is not None:
                    await update.effective_message.reply_text(REFUSAL)
                await context.store.add_audit(user.id, action, detail, "refused: not an operator")
                return
            try:
                result = await fn(update, context)
            except Exception as exc:
                await context.store.add_audit(user.id, action, detail, f"error: {exc!r}")
                raise
            await context.store.add_audit(user.id, action, detail, result)

        return inner

    return wrap


def resolve_channels(config: Config, args: list[str]) -> tuple[list[Channel], bool] | str:
    """The channels a command acts on: the one named, or all; a string is the error to show."""
    if not args:
        return list(config.channels), False
    channel = config.channel(args[0])
    if channel is None:
        known = ", ".join(f"{c.key} ({c.label})" for c in config.channels)
        return f"Unknown channel '{args[0]}'. Known channels: {known}"
    return [channel], True


async def target_channels(
    message: Message, config: Config, args: list[str]
) -> tuple[list[Channel], bool] | None:
    """The channels a command acts on, as :func:`resolve_channels`; None once the operator has been
    told that the channel they named is unknown."""
    targets = resolve_channels(config, args)
    if isinstance(targets, str):
        await message.reply_text(targets)
        return None
    return targets


def content_hash(post: Post) -> str:
    return hashlib.sha256(repr(post).encode()).hexdigest()[:16]


@operator_only("preview")
async def preview(update: Update, context: KoochContext) -> str:
    message = update.effective_message
    assert message is not None
    config = context.config
    targets = await target_channels(message, config, context.args or [])
    if targets is None:
        return "unknown channel"
    channels, _ = targets
    for channel in channels:
        await message.reply_text(f"Preview for {channel.label} ({channel.language}):")
        post = render_announcement(config, channel, preview=True)
        await message.reply_text(post.text, reply_markup=markup(post))
    return f"previewed {len(channels)}"


@operator_only("announce")
async def announce(update: Update, context: KoochContext) -> str:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    # Issue 3: "/announce [channel] at <time>" or "… in 2h" schedules the post instead.
    import handlers.living  # here: handlers.living imports this module

    if handlers.living.is_schedule_request(context.args or []):
        return await handlers.living.ask_schedule(update, context)
    config = context.config
    targets = await target_channels(message, config, context.args or [])
    if targets is None:
        return "unknown channel"
    channels, named = targets
    for channel in channels:
        post = render_announcement(config, channel, preview=True)
        await message.reply_text(post.text, reply_markup=markup(post))
    existing = {}
    for channel in channels:
        current = await context.store.current_announcement(channel.key)
        if current is not None:
            existing[channel.key] = current
    pending_id = await context.store.create_pending(
        "announce", user.id, {"channels": [c.key for c in channels], "named": named}
    )
    post_label = "📢 Post a new one" if existing else "📢 Post"
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(post_label, callback_data=f"announce:confirm:{pending_id}"),
                InlineKeyboardButton("Cancel", callback_data=f"announce:cancel:{pending_id}"),
            ]
        ]
    )
    await message.reply_text(
        announce_question(channels, existing, named, config.timezone), reply_markup=keyboard
    )
    return f"asked to confirm #{pending_id}" + (" (already announced)" if existing else "")


@operator_only("announce:confirm")
async def announce_confirm(update: Update, context: KoochContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    pending_id = int(query.data.rsplit(":", 1)[1])
    pending = await context.store.take_pending(pending_id, "announce", "done")
    if pending is None:
        await query.answer("This confirmation was already used or cancelled.", show_alert=True)
        return "stale confirmation"
    if time.time() - pending.created_at > CONFIRM_TTL_S:
        await query.answer("This confirmation expired: run /announce again.", show_alert=True)
        return "expired confirmation"
    await query.answer("Posting…")
    config = context.config
    lines = []
    posted = 0
    for key in pending.payload["channels"]:
        channel = config.channel_by_key(key)
        if channel is None:
            lines.append(f"❌ {key}: no longer in the config; nothing posted.")
            continue
        line, ok = await _post_announcement(context, config, channel, query.from_user.id)
        lines.append(line)
        posted += ok
    if query.message is not None:
        await context.bot.edit_message_text(
            "\n".join(lines), chat_id=query.message.chat.id, message_id=query.message.message_id
        )
    return f"posted {posted}/{len(pending.payload['channels'])}"


async def _post_announcement(
    context: KoochContext, config: Config, channel: Channel, operator_id: int
) -> tuple[str, bool]:
    """Post, pin if configured, record. Returns the operator's report line and whether it posted."""
    sync = context.kooch.sync  # issue 3: the live counter's number, and the post's sync state
    post = sync.render(config, channel) if sync is not None else render_announcement(config, channel)
    try:
        sent = await context.bot.send_message(channel.chat, post.text, reply_markup=markup(post))
    except (BadRequest, Forbidden) as exc:
        log.warning("posting to %s failed: %s", channel.label, exc.message)
        return f"❌ {channel.label}: not posted: {explain_telegram_error(exc.message)}", False
    pinned = False
    pin_note = ""
    if channel.pin:
        try:
            pinned = await context.bot.pin_chat_message(sent.chat.id, sent.message_id)
            pin_note = ", pinned"
        except TelegramError as exc:
            pin_note = f", but not pinned: {explain_telegram_error(exc.message)}"
    await context.store.add_announcement(
        channel.key, sent.chat.id, sent.message_id, operator_id, content_hash(post), pinned
    )
    if sync is not None:
        await sync.posted(sent.chat.id, sent.message_id, post)
    return f"✅ {channel.label}: posted (message {sent.message_id}){pin_note}", True


@operator_only("announce:cancel")
async def announce_cancel(update: Update, context: KoochContext) -> str:
    return await cancel_pending(update, context, "announce", "Cancelled: nothing was posted.")


async def cancel_pending(update: Update, context: KoochContext, kind: str, text: str) -> str:
    """A Cancel button under a confirmation: close the pending action once, say so in its message."""
    query = update.callback_query
    assert query is not None and query.data is not None
    pending = await context.store.take_pending(int(query.data.rsplit(":", 1)[1]), kind, "cancelled")
    if pending is None:
        await query.answer("This confirmation was already used or cancelled.", show_alert=True)
        return "stale cancel"
    await query.answer("Cancelled.")
    if query.message is not None:
        await context.bot.edit_message_text(
            text, chat_id=query.message.chat.id, message_id=query.message.message_id
        )
    return "cancelled"


@operator_only("stats")
async def stats(update: Update, context: KoochContext) -> str:
    message = update.effective_message
    assert message is not None
    config = context.config
    targets = await target_channels(message, config, context.args or [])
    if targets is None:
        return "unknown channel"
    channels, named = targets
    now = time.time()
    counts = await context.store.ack_counts([c.key for c in channels], now)
    # Clicks (issue 4): counted only when the buttons point at Kooch's redirect links.
    clicks = context.kooch.clicks
    web = config.web
    counting = clicks is not None and web is not None and bool(web.public_url)
    service_clicks = None
    channel_clicks: dict[str, int] = {}
    if counting and clicks is not None:
        await clicks.flush()  # the clicks of the last half second too
        service_clicks = await clicks.by_service([c.key for c in channels] if named else None)
        channel_clicks = await clicks.humans_by_channel()
    figures = []
    for channel in channels:
        members: int | None = None
        members_error: str | None = None
        try:
            members = await context.bot.get_chat_member_count(channel.chat)
        except TelegramError as exc:
            members_error = explain_telegram_error(exc.message)
        figures.append(
            ChannelFigures(
                channel=channel,
                acks=counts[channel.key],
                members=members,
                members_error=members_error,
                announcement=await context.store.current_announcement(channel.key),
                clicks=channel_clicks.get(channel.key, 0) if counting else None,
            )
        )
    started = await context.store.started_count()
    await message.reply_text(format_stats(config, figures, started, now, named, service_clicks))
    # Issue 5: the chart (imported here because handlers.insight imports operator_only from here).
    from handlers.insight import send_stats_chart

    await send_stats_chart(update, context, channels, named)
    return f"stats for {channels_phrase(channels, named)}"


PRIVATE = filters.ChatType.PRIVATE

HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("preview", preview, filters=PRIVATE),
    CommandHandler("announce", announce, filters=PRIVATE),
    CommandHandler("stats", stats, filters=PRIVATE),
    CallbackQueryHandler(announce_confirm, pattern=r"^announce:confirm:\d+$"),
    CallbackQueryHandler(announce_cancel, pattern=r"^announce:cancel:\d+$"),
]
