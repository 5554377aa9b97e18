"""Operator commands (private chat, ids in ``operators`` only): /preview, /announce and its buttons.

Every handler here is wrapped by :func:`handlers.guards.operator_only`: authorisation checked on
every call, an audit row for every action and every refused attempt.
"""

from __future__ import annotations

from collections.abc import Mapping

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from kooch.actions.gated.announce import Announce, AnnouncePayload
from kooch.announce.post.wording import announce_question
from kooch.announce.render import render_announcement
from kooch.announce.store import Announcement
from kooch.destinations.links import broken
from kooch.handlers.confirming import confirmed
from kooch.handlers.context import KoochContext
from kooch.handlers.guards import PRIVATE, language_of, operator_only, target_channels
from kooch.handlers.posting import (
    Confirmation,
    Confirmed,
    ask_schedule,
    ask_to_confirm,
    channels_of,
    confirm_handlers,
    is_schedule_request,
    show_link_verdicts,
)
from kooch.i18n import gettext, isolate, language_name, paragraph
from kooch.operators.audit import Record, Step
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
async def announce(update: Update, context: KoochContext) -> Record | str:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    # "/announce [channel] at <time>" or "… in 2h" schedules the post instead.
    if is_schedule_request(context.args or []):
        return await ask_schedule(update, context)
    config = context.config
    language = language_of(update, context)
    targets = await target_channels(message, config, context.args or [], language)
    if targets is None:
        return Record(ANNOUNCE.kind, Step.ANSWERED, codes=("unknown-channel",))
    channels, named = targets
    # The checks kept with the question: the confirm button asks again while links are broken,
    # and a channel that has an announcement needs "post a second one".
    payload = AnnouncePayload(tuple(c.key for c in channels), named)
    return await ask_to_confirm(message, context, ANNOUNCE, user.id, channels, payload, language)


def _announce_question(
    context: KoochContext, payload: AnnouncePayload, existing: Mapping[str, Announcement], language: str
) -> str:
    channels = channels_of(context.config, list(payload.channels))
    return announce_question(channels, existing, payload.named, context.config.timezone, language)


ANNOUNCE = Confirmation(
    Announce(),
    label=lambda language: gettext(language, "📢 Post"),
    question=_announce_question,
    rerun="/announce",
)


async def _confirmed(update: Update, context: KoochContext, done: Confirmed) -> Record:
    """A confirmation that passed the checks: approval, or posting now."""
    return await confirmed(update, context, ANNOUNCE.action, done.payload, done.pending.id)


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("preview", preview, filters=PRIVATE),
    CommandHandler("announce", announce, filters=PRIVATE),
    # Post, Post a second one, and their "despite broken links" seconds (handlers.posting.VERBS).
    *confirm_handlers(ANNOUNCE, _confirmed),
]
