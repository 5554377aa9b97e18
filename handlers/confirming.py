"""Running a gated action (:mod:`kooch.actions`) once its operator confirmed it, written once for
all of them: with ``approval: 2`` a request to every other operator, each reading the previews and
the question in their own language; else the action itself, its outcome reported to the operator
in theirs. A support module of the handler modules (it has no handlers of its own).

The Approve / Refuse buttons are :mod:`handlers.approval`'s.
"""

from __future__ import annotations

from functools import partial
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from kooch.actions.model import Action, Env
from kooch.handlers.context import KoochContext
from kooch.handlers.guards import CONFIRM_TTL_S, language_of
from kooch.handlers.schedule_jobs import queue_job
from kooch.i18n import gettext
from kooch.operators.approval.service import open_request
from kooch.operators.approval.wording import approval_question, approve_label, refuse_label, waiting
from kooch.operators.audit import Record, Step
from kooch.operators.wording import operator_name
from kooch.telegram.limits import fit
from kooch.telegram.markup import markup
from kooch.telegram.post import Post

P = TypeVar("P")


def needs_approval(context: KoochContext) -> bool:
    return context.config.approval >= 2


def env_of(context: KoochContext, progress: tuple[int, int] | None = None) -> Env:
    """What an action runs with, from a handler's context."""
    return Env(context.kooch, context.config, partial(queue_job, context.application), progress)


async def open_confirmation(
    context: KoochContext, action: Action[P, Any], operator_id: int, payload: P
) -> int:
    """Keep the payload the operator is asked to confirm; returns the confirmation's id."""
    return await context.kooch.pending.create(action.name, operator_id, action.dump(payload))


def approval_keyboard(request_id: int, language: str = "en") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(approve_label(language), callback_data=f"approval:approve:{request_id}"),
                InlineKeyboardButton(refuse_label(language), callback_data=f"approval:refuse:{request_id}"),
            ]
        ]
    )


async def confirmed(
    update: Update, context: KoochContext, action: Action[P, Any], payload: P, pending_id: int
) -> Record:
    """The operator confirmed ``payload``: the request for approval, or the action done and its
    outcome said in the operator's language (under the question, which it replaces)."""
    if needs_approval(context):
        return await request_approval(update, context, action, payload)
    query = update.callback_query
    assert query is not None
    language = language_of(update, context)
    await query.answer(action.working(payload, language))
    message = query.message
    where = (message.chat.id, message.message_id) if message is not None else None
    env = env_of(context, where)
    outcome = await action.execute(env, payload, query.from_user.id)
    if message is not None:
        post = action.report(env, outcome, language)
        await context.bot.edit_message_text(
            fit(post.text),
            chat_id=message.chat.id,
            message_id=message.message_id,
            reply_markup=markup(post),
        )
    codes, ids = action.record(outcome)
    return Record(action.name, Step.DONE, pending_id, codes=codes, ids=ids)


async def request_approval(
    update: Update, context: KoochContext, action: Action[P, Any], payload: P
) -> Record:
    """Open the request and send it to every other operator: the previews, then the question with
    the action's own account of it, all in that operator's language."""
    query = update.callback_query
    assert query is not None
    requester = query.from_user
    kooch = context.kooch
    env = env_of(context)
    now = kooch.clock.now()
    previews = await action.previews(env, payload)
    detail = await action.preview(env, payload)
    request_id = await open_request(kooch.pending, action.name, requester.id, action.dump(payload))
    expires_at = now + CONFIRM_TTL_S
    tz = context.config.timezone
    for item in previews:
        if isinstance(item, Post):
            await kooch.notifier.send(item.text, skip=requester.id, keyboard=markup(item))
        else:  # words about the next post, in each approver's language
            await kooch.notifier.send(item, skip=requester.id)

    def question(reader: str) -> str:
        # Their Telegram name (noted from this tap), as every operator message names an operator.
        who = operator_name(requester.id, kooch.operator_languages.names, reader)
        what = action.describe(payload, reader)
        return approval_question(request_id, what, who, expires_at, tz, detail(reader), reader)

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
    return Record(action.name, Step.REQUESTED, request_id, count=reached)


def not_taken(kind: str, update: Update, why: str) -> Record:
    """The audit record of a confirm button that did nothing (:func:`handlers.guards.take_confirmation`
    said why: already used or cancelled, or expired)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    step = Step.CONFIRM_EXPIRED if why == "expired confirmation" else Step.STALE
    return Record(kind, step, int(query.data.rsplit(":", 1)[1]))
