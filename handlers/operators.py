"""Operator commands (private chat, ids in ``operators`` only): /preview, /announce and its buttons.

Every handler here is wrapped by :func:`handlers.guards.operator_only`: authorisation checked on
every call, an audit row for every action and every refused attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from handlers.approving import needs_approval, request_approval
from handlers.context import KoochContext
from handlers.guards import PRIVATE, cancel_pending, language_of, operator_only, target_channels
from handlers.posting import (
    announced_since_asked,
    check_before_posting,
    confirm_buttons,
    post_now,
    show_link_verdicts,
    take_checked,
)
from handlers.schedule import ask_schedule, is_schedule_request
from kooch.announce.render import render_announcement
from kooch.announce.store import Announcement
from kooch.announce.wording import announce_question, not_in_config, second_lines
from kooch.config import Config
from kooch.destinations.links import broken
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
    # Kept with the confirmation: the confirm button asks again while links are broken, and
    # needs "a second one" where a channel has an announcement.
    checked = await check_before_posting(message, context, channels, language)
    payload = {"channels": [c.key for c in channels], "named": named, **checked.payload()}
    pending_id = await context.kooch.pending.create("announce", user.id, payload)
    keyboard = confirm_buttons("announce", pending_id, _post_label(language), checked, language)
    await message.reply_text(
        _announce_question(context, payload, checked.existing, language), reply_markup=keyboard
    )
    return (
        f"asked to confirm #{pending_id}"
        + (" (already announced)" if checked.existing else "")
        + (f" ({len(checked.broken)} broken link(s))" if checked.broken else "")
    )


def _post_label(language: str) -> str:
    return gettext(language, "📢 Post")


def _announce_question(
    context: KoochContext, payload: dict[str, Any], existing: Mapping[str, Announcement], language: str
) -> str:
    config = context.config
    channels = [c for k in payload["channels"] if (c := config.channel_by_key(k)) is not None]
    return announce_question(channels, existing, bool(payload["named"]), config.timezone, language)


async def execute_announce(
    context: KoochContext, config: Config, payload: dict[str, Any], operator_id: int, language: str
) -> tuple[str, int]:
    """Post to the channels of a confirmed /announce; the report (in ``language``, the reader's)
    and how many were posted."""
    lines = []
    posted = 0
    meanwhile = await announced_since_asked(context, payload, language)
    for key in payload["channels"]:
        channel = config.channel_by_key(key)
        if channel is None:
            lines.append(not_in_config(key, language))
            continue
        if key in meanwhile:
            lines.append(meanwhile[key])
            continue
        line, ok = await post_now(context, config, channel, operator_id, language)
        lines.append(line)
        posted += ok
    return "\n".join(lines), posted


async def _confirm(update: Update, context: KoochContext) -> str:
    """Any of the confirmation's buttons (:data:`handlers.posting.VERBS`)."""
    query = update.callback_query
    assert query is not None
    language = language_of(update, context)
    confirmed = await take_checked(
        update,
        context,
        "announce",
        _post_label(language),
        partial(_announce_question, context),
        rerun="/announce",
    )
    if isinstance(confirmed, str):
        return confirmed
    pending = confirmed.pending
    config = context.config
    if needs_approval(context):
        channels = [c for k in pending.payload["channels"] if (c := config.channel_by_key(k)) is not None]
        previews = [render_announcement(config, channel, preview=True) for channel in channels]
        broken_lines = list(pending.payload.get("broken", []))

        def detail(reader: str) -> str:
            return "\n".join(
                [*second_lines(channels, confirmed.existing, config.timezone, reader), *broken_lines]
            )

        payload = {**pending.payload, "second": confirmed.second}
        return await request_approval(update, context, "announce", payload, previews, detail)
    await query.answer(gettext(language, "Posting…"))
    report, posted = await execute_announce(context, config, pending.payload, query.from_user.id, language)
    if query.message is not None:
        await context.bot.edit_message_text(
            report, chat_id=query.message.chat.id, message_id=query.message.message_id
        )
    return f"posted {posted}/{len(pending.payload['channels'])}"


@operator_only("announce:confirm")
async def announce_confirm(update: Update, context: KoochContext) -> str:
    return await _confirm(update, context)


@operator_only("announce:second")
async def announce_second(update: Update, context: KoochContext) -> str:
    """ "Post a second one": the explicit choice where a channel has an announcement."""
    return await _confirm(update, context)


@operator_only("announce:anyway")
async def announce_anyway(update: Update, context: KoochContext) -> str:
    """The second confirmation of a post with broken links."""
    return await _confirm(update, context)


@operator_only("announce:second-anyway")
async def announce_second_anyway(update: Update, context: KoochContext) -> str:
    """The second confirmation of a second announcement with broken links."""
    return await _confirm(update, context)


@operator_only("announce:cancel")
async def announce_cancel(update: Update, context: KoochContext) -> str:
    text = gettext(language_of(update, context), "Cancelled: nothing was posted.")
    return await cancel_pending(update, context, "announce", text)


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("preview", preview, filters=PRIVATE),
    CommandHandler("announce", announce, filters=PRIVATE),
    CallbackQueryHandler(announce_confirm, pattern=r"^announce:confirm:\d+$"),
    CallbackQueryHandler(announce_second, pattern=r"^announce:second:\d+$"),
    CallbackQueryHandler(announce_anyway, pattern=r"^announce:anyway:\d+$"),
    CallbackQueryHandler(announce_second_anyway, pattern=r"^announce:second-anyway:\d+$"),
    CallbackQueryHandler(announce_cancel, pattern=r"^announce:cancel:\d+$"),
]
