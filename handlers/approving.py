"""Asking for a second operator's approval (``approval: 2``): the request goes to every other
operator, with the preview, and the requester's confirmation says it waits.

The Approve / Refuse buttons are :mod:`handlers.approval`'s; this module only opens requests, so
the features' handlers can call it without importing what executes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from handlers.context import KoochContext
from handlers.guards import CONFIRM_TTL_S
from kooch.operators.approval import Request, open_request
from kooch.operators.approval_wording import APPROVE, REFUSE, approval_question, waiting
from kooch.telegram.markup import markup
from kooch.telegram.post import Post


def needs_approval(context: KoochContext) -> bool:
    return context.config.approval >= 2


def approval_keyboard(request_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(APPROVE, callback_data=f"approval:approve:{request_id}"),
                InlineKeyboardButton(REFUSE, callback_data=f"approval:refuse:{request_id}"),
            ]
        ]
    )


async def request_approval(
    update: Update,
    context: KoochContext,
    action: str,
    payload: dict[str, Any],
    previews: Sequence[Post],
    detail: str,
) -> str:
    """Open the request and send it to every other operator; returns the audit result."""
    query = update.callback_query
    assert query is not None
    requester = query.from_user
    kooch = context.kooch
    now = kooch.clock.now()
    request_id = await open_request(kooch.pending, action, requester.id, payload)
    request = Request(request_id, action, requester.id, payload, now)
    expires_at = now + CONFIRM_TTL_S
    tz = context.config.timezone
    for post in previews:
        await kooch.notifier.send(post.text, skip=requester.id, keyboard=markup(post))
    question = approval_question(request, f"{requester.full_name} ({requester.id})", expires_at, tz, detail)
    reached = await kooch.notifier.send(question, skip=requester.id, keyboard=approval_keyboard(request_id))
    await query.answer("Sent for approval.")
    if query.message is not None:
        await context.bot.edit_message_text(
            waiting(request_id, reached, expires_at, tz),
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
        )
    return f"approval requested #{request_id} (sent to {reached})"
