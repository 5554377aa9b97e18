"""The gated actions' own handlers, one set for every action in the registry
(:mod:`kooch.actions`): the command that asks (for an action that declares one), its Confirm
button, and every action's Cancel button. An action added to :mod:`kooch.actions.gated` gets them
without a line here.

Every handler goes through :func:`handlers.guards.operator_only` (authorisation, audit row), under
the action's name: ``moved``, ``moved:confirm``, ``moved:cancel``.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from kooch.actions.model import Action, Answer, Asked
from kooch.actions.registry import actions
from kooch.handlers.confirming import confirmed, env_of, not_taken, open_confirmation
from kooch.handlers.context import KoochContext
from kooch.handlers.guards import (
    PRIVATE,
    Handler,
    cancel_pending,
    confirm_keyboard,
    language_of,
    operator_only,
    take_confirmation,
)
from kooch.operators.audit import Record, Step
from kooch.telegram.limits import fit
from kooch.telegram.markup import markup


def asking(action: Action[Any, Any]) -> Handler:
    """``/<command> …``: the action's question with its Confirm / Cancel buttons, or its answer."""

    @operator_only(action.name)
    async def ask(update: Update, context: KoochContext) -> Record | str:
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        language = language_of(update, context)
        parts = (message.text or "").split(None, 1)
        replied = message.reply_to_message
        own = None
        if replied is not None and replied.from_user is not None and replied.from_user.id == user.id:
            own = replied.text or replied.caption or None
        asked = Asked(user.id, tuple(context.args or ()), parts[1] if len(parts) > 1 else "", own, language)
        question = await action.ask(env_of(context), asked)
        if isinstance(question, Answer):
            await message.reply_text(fit(question.text))
            return Record(action.name, Step.ANSWERED, codes=(question.code,))
        for post in question.previews:
            await message.reply_text(post.text, reply_markup=markup(post))
        pending_id = await open_confirmation(context, action, user.id, question.payload)
        keyboard = confirm_keyboard(action.name, pending_id, question.button, language)
        await message.reply_text(fit(question.text), reply_markup=keyboard)
        return Record(action.name, Step.ASKED, pending_id, count=question.count)

    return ask


def confirming(action: Action[Any, Any]) -> Handler:
    """The Confirm button: the pending action taken once, then approval or the action."""

    @operator_only(f"{action.name}:confirm")
    async def confirm(update: Update, context: KoochContext) -> Record | str:
        pending = await take_confirmation(update, context, action.name, rerun=action.rerun)
        if isinstance(pending, str):
            return not_taken(action.name, update, pending)
        return await confirmed(update, context, action, action.load(pending.payload), pending.id)

    return confirm


def cancelling(action: Action[Any, Any]) -> Handler:
    """The Cancel button: the pending action closed once, its question saying so."""

    @operator_only(f"{action.name}:cancel")
    async def cancel(update: Update, context: KoochContext) -> Record | str:
        query = update.callback_query
        assert query is not None and query.data is not None
        pending_id = int(query.data.rsplit(":", 1)[1])
        said = action.cancelled(language_of(update, context))
        result = await cancel_pending(update, context, action.name, said)
        return Record(action.name, Step.CANCELLED if result == "cancelled" else Step.STALE, pending_id)

    return cancel


def _handlers(action: Action[Any, Any]) -> list[BaseHandler[Update, KoochContext, None]]:
    found: list[BaseHandler[Update, KoochContext, None]] = []
    if action.command is not None:
        found.append(CommandHandler(action.command, asking(action), filters=PRIVATE))
    if action.plain_confirm:
        found.append(CallbackQueryHandler(confirming(action), pattern=rf"^{action.name}:confirm:\d+$"))
    found.append(CallbackQueryHandler(cancelling(action), pattern=rf"^{action.name}:cancel:\d+$"))
    return found


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    handler for action in actions() for handler in _handlers(action)
]
