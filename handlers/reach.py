"""What Telegram tells about the announced channels' audience (issue 26): people joining and leaving
(``chat_member``, when the bot is an administrator) and the reaction totals on an announcement
(``message_reaction_count``). Both are counted, never kept per person
(:mod:`kooch.insight.audience`); both must be named in ``allowed_updates``
(:data:`kooch.telegram.updates.ALLOWED_UPDATES`)."""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import ChatMember, ChatMemberRestricted, Update
from telegram.ext import BaseHandler, ChatMemberHandler, MessageReactionHandler

from kooch.config import Channel, Config
from kooch.handlers.context import KoochContext
from kooch.insight.audience import IN_CHANNEL, AudienceStore, change, local_day

log = logging.getLogger(__name__)


def _channel(config: Config, chat_id: int, username: str | None) -> Channel | None:
    channel = config.channel(str(chat_id))
    if channel is None and username:
        channel = config.channel(f"@{username}")
    return channel


def _in_channel(member: ChatMember) -> bool:
    if isinstance(member, ChatMemberRestricted):
        return member.is_member
    return member.status in IN_CHANNEL


async def member_changed(update: Update, context: KoochContext) -> None:
    """Someone joined or left an announced channel: one more in that day's count."""
    changed = update.chat_member
    if changed is None:
        return
    config = context.config
    channel = _channel(config, changed.chat.id, changed.chat.username)
    if channel is None:
        return
    joined, left = change(_in_channel(changed.old_chat_member), _in_channel(changed.new_chat_member))
    if not joined and not left:
        return  # a promotion, a restriction: still in the channel
    day = local_day(_timestamp(changed.date, context), config.timezone)
    user_id = changed.new_chat_member.user.id
    await AudienceStore(context.kooch.store).member_changed(channel.key, user_id, joined, left, day)


async def reactions_counted(update: Update, context: KoochContext) -> None:
    """Telegram's anonymous reaction total on a channel post: kept when it is an announcement."""
    counted = update.message_reaction_count
    if counted is None:
        return
    channel = _channel(context.config, counted.chat.id, counted.chat.username)
    if channel is None:
        return
    if await context.kooch.announcements.find_announcement(counted.chat.id, counted.message_id) is None:
        return  # another post of the channel
    total = sum(r.total_count for r in counted.reactions)
    at = _timestamp(counted.date, context)
    await AudienceStore(context.kooch.store).reactions_reported(channel.key, counted.message_id, at, total)


def _timestamp(date: datetime | None, context: KoochContext) -> float:
    return date.timestamp() if date is not None else context.kooch.clock.now()


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    ChatMemberHandler(member_changed, chat_member_types=ChatMemberHandler.CHAT_MEMBER),
    MessageReactionHandler(
        reactions_counted, message_reaction_types=MessageReactionHandler.MESSAGE_REACTION_COUNT_UPDATED
    ),
]
