"""The living announcement, operator side: /reload and /status (/moved is a gated action:
:mod:`kooch.actions.gated.moved`, its handlers :mod:`handlers.actions`'s).

Every command goes through :func:`handlers.guards.operator_only` (authorisation checked on each
call, audit row written).
"""

from __future__ import annotations

import logging
from functools import partial

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from kooch import version
from kooch.across import wording as across_wording
from kooch.announce.status import ChannelStatus, format_status, replica_line, version_line
from kooch.app.background import work_lines
from kooch.config.reload import reload_by
from kooch.destinations.wording import status_lines
from kooch.handlers.context import KoochContext
from kooch.handlers.guards import (
    PRIVATE,
    language_of,
    operator_only,
    target_channels,
)
from kooch.i18n import paragraph
from kooch.operators.wording import channels_phrase
from kooch.store.leader import PgLeader
from kooch.telegram.limits import fit

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
    await message.reply_text(fit(outcome.say(language_of(update, context))))
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
    mirror = await _mirror_lines(context, language)
    background = work_lines(context.kooch.background.states(), config.timezone, language)
    text = "\n".join(
        [
            text,
            "",
            *links,
            *mirror,
            "",
            *background,
            "",
            paragraph(version_line(build.version, build.revision, language), language),
        ]
    )
    leader = context.kooch.leadership.leader
    if isinstance(leader, PgLeader):  # one process on SQLite: nothing to say
        text += "\n\n" + replica_line(leader.name, leader.is_leader, leader.epoch, language)
    await message.reply_text(fit(text), disable_web_page_preview=True)
    return f"status for {channels_phrase(channels, named)}"


async def _mirror_lines(context: KoochContext, language: str) -> list[str]:
    """The mirror per destination (issue 27): mirrored, pending, failed, last error; none when off."""
    config = context.config
    counts = await context.kooch.mirror.counts()
    if not counts:
        return []
    lines = ["", paragraph(across_wording.mirror_heading(language), language)]
    for service in context.kooch.mirror.services(config):
        c = counts[service.key]
        name = service.name(language, config.default_language)
        line = across_wording.mirror_line(name, c.mirrored, c.pending, c.failed, c.last_error, language)
        lines.append(paragraph("  " + line, language))
    return lines


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("reload", reload_command, filters=PRIVATE),
    CommandHandler("status", status, filters=PRIVATE),
]
