"""Four-eyes approval, the second operator's side: the Approve / Refuse buttons of a request
(see :mod:`handlers.approving`), and the job that expires the requests nobody decided.

The requester cannot approve their own request, someone who is not an operator is refused by
:func:`handlers.guards.operator_only`, and every step is in the audit log: requested (the
requester's confirm), approved, refused, expired.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, JobQueue

from handlers.context import KoochContext
from handlers.guards import CONFIRM_TTL_S, operator_only
from handlers.living import execute_moved
from handlers.operators import execute_announce
from handlers.schedule import execute_schedule
from kooch.app.leadership import leader_job
from kooch.operators.approval import Decision, Request, decide, expire_requests
from kooch.operators.approval_wording import (
    EXPIRED,
    OWN,
    STALE,
    approved_notice,
    expired_notice,
    refused_notice,
    what,
)

log = logging.getLogger(__name__)

#: How often the requests nobody decided are looked for (the expiry is CONFIRM_TTL_S).
EXPIRY_SWEEP_S = 60.0
EXPIRY_JOB = "kooch-approval-expiry"


async def _execute(context: KoochContext, request: Request) -> tuple[str, str]:
    """Do what was approved, in the requester's name: the report and the audit summary."""
    config = context.config
    if request.action == "announce":
        report, posted = await execute_announce(context, config, request.payload, request.requester)
        return report, f"posted {posted}/{len(request.payload['channels'])}"
    if request.action == "moved":
        lines = await execute_moved(context, config, request.payload, request.requester)
        return "\n".join(lines), "; ".join(lines)[:500]
    return await execute_schedule(context, request.payload, request.requester)


async def _tell(context: KoochContext, operator_id: int, text: str) -> None:
    """Tell the requester (only them) how their request ended; the audit has it in any case."""
    try:
        await context.bot.send_message(operator_id, text[:4096])
    except TelegramError as exc:
        log.info("could not tell operator %s about their request (%s)", operator_id, exc)


async def _decide(update: Update, context: KoochContext, *, approve: bool) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    request_id = int(query.data.rsplit(":", 1)[1])
    kooch = context.kooch
    decision, request = await decide(
        kooch.pending,
        request_id,
        query.from_user.id,
        approve=approve,
        now=kooch.clock.now(),
        ttl=CONFIRM_TTL_S,
    )
    if decision is Decision.STALE or request is None:
        await query.answer(STALE, show_alert=True)
        return f"stale request #{request_id}"
    who = f"#{request.id} ({what(request)}) requested by {request.requester}"
    if decision is Decision.OWN:
        await query.answer(OWN, show_alert=True)
        return f"refused: own request {who}"
    if decision is Decision.EXPIRED:
        await query.answer(EXPIRED, show_alert=True)
        await _tell(context, request.requester, expired_notice(request))
        return f"expired {who}"
    message = query.message
    if decision is Decision.REFUSED:
        await query.answer("Refused.")
        if message is not None:
            await context.bot.edit_message_text(
                f"✖️ You refused request #{request.id}: nothing was done.",
                chat_id=message.chat.id,
                message_id=message.message_id,
            )
        await _tell(context, request.requester, refused_notice(request, query.from_user.id))
        return f"refused {who}"
    await query.answer("Approved: working…")
    report, summary = await _execute(context, request)
    if message is not None:
        await context.bot.edit_message_text(
            f"✅ You approved request #{request.id}:\n{report}"[:4096],
            chat_id=message.chat.id,
            message_id=message.message_id,
        )
    await _tell(context, request.requester, approved_notice(request, query.from_user.id, report))
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
        await _tell(context, request.requester, expired_notice(request))


def schedule_expiry(job_queue: JobQueue[KoochContext]) -> None:
    job_queue.run_repeating(expire_job, EXPIRY_SWEEP_S, first=EXPIRY_SWEEP_S, name=EXPIRY_JOB)


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CallbackQueryHandler(approve, pattern=r"^approval:approve:\d+$"),
    CallbackQueryHandler(refuse, pattern=r"^approval:refuse:\d+$"),
]
