"""Bot API methods that deliver updates: getUpdates (long polling) and the webhook settings.

While a webhook is set, getUpdates fails with 409 exactly as on Telegram. Whether the
webhook is also called depends on the server: :class:`~kooch.simulator.BotAPISimulator`
delivers only when built with ``deliver_webhooks=True`` (see :mod:`..webhook`); otherwise
the webhook is only stored and the updates stay queued for a test to hand over.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..errors import ApiError, bad_request
from ..models import JSONDict
from ..params import Upload
from .base import ApiBase

#: setWebhook's ``max_connections`` when not given, and its upper bound.
DEFAULT_MAX_CONNECTIONS = 40
MAX_CONNECTIONS_LIMIT = 100

CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


class UpdateMethods(ApiBase):
    """getUpdates, setWebhook, deleteWebhook, getWebhookInfo."""

    async def api_get_updates(self, params: JSONDict) -> list[JSONDict]:
        """getUpdates with Telegram's long-poll semantics.

        A newer poll makes a still-pending older one fail with 409, exactly like
        Telegram; that also frees a poll left behind by a bot process that died, so a
        restarted bot is served at once.
        """
        if self.webhook_url:
            raise ApiError(409, CONFLICT_WEBHOOK)
        if "allowed_updates" in params:
            self._set_allowed_updates(params["allowed_updates"])
        offset = params.get("offset")
        if isinstance(offset, int) and offset != 0:
            self._confirm_updates(offset)
        limit = params.get("limit", 100)
        if not isinstance(limit, int) or not 1 <= limit <= 100:
            limit = 100
        timeout = params.get("timeout", 0.0)
        timeout = max(0.0, float(timeout)) if isinstance(timeout, int | float) else 0.0

        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_pulse.fire()  # wake an older poll so it notices it was superseded
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT_OTHER_POLL)
            if self._updates:
                batch = self._peek_updates(limit)
                self.delivered_updates.extend(batch)
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                return []
            self.polls_waiting += 1
            self._change_pulse.fire()
            try:
                await self._updates_pulse.wait(remaining)
            finally:
                self.polls_waiting -= 1

    def api_set_webhook(self, params: JSONDict) -> Any:
        """setWebhook: stored, and delivered to when the server delivers webhooks."""
        url = params.get("url") or ""
        if not isinstance(url, str):
            raise bad_request("invalid webhook URL specified")
        plain_http_ok = self.webhook_accepts_http and url.startswith("http://")
        if url and not url.startswith("https://") and not plain_http_ok:
            raise bad_request("bad webhook: HTTPS url must be provided for webhook")
        max_connections = params.get("max_connections", DEFAULT_MAX_CONNECTIONS)
        if not isinstance(max_connections, int):
            max_connections = DEFAULT_MAX_CONNECTIONS
        # Pausing first hands undelivered updates back, so drop_pending_updates drops them too.
        self._webhook_pause()
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = url
        self.webhook_params = {k: v for k, v in params.items() if not isinstance(v, Upload)}
        if url:
            # Telegram clamps rather than refuses an out-of-range value.
            self.webhook_params["max_connections"] = min(max(max_connections, 1), MAX_CONNECTIONS_LIMIT)
        if isinstance(params.get("allowed_updates"), list):
            self._set_allowed_updates(params["allowed_updates"])
        self._webhook_resume()
        return True

    def api_delete_webhook(self, params: JSONDict) -> Any:
        """deleteWebhook: clears the webhook; optionally drops pending updates."""
        self._webhook_pause()
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = ""
        self.webhook_params = {}
        return True

    def api_get_webhook_info(self, params: JSONDict) -> Any:
        """getWebhookInfo."""
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook_url:
            if "max_connections" in self.webhook_params:
                info["max_connections"] = self.webhook_params["max_connections"]
            if self._allowed_updates is not None:
                info["allowed_updates"] = sorted(self._allowed_updates)
            info.update(self._webhook_info_extra())
        return info

    def _set_allowed_updates(self, allowed: Any) -> None:
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON object")
        self._allowed_updates = frozenset(str(kind) for kind in allowed) if allowed else None
