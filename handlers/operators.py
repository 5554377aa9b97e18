"""Operator commands (private chat, ids in ``operators`` only): /preview, /announce and its buttons.

Every handler here is wrapped by :func:`handlers.guards.operator_only`: authorisation checked on
every call, an audit row for every action and every refused attempt.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from kooch.announce.render import render_announcement
from kooch.announce.store import Announcement
from kooch.announce.wording import announce_question, not_in_config, second_lines
from kooch.config import Config
from kooch.destinations.links import broken
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
    post_now,
    show_link_verdicts,
)
from kooch.handlers.schedule import ask_schedule, is_schedule_request
from kooch.i18n import gettext, isolate, language_name, paragraph
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
            paragraph(
                head.format(
                    channel=isolate(channel.label), language=language_name(channel.language, language)
                ),
                language,
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
    # The checks kept with the question: the confirm button asks again while links are broken,
    # and a channel that has an announcement needs "post a second one".
    return await ask_to_confirm(message, context, ANNOUNCE, user.id, channels, {"named": named}, language)


def _announce_question(
    context: KoochContext, payload: dict[str, Any], existing: Mapping[str, Announcement], language: str
) -> str:
    channels = channels_of(context.config, payload["channels"])
    return announce_question(channels, existing, bool(payload["named"]), context.config.timezone, language)


def _announce_account(
    context: KoochContext, payload: dict[str, Any], existing: Mapping[str, Announcement], language: str
) -> str:
    """For the approver: where it would be a second announcement."""
    channels = channels_of(context.config, payload["channels"])
    return "\n".join(second_lines(channels, existing, context.config.timezone, language))


ANNOUNCE = Confirmation(
    "announce",
    label=lambda language: gettext(language, "📢 Post"),
    question=_announce_question,
    account=_announce_account,
    rerun="/announce",
)


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


async def _confirmed(update: Update, context: KoochContext, confirmed: Confirmed) -> str:
    """A confirmation that passed the checks: approval, or posting now."""
    if needs_approval(context):
        return await ask_approval(update, context, ANNOUNCE, confirmed)
    query = update.callback_query
    assert query is not None
    language = language_of(update, context)
    payload = confirmed.pending.payload
    await query.answer(gettext(language, "Posting…"))
    report, posted = await execute_announce(context, context.config, payload, query.from_user.id, language)
    if query.message is not None:
        await context.bot.edit_message_text(
            report, chat_id=query.message.chat.id, message_id=query.message.message_id
        )
    return f"posted {posted}/{len(payload['channels'])}"


@operator_only("announce:cancel")
async def announce_cancel(update: Update, context: KoochContext) -> str:
    text = gettext(language_of(update, context), "Cancelled: nothing was posted.")
    return await cancel_pending(update, context, "announce", text)


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("preview", preview, filters=PRIVATE),
    CommandHandler("announce", announce, filters=PRIVATE),
    # Post, Post a second one, and their "despite broken links" seconds (handlers.posting.VERBS).
    *confirm_handlers(ANNOUNCE, _confirmed),
    CallbackQueryHandler(announce_cancel, pattern=r"^announce:cancel:\d+$"),
]
