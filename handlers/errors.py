"""The one error handler: log with the traceback, count it for ``/metrics``, answer what can be
answered, tell operators.

Operators get a short note at most once a minute, so a failing loop cannot flood their chats.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from kooch.handlers.context import KoochContext
from kooch.i18n import gettext, paragraph
from kooch.telegram.limits import fit

log = logging.getLogger(__name__)

NOTIFY_EVERY_S = 60.0
_LAST_NOTICE_KEY = "errors:last_notice"


async def on_error(update: object, context: KoochContext) -> None:
    log.error("error while handling an update", exc_info=context.error)
    context.kooch.metrics.observe_error(type(context.error).__name__)
    if isinstance(update, Update) and update.callback_query is not None:
        # Always answer a callback, so the user's button stops spinning.
        # Already answered, or too old: nothing more to do for this tap.
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    last: float | None = context.bot_data.get(_LAST_NOTICE_KEY)
    now = context.kooch.clock.monotonic()
    # None, not 0: a monotonic clock may start near 0, and the first error must always be told.
    if last is not None and now - last < NOTIFY_EVERY_S:
        return
    context.bot_data[_LAST_NOTICE_KEY] = now
    config = context.config
    for operator in config.operators:
        language = context.kooch.operator_languages.of(config, operator)
        # The exception's own words stay as Python wrote them: they are for the log's reader.
        text = gettext(language, "⚠️ Kooch hit an error: {error}. See the log.").format(
            error=f"{type(context.error).__name__}: {context.error}"
        )
        try:
            await context.bot.send_message(operator, fit(paragraph(text, language)))
        except TelegramError:
            log.info("could not notify an operator of the error (not started or blocked)")
