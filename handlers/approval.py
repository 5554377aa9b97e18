"""Four-eyes approval, the second operator's side: the Approve / Refuse buttons of a request
(see :mod:`handlers.confirming`), and the job that expires the requests nobody decided. One code
for every gated action: the request names its action, the registry (:mod:`kooch.actions`) has it.

The requester cannot approve their own request, someone who is not an operator is refused by
:func:`handlers.guards.operator_only`, and every step is in the audit log as a typed record:
requested (the requester's confirm), approved (with the outcome's codes and ids), refused,
expired, own, stale. Each person reads what happened in their own language: the approver their
report, the requester theirs, written from the same outcome when each is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler

from kooch.actions.model import Action
from kooch.actions.registry import actions
from kooch.app.background import App, BackgroundWork, Kind, job_name
from kooch.handlers.confirming import env_of
from kooch.handlers.context import KoochContext
from kooch.handlers.guards import CONFIRM_TTL_S, language_of, operator_only
from kooch.i18n import gettext
from kooch.operators.approval.service import Decision, Request, decide, expire_requests
from kooch.operators.approval.wording import (
    approved_notice,
    expired,
    expired_notice,
    own,
    refused_notice,
    stale,
    you_approved,
    you_refused,
)
from kooch.operators.audit import Record, Step
from kooch.operators.wording import operator_name
from kooch.telegram.limits import fit
from kooch.telegram.markup import markup

log = logging.getLogger(__name__)

#: How often the requests nobody decided are looked for (the expiry is CONFIRM_TTL_S).
EXPIRY_SWEEP_S = 60.0
EXPIRY_JOB = "kooch-approval-expiry"

ACTIONS = actions()


def _action(request: Request) -> Action[Any, Any]:
    return ACTIONS[request.action]


def _what(request: Request) -> Callable[[str], str]:
    """The request's action in a reader's words."""
    action = _action(request)
    payload = action.load(request.payload)
    return lambda language: action.describe(payload, language)


def _language_of(context: KoochContext, operator_id: int) -> str:
    """The language of an operator who is not the one pressing (the requester)."""
    return context.kooch.operator_languages.of(context.config, operator_id)


async def _tell(context: KoochContext, operator_id: int, text: Callable[[str], str]) -> None:
    """Tell an operator (the requester, or another one who was asked) how a request ended, in
    their language, written when it is sent; the audit has it in any case."""
    try:
        await context.bot.send_message(operator_id, fit(text(_language_of(context, operator_id))))
    except TelegramError as exc:
        log.info("could not tell operator %s about their request (%s)", operator_id, exc)


async def _decide(update: Update, context: KoochContext, *, approve: bool) -> Record | str:
    query = update.callback_query
    assert query is not None and query.data is not None
    request_id = int(query.data.rsplit(":", 1)[1])
    kooch = context.kooch
    language = language_of(update, context)
    decision, request = await decide(
        kooch.pending,
        request_id,
        query.from_user.id,
        approve=approve,
        now=kooch.clock.now(),
        ttl=CONFIRM_TTL_S,
    )
    if decision is Decision.STALE or request is None:
        await query.answer(stale(language), show_alert=True)
        return f"stale request #{request_id}"
    action = _action(request)

    def record(step: Step, codes: tuple[str, ...] = (), ids: tuple[int, ...] = ()) -> Record:
        return Record(action.name, step, request.id, request.requester, codes, ids)

    what = _what(request)
    if decision is Decision.OWN:
        await query.answer(own(language), show_alert=True)
        return record(Step.OWN)
    if decision is Decision.EXPIRED:
        await query.answer(expired(language), show_alert=True)
        await _tell(context, request.requester, partial(_expired, request.id, what))
        return record(Step.EXPIRED)
    message = query.message
    approver = query.from_user.id

    def by(reader: str) -> str:
        """The approver as the other operators know them: their Telegram name, else their id."""
        return operator_name(approver, kooch.operator_languages.names, reader)

    if decision is Decision.REFUSED:
        await query.answer(gettext(language, "Refused."))
        if message is not None:
            await context.bot.edit_message_text(
                you_refused(request.id, language),
                chat_id=message.chat.id,
                message_id=message.message_id,
            )
        for operator in sorted(context.config.operators - {approver}):
            await _tell(
                context, operator, lambda reader: refused_notice(request.id, what(reader), by(reader), reader)
            )
        return record(Step.REFUSED)
    await query.answer(gettext(language, "Approved: working…"))
    payload = action.load(request.payload)
    where = (message.chat.id, message.message_id) if message is not None else None
    env = env_of(context, where)
    # Done in the requester's name; the outcome is data, said below to each reader in their words.
    outcome = await action.execute(env, payload, request.requester)
    if message is not None:
        post = action.report(env, outcome, language)
        await context.bot.edit_message_text(
            fit(you_approved(request.id, post.text, language)),
            chat_id=message.chat.id,
            message_id=message.message_id,
            # The report's own buttons (a campaign's Cancel: its progress is this message now).
            reply_markup=markup(post),
        )

    def notice(reader: str) -> str:
        report = action.report(env, outcome, reader).text
        return approved_notice(request.id, what(reader), by(reader), report, reader)

    # The requester, and the other operators who were asked too (their buttons are stale now).
    for operator in sorted(context.config.operators - {approver}):
        await _tell(context, operator, notice)
    return record(Step.APPROVED, *action.record(outcome))


@operator_only("approval:approve")
async def approve(update: Update, context: KoochContext) -> Record | str:
    return await _decide(update, context, approve=True)


@operator_only("approval:refuse")
async def refuse(update: Update, context: KoochContext) -> Record | str:
    return await _decide(update, context, approve=False)


async def _expire(context: KoochContext) -> None:
    """Close the requests older than CONFIRM_TTL_S, audit each and tell its requester."""
    kooch = context.kooch
    for request in await expire_requests(kooch.pending, kooch.clock.now(), CONFIRM_TTL_S):
        what = _what(request)
        record = Record(request.action, Step.EXPIRED, request.id, request.requester)
        await kooch.audit.add(0, "approval:expired", f"#{request.id}", record)
        await _tell(context, request.requester, partial(_expired, request.id, what))


def _expired(request_id: int, what: Callable[[str], str], reader: str) -> str:
    return expired_notice(request_id, what(reader), reader)


async def _expiry_round(app: App) -> None:
    await _expire(KoochContext(app))


#: A leader-only periodic job (kooch.app.background): every EXPIRY_SWEEP_S.
BACKGROUND = [
    BackgroundWork(
        "approval expiry",
        Kind.JOB,
        lambda language: gettext(language, "approval expiry"),
        _expiry_round,
        every_s=EXPIRY_SWEEP_S,
        first_s=EXPIRY_SWEEP_S,
    )
]
assert job_name(BACKGROUND[0].name) == EXPIRY_JOB


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CallbackQueryHandler(approve, pattern=r"^approval:approve:\d+$"),
    CallbackQueryHandler(refuse, pattern=r"^approval:refuse:\d+$"),
]
