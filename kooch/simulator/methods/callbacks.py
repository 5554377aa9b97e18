"""answerCallbackQuery: the bot's answer to a button press made through the player API."""

from __future__ import annotations

import time
from typing import Any

from ..errors import bad_request
from ..models import JSONDict
from .base import ApiBase

QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


class CallbackMethods(ApiBase):
    """answerCallbackQuery."""

    def api_answer_callback_query(self, params: JSONDict) -> Any:
        """answerCallbackQuery: once per query, within ``callback_deadline`` seconds."""
        query_id = params.get("callback_query_id")
        record = self._queries.get(str(query_id)) if query_id is not None else None
        if (
            record is None
            or record.answered
            or self.clock.monotonic() - record.created_monotonic > self.callback_deadline
        ):
            raise bad_request(QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        record.text = None if text is None else str(text)
        record.show_alert = bool(params.get("show_alert", False))
        url = params.get("url")
        record.url = None if url is None else str(url)
        cache_time = params.get("cache_time")
        record.cache_time = cache_time if isinstance(cache_time, int) else None
        record.answered_at = time.time()
        record.answered_monotonic = self.clock.monotonic()
        self.answers.append(record)
        future = self._answer_waiters.pop(record.callback_query_id, None)
        if future is not None and not future.done():
            future.set_result(record)
        self._change_pulse.fire()
        return True
