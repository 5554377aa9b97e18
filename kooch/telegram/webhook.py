"""Webhook mode, the Telegram side: the secret, the URL, ``setWebhook``, and decoding updates.

The secret is ``KOOCH_WEBHOOK_SECRET`` when set (so that several processes behind one URL share
it), otherwise a fresh random one per start. The web server refuses (403) any request without it
in ``X-Telegram-Bot-Api-Secret-Token``, before reading the body. Accepted updates go into
``Application.update_queue``, the very queue the polling intake fills, so they are processed
exactly as in polling mode.

``setWebhook`` is called only when ``getWebhookInfo`` shows something else registered, so a
restart or a second replica does not churn it. getWebhookInfo never returns the secret, so the
secret is made visible another way: the registered URL carries a tag derived from it
(``?k=<HMAC-SHA256(bot token, secret)>``, 16 hex digits). A changed secret is a changed URL, and
a random per-start secret therefore always sets the webhook, as it must. The tag tells nothing
about the secret to whoever reads the URL in a proxy's log without also holding the bot token.

At shutdown the webhook is **not** deleted. Telegram keeps the updates that arrive meanwhile and
delivers them once the next start calls ``setWebhook`` again; and during a redeploy where the new
process starts before the old one stops, an old process deleting the webhook on its way out would
silently cut off the new one. Switching back to polling needs nothing by hand: the polling intake
calls ``deleteWebhook`` first (without dropping pending updates).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update, WebhookInfo
from telegram.ext import Application

from kooch.telegram.updates import ALLOWED_UPDATES, UpdateParser

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram-webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

#: Takes the JSON body of one webhook request and returns once it may be confirmed, with the method
#: to write in the response (None: none); raises :class:`NotAnUpdate` when it is not an update.
UpdateSink = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]

#: Telegram's ids and dates fit in 64 bits (SQLite's integers): anything wider is not theirs.
_INT_BOUND = 2**63


class NotAnUpdate(ValueError):
    """A webhook body that is no Telegram update; the message is short and safe to send back."""


def _bounded_int(text: str) -> int:
    # Called by the JSON decoder on every integer literal, before int() would spend quadratic
    # time on a 4,000-digit one (CPython refuses longer ones itself).
    if len(text) > 20:
        raise NotAnUpdate("a number is too large")
    value = int(text)
    if not -_INT_BOUND <= value < _INT_BOUND:
        raise NotAnUpdate("a number is too large")
    return value


def _no_constant(name: str) -> Any:
    raise NotAnUpdate(f"{name} is not a JSON number")


def parse_update_body(body: bytes) -> dict[str, Any]:
    """The JSON object of a webhook request that looks like an update (an object with an integer
    ``update_id``), or :class:`NotAnUpdate` saying briefly why not.

    Whatever the body is — not UTF-8, a list, nested 100,000 deep, numbers wider than 64 bits,
    NaN — the answer is this one exception, never another error: the web server turns it into a
    400, which Telegram does not retry forever the way it retries a 500."""
    try:
        data = json.loads(body, parse_int=_bounded_int, parse_constant=_no_constant)
    except NotAnUpdate:
        raise
    except RecursionError:
        raise NotAnUpdate("the body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise NotAnUpdate("the body is not JSON") from None
    if not isinstance(data, dict):
        raise NotAnUpdate("the body is not a Telegram update")
    update_id = data.get("update_id")
    if isinstance(update_id, bool) or not isinstance(update_id, int) or update_id < 0:
        raise NotAnUpdate("the body is not a Telegram update")
    return data


#: What Telegram accepts as ``secret_token``.
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
SECRET_ENV = "KOOCH_WEBHOOK_SECRET"


def new_secret() -> str:
    """A secret_token Telegram accepts: 1-256 of A-Z a-z 0-9 _ - (here 43, 256 bits)."""
    return secrets.token_urlsafe(32)


def checked_secret(value: str) -> str:
    """``KOOCH_WEBHOOK_SECRET`` as given, or ValueError saying what Telegram accepts (the value
    itself is never repeated: it is a secret, and error messages end up in logs)."""
    if SECRET_RE.fullmatch(value) is None:
        raise ValueError(
            f"{SECRET_ENV} must be 1 to 256 characters of A-Z a-z 0-9 _ - (Telegram's rule for a "
            f"webhook secret); the one set has {len(value)} characters"
            + ("" if len(value) == 0 or len(value) > 256 else ", some of them not allowed")
            + ". Generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return value


def secret_tag(token: str, secret: str) -> str:
    """16 hex digits that change with the secret (see the module docstring)."""
    return hmac.new(token.encode(), secret.encode(), hashlib.sha256).hexdigest()[:16]


def webhook_url(public_url: str, tag: str) -> str:
    return f"{public_url}{WEBHOOK_PATH}?k={tag}"


@dataclass(frozen=True)
class WebhookWanted:
    """What Kooch registers with ``setWebhook``."""

    url: str
    max_connections: int
    allowed_updates: frozenset[str]


def webhook_unchanged(info: WebhookInfo, wanted: WebhookWanted) -> bool:
    """Whether ``getWebhookInfo``'s answer is already what Kooch would set. The secret is covered
    by the URL's tag; a certificate someone uploaded by hand is not Kooch's, so set again."""
    return (
        info.url == wanted.url
        and info.max_connections == wanted.max_connections
        and frozenset(info.allowed_updates or ()) == wanted.allowed_updates
        and not info.has_custom_certificate
    )


def decode_update(data: dict[str, Any], parser: UpdateParser) -> Update:
    """PTB's :class:`Update` from a parsed body, or :class:`NotAnUpdate`. A field of the wrong
    shape (``{"message": "x"}``) fails inside PTB's decoders with whichever error the access
    raises first (AttributeError, TypeError, KeyError, ...): all of them mean "not an update"."""
    try:
        return parser.parse(data)
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
        log.debug("webhook body refused: %r", exc)
        raise NotAnUpdate("the body is not a Telegram update") from None
    except RecursionError:
        raise NotAnUpdate("the body is nested too deeply") from None


async def set_webhook(
    app: Application[Any, Any, Any, Any, Any, Any], public_url: str, secret: str, max_connections: int
) -> bool:
    """Register the webhook unless Telegram has exactly this one already; True if it was set."""
    wanted = WebhookWanted(
        url=webhook_url(public_url, secret_tag(app.bot.token, secret)),
        max_connections=max_connections,
        allowed_updates=frozenset(ALLOWED_UPDATES),
    )
    if webhook_unchanged(await app.bot.get_webhook_info(), wanted):
        log.info("the webhook is registered already; not setting it again")
        return False
    await app.bot.set_webhook(
        url=wanted.url,
        secret_token=secret,
        allowed_updates=sorted(wanted.allowed_updates),
        max_connections=max_connections,
        drop_pending_updates=False,
    )
    return True
