"""What every operator handler shares: the authorisation check with its audit row, the channel
argument, and the confirm / cancel buttons of a pending action.

:func:`operator_only` checks authorisation on every call (the config may have changed since the
last one) and writes the audit row: who, what, when, result (for someone who is not an operator,
a pseudonym and the command's name only).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import filters

from kooch.config import Channel, Config
from kooch.handlers.context import KoochContext
from kooch.i18n import gettext
from kooch.operators.audit import Record
from kooch.operators.pending import Pending
from kooch.operators.targets import resolve_channels
from kooch.operators.wording import refusal

#: Operator commands are answered in a private chat only.
PRIVATE = filters.ChatType.PRIVATE


#: A confirmation button older than this asks the operator to start again.
CONFIRM_TTL_S = 3600.0


#: An operator handler returns its audit result: words, or a gated action's typed record.
OperatorHandler = Callable[[Update, KoochContext], Awaitable[str | Record]]


Handler = Callable[[Update, KoochContext], Coroutine[Any, Any, None]]


def operator_only(action: str) -> Callable[[OperatorHandler], Handler]:
    """Refuse non-operators (and audit the attempt, without their id or their text); audit the
    result of every operator action with the command as sent."""

    def wrap(fn: OperatorHandler) -> Handler:
        @functools.wraps(fn)
        async def inner(update: Update, context: KoochContext) -> None:
            user = update.effective_user
            if user is None:
                return
            query = update.callback_query
            detail = (
                (query.data if query else None)
                or (update.effective_message.text if update.effective_message else None)
                or ""
            )
            config = context.config
            if not config.is_operator(user.id):
                # Told in their own language: a stranger is no operator, so no choice in the config.
                refused = refusal(config.language_for(user.language_code))
                if query is not None:
                    await query.answer(refused, show_alert=True)
                elif update.effective_message is not None:
                    await update.effective_message.reply_text(refused)
                # Who it was and what they typed are not ours to keep: a pseudonym and the command.
                await context.kooch.audit.refused(user.id, action)
                # An operator removed while Kooch was stopped still has the operator menu: it goes.
                await context.kooch.menus.drop(user.id)
                return
            context.kooch.operator_languages.note(user.id, user.language_code, user.full_name)
            try:
                result = await fn(update, context)
            except Exception as exc:
                await context.kooch.audit.add(user.id, action, detail, f"error: {exc!r}")
                raise
            await context.kooch.audit.add(user.id, action, detail, result)

        return inner

    return wrap


def language_of(update: Update, context: KoochContext) -> str:
    """The language the operator behind ``update`` reads (the config's choice, else their app's)."""
    user = update.effective_user
    if user is None:
        return context.config.operator_language(0)
    return context.kooch.operator_languages.of(context.config, user.id, user.language_code)


async def target_channels(
    message: Message, config: Config, args: list[str], language: str = "en"
) -> tuple[list[Channel], bool] | None:
    """The channels a command acts on, as :func:`resolve_channels`; None once the operator has been
    told that the channel they named is unknown."""
    targets = resolve_channels(config, args, language)
    if isinstance(targets, str):
        await message.reply_text(targets)
        return None
    return targets


def stale(language: str) -> str:
    return gettext(language, "This confirmation was already used or cancelled.")


STALE = stale("en")


async def take_confirmation(
    update: Update, context: KoochContext, kind: str, *, rerun: str | None, state: str = "done"
) -> Pending | str:
    """Close the pending action behind a confirm (or cancel) button, once.

    Returns it, or the audit result once the operator has been told why not: already used or
    cancelled (another tap won), or older than :data:`CONFIRM_TTL_S` when ``rerun`` names the
    command to run again (None: the action has no expiry of its own)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    language = language_of(update, context)
    pending = await context.kooch.pending.take(int(query.data.rsplit(":", 1)[1]), kind, state)
    if pending is None:
        await query.answer(stale(language), show_alert=True)
        return "stale confirmation"
    if rerun is not None and context.kooch.clock.now() - pending.created_at > CONFIRM_TTL_S:
        expired = gettext(language, "This confirmation expired: run {command} again.")
        await query.answer(expired.format(command=rerun), show_alert=True)
        return "expired confirmation"
    return pending


async def cancel_pending(update: Update, context: KoochContext, kind: str, text: str) -> str:
    """A Cancel button under a confirmation: close the pending action once, say so in its message."""
    query = update.callback_query
    assert query is not None
    pending = await take_confirmation(update, context, kind, rerun=None, state="cancelled")
    if isinstance(pending, str):
        return "stale cancel"
    await query.answer(gettext(language_of(update, context), "Cancelled."))
    if query.message is not None:
        await context.bot.edit_message_text(
            text, chat_id=query.message.chat.id, message_id=query.message.message_id
        )
    return "cancelled"


def confirm_keyboard(kind: str, pending_id: int, label: str, language: str = "en") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=f"{kind}:confirm:{pending_id}"),
                InlineKeyboardButton(
                    gettext(language, "Cancel"), callback_data=f"{kind}:cancel:{pending_id}"
                ),
            ]
        ]
    )
