"""The channel's own posts, for the mirror (issue 27): a new post and an edit of one, as Telegram
delivers them to Kooch (an administrator of the channel). Kooch's own posts come as no update."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from kooch.config import Config
from kooch.handlers.context import KoochContext


def channel_key(config: Config, chat_id: int, username: str | None) -> str | None:
    """The config key of the channel ``chat_id`` / ``@username`` (None: not one of Kooch's)."""
    for channel in config.channels:
        chat = channel.chat
        if chat == chat_id or (
            isinstance(chat, str) and username and chat.lstrip("@").lower() == username.lower()
        ):
            return channel.key
    return None


async def channel_post(update: Update, context: KoochContext) -> None:
    """A new post, or an edit, in an announced channel: the mirror takes it (when on)."""
    message = update.channel_post or update.edited_channel_post
    if message is None:
        return
    key = channel_key(context.config, message.chat.id, message.chat.username)
    if key is None:
        return
    await context.kooch.mirror.take(
        key, message.message_id, message.to_dict(), edited=update.edited_channel_post is not None
    )


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    MessageHandler(filters.UpdateType.CHANNEL_POSTS, channel_post),
]
