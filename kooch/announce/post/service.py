"""Posting the announcement to a channel: post, pin if configured, record, hand it to the sync
engine. Returns a typed outcome; :func:`kooch.announce.post.wording.post_report` says it in words."""

from __future__ import annotations

import logging

from kooch.announce.post.model import PostOutcome, content_hash
from kooch.announce.store import AnnouncementStore
from kooch.announce.sync.service import SyncEngine
from kooch.config import Channel, Config
from kooch.telegram.gateway import Gateway, Refused

log = logging.getLogger(__name__)


async def post_announcement(
    gateway: Gateway,
    announcements: AnnouncementStore,
    sync: SyncEngine,
    config: Config,
    channel: Channel,
    operator_id: int,
) -> PostOutcome:
    """Post the announcement ``config`` renders for ``channel`` (with the live counter's number)."""
    post = sync.render(config, channel)
    try:
        sent = await gateway.send_post(channel.chat, post)
    except Refused as exc:
        log.warning("posting to %s failed: %s", channel.label, exc.description)
        return PostOutcome(channel, refused=exc.description)
    pinned, pin_refused = False, None
    if channel.pin:
        try:
            await gateway.pin(sent.chat_id, sent.message_id)
            pinned = True
        except Refused as exc:
            pin_refused = exc.description
    await announcements.add_announcement(
        channel.key, sent.chat_id, sent.message_id, operator_id, content_hash(post), pinned
    )
    await sync.posted(sent.chat_id, sent.message_id, post)
    return PostOutcome(channel, sent.message_id, pinned=pinned, pin_refused=pin_refused)
