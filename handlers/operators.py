"""Operator commands (private chat, ids in ``operators`` only): /preview, /announce and its buttons.

Every handler here is wrapped by :func:`handlers.guards.operator_only`: authorisation checked on
every call, an audit row for every action and every refused attempt.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

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
from handlers.posting import post_now
from handlers.schedule import ask_schedule, is_schedule_request
from kooch.announce.render import render_announcement
from kooch.announce.wording import announce_question, not_in_config
from kooch.config import Config
from kooch.destinations.links import LinkResult, broken
from kooch.destinations.wording import confirm_again, confirm_label, link_line, links_report, post_anyway
from kooch.i18n import gettext, isolate, paragraph
from kooch.telegram.markup import markup


async def show_link_verdicts(
    message: Message, context: KoochContext, language: str
) -> list[LinkResult] | None:
    """Check every configured link now and show the verdicts under a preview (None: checks off)."""
    results = await context.kooch.links.check_now()
    if results is not None:
        await message.reply_text(links_report(results, language)[:4096], disable_web_page_preview=True)
    return results


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
            paragraph(head.format(channel=isolate(channel.label), language=channel.language), language)
        )
        post = render_announcement(config, channel, preview=True)
        await message.reply_text(post.text, reply_markup=markup(post))
    results = await show_link_verdicts(message, context, language)
    bad = "" if results is None else f", {len(broken(results))} broken link(s)"
    return f"previewed {len(channels)}{bad}"


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
    results = await show_link_verdicts(message, context, language)
    # Kept with the confirmation: the confirm button asks again while they are broken.
    broken_lines = [link_line(r, language) for r in broken(results or [])]
    existing = {}
    for channel in channels:
        current = await context.kooch.announcements.current_announcement(channel.key)
        if current is not None:
            existing[channel.key] = current
    pending_id = await context.kooch.pending.create(
        "announce",
        user.id,
        {"channels": [c.key for c in channels], "named": named, "broken": broken_lines},
    )
    label = gettext(language, "📢 Post a new one") if existing else gettext(language, "📢 Post")
    label = confirm_label(len(broken_lines), label, language)
    keyboard = confirm_keyboard("announce", pending_id, label, language)
    await message.reply_text(
        announce_question(channels, existing, named, config.timezone, language), reply_markup=keyboard
    )
    return (
        f"asked to confirm #{pending_id}"
        + (" (already announced)" if existing else "")
        + (f" ({len(broken_lines)} broken link(s))" if broken_lines else "")
    )


async def execute_announce(
    context: KoochContext, config: Config, payload: dict[str, Any], operator_id: int, language: str
) -> tuple[str, int]:
    """Post to the channels of a confirmed /announce; the report (in ``language``, the reader's)
    and how many were posted."""
    lines = []
    posted = 0
    for key in payload["channels"]:
        channel = config.channel_by_key(key)
        if channel is None:
            lines.append(not_in_config(key, language))
            continue
        line, ok = await post_now(context, config, channel, operator_id, language)
        lines.append(line)
        posted += ok
    return "\n".join(lines), posted


async def _confirm(update: Update, context: KoochContext, *, again: bool) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    language = language_of(update, context)
    if not again:
        # Broken links: the first press asks again, in so many words; the pending action stays open.
        waiting = await context.kooch.pending.get(int(query.data.rsplit(":", 1)[1]), "announce")
        broken_lines = [] if waiting is None else list(waiting.payload.get("broken", []))
        if waiting is not None and broken_lines:
            await query.answer(gettext(language, "Some links are broken: confirm again."))
            if query.message is not None:
                keyboard = InlineKeyboardMarkup(
                    [
                        [
                            InlineKeyboardButton(
                                post_anyway(language), callback_data=f"announce:anyway:{waiting.id}"
                            ),
                            InlineKeyboardButton(
                                gettext(language, "Cancel"), callback_data=f"announce:cancel:{waiting.id}"
                            ),
                        ]
                    ]
                )
                await context.bot.edit_message_text(
                    confirm_again(broken_lines, language)[:4096],
                    chat_id=query.message.chat.id,
                    message_id=query.message.message_id,
                    reply_markup=keyboard,
                    disable_web_page_preview=True,
                )
            return f"asked again: {len(broken_lines)} broken link(s)"
    pending = await take_confirmation(update, context, "announce", rerun="/announce")
    if isinstance(pending, str):
        return pending
    config = context.config
    if needs_approval(context):
        previews = [
            render_announcement(config, channel, preview=True)
            for key in pending.payload["channels"]
            if (channel := config.channel_by_key(key)) is not None
        ]
        detail = "\n".join(pending.payload.get("broken", []))
        return await request_approval(update, context, "announce", pending.payload, previews, detail)
    await query.answer(gettext(language, "Posting…"))
    report, posted = await execute_announce(context, config, pending.payload, query.from_user.id, language)
    if query.message is not None:
        await context.bot.edit_message_text(
            report, chat_id=query.message.chat.id, message_id=query.message.message_id
        )
    return f"posted {posted}/{len(pending.payload['channels'])}"


@operator_only("announce:confirm")
async def announce_confirm(update: Update, context: KoochContext) -> str:
    return await _confirm(update, context, again=False)


@operator_only("announce:anyway")
async def announce_anyway(update: Update, context: KoochContext) -> str:
    """The second confirmation of a post with broken links."""
    return await _confirm(update, context, again=True)


@operator_only("announce:cancel")
async def announce_cancel(update: Update, context: KoochContext) -> str:
    text = gettext(language_of(update, context), "Cancelled: nothing was posted.")
    return await cancel_pending(update, context, "announce", text)


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("preview", preview, filters=PRIVATE),
    CommandHandler("announce", announce, filters=PRIVATE),
    CallbackQueryHandler(announce_confirm, pattern=r"^announce:confirm:\d+$"),
    CallbackQueryHandler(announce_anyway, pattern=r"^announce:anyway:\d+$"),
    CallbackQueryHandler(announce_cancel, pattern=r"^announce:cancel:\d+$"),
]
