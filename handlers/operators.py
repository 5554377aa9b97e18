"""Operator commands (private chat, ids in ``operators`` only): /preview, /announce and its buttons.

Every handler here is wrapped by :func:`handlers.guards.operator_only`: authorisation checked on
every call, an audit row for every action and every refused attempt.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

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
from handlers.posting import post_now
from handlers.schedule import ask_schedule, is_schedule_request
from kooch.announce.render import render_announcement
from kooch.announce.wording import announce_question, not_in_config
from kooch.i18n import embed, gettext, in_direction
from kooch.telegram.markup import markup


@operator_only("preview")
async def preview(update: Update, context: KoochContext) -> str:
    message = update.effective_message
    assert message is not None
    config = context.config
    language = language_of(update, context)
    targets = await target_channels(message, config, context.args or [], language)
    if targets is None:
        return "unknown channel"
    channels, _ = targets
    for channel in channels:
        head = gettext(language, "Preview for {channel} ({language}):")
        await message.reply_text(
            in_direction(
                head.format(channel=embed(channel.label, language), language=channel.language), language
            )
        )
        post = render_announcement(config, channel, preview=True)
        await message.reply_text(post.text, reply_markup=markup(post))
    return f"previewed {len(channels)}"


@operator_only("announce")
async def announce(update: Update, context: KoochContext) -> str:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    # "/announce [channel] at <time>" or "… in 2h" schedules the post instead.
    if is_schedule_request(context.args or []):
        return await ask_schedule(update, context)
    config = context.config
    language = language_of(update, context)
    targets = await target_channels(message, config, context.args or [], language)
    if targets is None:
        return "unknown channel"
    channels, named = targets
    for channel in channels:
        post = render_announcement(config, channel, preview=True)
        await message.reply_text(post.text, reply_markup=markup(post))
    existing = {}
    for channel in channels:
        current = await context.kooch.announcements.current_announcement(channel.key)
        if current is not None:
            existing[channel.key] = current
    pending_id = await context.kooch.pending.create(
        "announce", user.id, {"channels": [c.key for c in channels], "named": named}
    )
    label = gettext(language, "📢 Post a new one") if existing else gettext(language, "📢 Post")
    keyboard = confirm_keyboard("announce", pending_id, label, language)
    await message.reply_text(
        announce_question(channels, existing, named, config.timezone, language), reply_markup=keyboard
    )
    return f"asked to confirm #{pending_id}" + (" (already announced)" if existing else "")


@operator_only("announce:confirm")
async def announce_confirm(update: Update, context: KoochContext) -> str:
    query = update.callback_query
    assert query is not None
    pending = await take_confirmation(update, context, "announce", rerun="/announce")
    if isinstance(pending, str):
        return pending
    language = language_of(update, context)
    await query.answer(gettext(language, "Posting…"))
    config = context.config
    lines = []
    posted = 0
    for key in pending.payload["channels"]:
        channel = config.channel_by_key(key)
        if channel is None:
            lines.append(not_in_config(key, language))
            continue
        line, ok = await post_now(context, config, channel, query.from_user.id, language)
        lines.append(line)
        posted += ok
    if query.message is not None:
        await context.bot.edit_message_text(
            "\n".join(lines), chat_id=query.message.chat.id, message_id=query.message.message_id
        )
    return f"posted {posted}/{len(pending.payload['channels'])}"


@operator_only("announce:cancel")
async def announce_cancel(update: Update, context: KoochContext) -> str:
    text = gettext(language_of(update, context), "Cancelled: nothing was posted.")
    return await cancel_pending(update, context, "announce", text)


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("preview", preview, filters=PRIVATE),
    CommandHandler("announce", announce, filters=PRIVATE),
    CallbackQueryHandler(announce_confirm, pattern=r"^announce:confirm:\d+$"),
    CallbackQueryHandler(announce_cancel, pattern=r"^announce:cancel:\d+$"),
]
