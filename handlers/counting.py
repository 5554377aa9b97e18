"""Counting every update for ``/metrics``: one handler in group -1, which sees each update before
the real handlers and, without ``ApplicationHandlerStop``, stops none of them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, TypeHandler

from kooch.handlers.context import KoochContext

#: Every field of an Update that names its kind (message, callback_query, chat_member ...), the
#: kinds that come by the thousand first: most updates are answered by the first lookup.
_FIRST = ("callback_query", "message")
UPDATE_TYPES = _FIRST + tuple(t for t in Update.ALL_TYPES if t not in _FIRST)


def update_kind(update: Update) -> str:
    return next((t for t in UPDATE_TYPES if getattr(update, t, None) is not None), "other")


async def count_update(update: Update, context: KoochContext) -> None:
    context.kooch.metrics.observe_update(update_kind(update))


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [TypeHandler(Update, count_update)]
