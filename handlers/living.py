"""The living announcement, operator side: /reload, /status, /moved [undo] and their buttons.

Every command goes through :func:`handlers.guards.operator_only` (authorisation checked on each
call, audit row written).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from kooch import version
from kooch.announce.moved import anything_to_undo
from kooch.announce.moving import MovedWorkflow
from kooch.announce.wording import (
    ChannelStatus,
    format_status,
    moved_question,
    moved_report,
    undo_lines,
    undo_question,
)
from kooch.config import Config
from kooch.config.reload import reload_by
from kooch.destinations.wording import status_lines
from kooch.handlers.approving import needs_approval, request_approval
from kooch.handlers.context import KoochContext
from kooch.handlers.guards import (
    PRIVATE,
    cancel_pending,
    confirm_keyboard,
    language_of,
    operator_only,
    take_confirmation,
    target_channels,
)
from kooch.i18n import gettext, paragraph
from kooch.operators.replica_wording import replica_line, version_line
from kooch.operators.wording import channels_phrase
from kooch.store.leader import PgLeader

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# /reload and /status


@operator_only("reload")
async def reload_command(update: Update, context: KoochContext) -> str:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    outcome = await context.kooch.reloader.reload(
        partial(reload_by, user.id, name=context.kooch.operator_languages.name(user.id)), requested_by=user.id
    )
    await message.reply_text(outcome.say(language_of(update, context))[:4096])
    return outcome.kind


@operator_only("status")
async def status(update: Update, context: KoochContext) -> str:
    message = update.effective_message
    assert message is not None
    config = context.config
    language = language_of(update, context)
    targets = await target_channels(message, config, context.args or [], language)
    if targets is None:
        return "unknown channel"
    channels, named = targets
    announcements = context.kooch.announcements
    sync = context.kooch.sync
    keys = [c.key for c in channels]
    posts = await sync.statuses(keys)
    scheduled = await announcements.scheduled()
    counts = sync.counts
    rows = []
    for channel in channels:
        rows.append(
            ChannelStatus(
                channel=channel,
                posts=[p for p in posts if p.row.channel == channel.key],
                count=counts.get(channel.key),
                moved=await announcements.moved_state(channel.key),
                scheduled=[s for s in scheduled if s.channel == channel.key],
            )
        )
    text = format_status(
        config, context.kooch.reloader.state, rows, named, context.kooch.clock.now(), language
    )
    links = status_lines(
        await context.kooch.links.last(),
        config.timezone,
        context.kooch.links.enabled,
        config.link_check_interval_s,
        language,
        config.services,
    )
    build = version.build()
    text = "\n".join(
        [text, "", *links, "", paragraph(version_line(build.version, build.revision, language), language)]
    )
    leader = context.kooch.leadership.leader
    if isinstance(leader, PgLeader):  # one process on SQLite: nothing to say
        text += "\n\n" + replica_line(leader.name, leader.is_leader, leader.epoch, language)
    await message.reply_text(text[:4096], disable_web_page_preview=True)
    return f"status for {channels_phrase(channels, named)}"


# --------------------------------------------------------------------------------------------
# /moved [channel], /moved undo [channel]


def _workflow(context: KoochContext) -> MovedWorkflow:
    return MovedWorkflow(context.kooch.gateway, context.kooch.announcements)


@operator_only("moved")
async def moved(update: Update, context: KoochContext) -> str:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    args = list(context.args or [])
    undo = bool(args) and args[0].lower() == "undo"
    if undo:
        args = args[1:]
    config = context.config
    language = language_of(update, context)
    targets = await target_channels(message, config, args, language)
    if targets is None:
        return "unknown channel"
    channels, named = targets
    if undo:
        plans = await _workflow(context).undo_plans(channels)
        if not anything_to_undo(plans):
            await message.reply_text("\n".join(undo_lines(plans, language)))
            return "nothing to undo"
        question, button = undo_question(plans, named, language), gettext(language, "↩️ Restore")
    else:
        question = moved_question(await _workflow(context).plans(config, channels), named, language)
        button = gettext(language, "🏷 Set the moved state")
    pending_id = await context.kooch.pending.create(
        "moved",
        user.id,
        # The question too: with ``approval: 2`` the second operator reads what the first saw.
        {"channels": [c.key for c in channels], "named": named, "undo": undo, "question": question[:3000]},
    )
    await message.reply_text(
        question[:4096], reply_markup=confirm_keyboard("moved", pending_id, button, language)
    )
    return f"asked to confirm #{pending_id}"


@operator_only("moved:confirm")
async def moved_confirm(update: Update, context: KoochContext) -> str:
    query = update.callback_query
    assert query is not None
    pending = await take_confirmation(update, context, "moved", rerun="/moved")
    if isinstance(pending, str):
        return pending
    if needs_approval(context):
        detail = str(pending.payload.get("question", ""))
        return await request_approval(update, context, "moved", pending.payload, [], detail)
    undo = bool(pending.payload["undo"])
    language = language_of(update, context)
    await query.answer(gettext(language, "Restoring…") if undo else gettext(language, "Working…"))
    said, lines = await execute_moved(context, context.config, pending.payload, query.from_user.id, language)
    if query.message is not None:
        await context.bot.edit_message_text(
            "\n".join(said)[:4096],
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
        )
    return ("undo: " if undo else "") + "; ".join(lines)[:500]


async def execute_moved(
    context: KoochContext, config: Config, payload: dict[str, Any], operator_id: int, language: str
) -> tuple[list[str], list[str]]:
    """Run a confirmed /moved (or its undo); the report's lines in ``language`` (the reader's),
    and in English (the audit's words)."""
    reports = await _workflow(context).run(
        config, payload["channels"], operator_id, undo=bool(payload["undo"])
    )
    return moved_report(reports, language), moved_report(reports)


@operator_only("moved:cancel")
async def moved_cancel(update: Update, context: KoochContext) -> str:
    text = gettext(language_of(update, context), "Cancelled: the channels were not changed.")
    return await cancel_pending(update, context, "moved", text)


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("reload", reload_command, filters=PRIVATE),
    CommandHandler("status", status, filters=PRIVATE),
    CommandHandler("moved", moved, filters=PRIVATE),
    CallbackQueryHandler(moved_confirm, pattern=r"^moved:confirm:\d+$"),
    CallbackQueryHandler(moved_cancel, pattern=r"^moved:cancel:\d+$"),
]
