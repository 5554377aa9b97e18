"""Four-eyes approval, the second operator's side: the Approve / Refuse buttons of a request
(see :mod:`handlers.approving`), and the job that expires the requests nobody decided.

The requester cannot approve their own request, someone who is not an operator is refused by
:func:`handlers.guards.operator_only`, and every step is in the audit log: requested (the
requester's confirm), approved, refused, expired.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, JobQueue

from kooch.app.leadership import leader_job
from kooch.handlers.context import KoochContext
from kooch.handlers.guards import CONFIRM_TTL_S, language_of, operator_only
from kooch.handlers.living import execute_moved
from kooch.handlers.operators import execute_announce
from kooch.handlers.schedule import execute_schedule
from kooch.i18n import gettext
from kooch.operators.approval import Decision, Request, decide, expire_requests
from kooch.operators.approval_wording import (
    approved_notice,
    expired,
    expired_notice,
    own,
    refused_notice,
    stale,
    what,
    you_approved,
    you_refused,
)

log = logging.getLogger(__name__)

#: How often the requests nobody decided are looked for (the expiry is CONFIRM_TTL_S).
EXPIRY_SWEEP_S = 60.0
EXPIRY_JOB = "kooch-approval-expiry"


async def _execute(context: KoochContext, request: Request, language: str) -> tuple[str, str]:
    """Do what was approved, in the requester's name: the report (in ``language``, the approver's:
    it is written once, as it happens, and the requester's notice quotes it) and the audit summary
    (English, as every audit row)."""
    config = context.config
    if request.action == "announce":
        report, posted = await execute_announce(context, config, request.payload, request.requester, language)
        return report, f"posted {posted}/{len(request.payload['channels'])}"
    if request.action == "moved":
        lines, audit = await execute_moved(context, config, request.payload, request.requester, language)
        return "\n".join(lines), "; ".join(audit)[:500]
    return await execute_schedule(context, request.payload, request.requester, language)


def _language_of(context: KoochContext, operator_id: int) -> str:
    """The language of an operator who is not the one pressing (the requester)."""
    return context.kooch.operator_languages.of(context.config, operator_id)


async def _tell(context: KoochContext, operator_id: int, text: Callable[[str], str]) -> None:
    """Tell the requester (only them, in their language) how their request ended; the audit has it
    in any case."""
    try:
        await context.bot.send_message(operator_id, text(_language_of(context, operator_id))[:4096])
    except TelegramError as exc:
        log.info("could not tell operator %s about their request (%s)", operator_id, exc)


async def _decide(update: Update, context: KoochContext, *, approve: bool) -> str:
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
    who = f"#{request.id} ({what(request)}) requested by {request.requester}"
    if decision is Decision.OWN:
        await query.answer(own(language), show_alert=True)
        return f"refused: own request {who}"
    if decision is Decision.EXPIRED:
        await query.answer(expired(language), show_alert=True)
        await _tell(context, request.requester, partial(expired_notice, request))
        return f"expired {who}"
    message = query.message
    if decision is Decision.REFUSED:
        await query.answer(gettext(language, "Refused."))
        if message is not None:
            await context.bot.edit_message_text(
                you_refused(request.id, language),
                chat_id=message.chat.id,
                message_id=message.message_id,
            )
        await _tell(context, request.requester, partial(refused_notice, request, query.from_user.id))
        return f"refused {who}"
    await query.answer(gettext(language, "Approved: working…"))
    report, summary = await _execute(context, request, language)
    if message is not None:
        await context.bot.edit_message_text(
            you_approved(request.id, report, language)[:4096],
            chat_id=message.chat.id,
            message_id=message.message_id,
        )
    approver = query.from_user.id
    await _tell(context, request.requester, lambda reader: approved_notice(request, approver, report, reader))
    return f"approved {who}: {summary}"


@operator_only("approval:approve")
async def approve(update: Update, context: KoochContext) -> str:
    return await _decide(update, context, approve=True)


@operator_only("approval:refuse")
async def refuse(update: Update, context: KoochContext) -> str:
    return await _decide(update, context, approve=False)


@leader_job
async def expire_job(context: KoochContext) -> None:
    """Close the requests older than CONFIRM_TTL_S, audit each and tell its requester."""
    kooch = context.kooch
    for request in await expire_requests(kooch.pending, kooch.clock.now(), CONFIRM_TTL_S):
        await kooch.audit.add(
            0,
            "approval:expired",
            f"#{request.id}",
            f"expired #{request.id} ({what(request)}) requested by {request.requester}",
        )
        await _tell(context, request.requester, partial(expired_notice, request))


def schedule_expiry(job_queue: JobQueue[KoochContext]) -> None:
    job_queue.run_repeating(expire_job, EXPIRY_SWEEP_S, first=EXPIRY_SWEEP_S, name=EXPIRY_JOB)


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CallbackQueryHandler(approve, pattern=r"^approval:approve:\d+$"),
    CallbackQueryHandler(refuse, pattern=r"^approval:refuse:\d+$"),
]
