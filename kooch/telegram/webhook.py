"""Webhook mode, the Telegram side: the secret, the URL, ``setWebhook``, and decoding updates.

At start-up a fresh random ``secret_token`` is drawn and the URL registered; the web server
refuses (403) any request without it in ``X-Telegram-Bot-Api-Secret-Token``, before reading the
body. Accepted updates go into ``Application.update_queue``, the very queue the polling Updater
fills, so they are processed exactly as in polling mode.

At shutdown the webhook is **not** deleted. Telegram keeps the updates that arrive meanwhile and
delivers them once the next start calls ``setWebhook`` again; and during a redeploy where the new
process starts before the old one stops, an old process deleting the webhook on its way out would
silently cut off the new one. Switching back to polling needs nothing by hand: PTB's
``start_polling`` calls ``deleteWebhook`` first (without dropping pending updates).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application

WEBHOOK_PATH = "/telegram-webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

#: Takes the JSON body of one webhook request; raises ValueError when it is not an update.
UpdateSink = Callable[[dict[str, Any]], Awaitable[None]]


def new_secret() -> str:
    """A secret_token Telegram accepts: 1-256 of A-Z a-z 0-9 _ - (here 43, 256 bits)."""
    return secrets.token_urlsafe(32)


def webhook_url(public_url: str) -> str:
    return public_url + WEBHOOK_PATH


def update_sink(app: Application[Any, Any, Any, Any, Any, Any]) -> UpdateSink:
    """Decode an update as PTB's own webhook handler does and queue it for the Application."""

    async def deliver(data: dict[str, Any]) -> None:
        try:
            update = Update.de_json(data, app.bot)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from exc
        await app.update_queue.put(update)

    return deliver


async def set_webhook(
    app: Application[Any, Any, Any, Any, Any, Any], public_url: str, secret: str, max_connections: int
) -> None:
    await app.bot.set_webhook(
        url=webhook_url(public_url),
        secret_token=secret,
        allowed_updates=Update.ALL_TYPES,
        max_connections=max_connections,
        drop_pending_updates=False,
    )
