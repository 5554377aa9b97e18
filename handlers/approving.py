"""Asking for a second operator's approval (``approval: 2``): the request goes to every other
operator, with the preview, and the requester's confirmation says it waits.

The Approve / Refuse buttons are :mod:`handlers.approval`'s; this module only opens requests, so
the features' handlers can call it without importing what executes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from kooch.handlers.context import KoochContext
from kooch.handlers.guards import CONFIRM_TTL_S, language_of
from kooch.i18n import gettext, to_digits
from kooch.operators.approval import Request, open_request
from kooch.operators.approval_wording import approval_question, approve_label, refuse_label, waiting
from kooch.telegram.markup import markup
from kooch.telegram.post import Post


def needs_approval(context: KoochContext) -> bool:
    return context.config.approval >= 2


def approval_keyboard(request_id: int, language: str = "en") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(approve_label(language), callback_data=f"approval:approve:{request_id}"),
                InlineKeyboardButton(refuse_label(language), callback_data=f"approval:refuse:{request_id}"),
            ]
        ]
    )


async def request_approval(
    update: Update,
    context: KoochContext,
    action: str,
    payload: dict[str, Any],
    previews: Sequence[Post],
    detail: str | Callable[[str], str],
) -> str:
    """Open the request and send it to every other operator, each in their language (``detail``
    too, when it is a function of the reader's language); returns the audit result."""
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

    def question(reader: str) -> str:
        said = detail if isinstance(detail, str) else detail(reader)
        who = f"{requester.full_name} ({to_digits(str(requester.id), reader)})"
        return approval_question(request, who, expires_at, tz, said, reader)

    reached = await kooch.notifier.send(
        question, skip=requester.id, keyboard=lambda reader: approval_keyboard(request_id, reader)
    )
    language = language_of(update, context)
    await query.answer(gettext(language, "Sent for approval."))
    if query.message is not None:
        await context.bot.edit_message_text(
            waiting(request_id, reached, expires_at, tz, language),
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
        )
    return f"approval requested #{request_id} (sent to {reached})"
