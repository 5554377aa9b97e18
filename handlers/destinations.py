"""The periodic link check as a JobQueue job: every minute it asks whether a round is due (the
interval is the config's ``link_check_interval_s``, read at each run, and the last round's time
is in the database, so a restart does not check again before it is due)."""

from __future__ import annotations

import logging

from telegram.ext import JobQueue

from kooch.app.leadership import leader_job
from kooch.handlers.context import KoochContext

log = logging.getLogger(__name__)

LINK_CHECK_JOB = "kooch-link-check"
#: How often the job asks; the rounds themselves are link_check_interval_s apart (at least 60 s).
POLL_S = 60.0


@leader_job
async def link_check_job(context: KoochContext) -> None:
    changes = await context.kooch.links.tick()
    if changes:
        log.info("link checks: %d link(s) broke or recovered", len(changes))


def schedule_link_checks(job_queue: JobQueue[KoochContext]) -> None:
    # The first ask a little after start-up: the bot answers its first updates before fetching.
    job_queue.run_repeating(link_check_job, POLL_S, first=10.0, name=LINK_CHECK_JOB)
