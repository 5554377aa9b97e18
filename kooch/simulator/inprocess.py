"""An in-process stand-in for Telegram's HTTP API, for floods too fast to route through a socket.

:class:`InProcessTelegram` is a python-telegram-bot ``BaseRequest``: plug it into an Application
(``ApplicationBuilder().request(r).get_updates_request(r)``) and the real Application, Updater,
handlers and Bot run unchanged, while ``getUpdates`` hands out prepared updates at an offered rate
and ``answerCallbackQuery`` records when each tap was answered. No network, no JSON over a socket:
what is measured is python-telegram-bot plus the bot's own code.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_ID = 777000
CHANNEL_ID = -1001000000001


def tap_update(update_id: int, user_id: int, data: str, message_id: int = 1) -> dict[str, Any]:
    """A callback_query update: ``user_id`` taps the button ``data`` under a channel post."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": str(update_id),
            "from": {"id": user_id, "is_bot": False, "first_name": f"U{user_id}", "language_code": "fa"},
            "chat_instance": "-42",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": 1_700_000_000,
                "chat": {"id": CHANNEL_ID, "type": "channel", "title": "Demo", "username": "kooch_demo"},
                "sender_chat": {"id": CHANNEL_ID, "type": "channel", "title": "Demo"},
                "text": "announcement",
            },
        },
    }


class InProcessTelegram(BaseRequest):
    """Serves ``updates`` through getUpdates and records answerCallbackQuery times.

    Call :meth:`release` to start the flood: update ``i`` becomes available at
    ``t0 + i / rate`` (all at once when ``rate`` is None).
    """

    def __init__(self, updates: list[dict[str, Any]]) -> None:
        self._frames = [json.dumps(u, separators=(",", ":")).encode() for u in updates]
        self._first_id = int(updates[0]["update_id"]) if updates else 0
        self._index_of = {
            str(u["callback_query"]["id"]): i for i, u in enumerate(updates) if "callback_query" in u
        }
        self.available_at: list[float] = [0.0] * len(updates)
        self.answered_at: list[float | None] = [None] * len(updates)
        self.answer_texts: list[str | None] = [None] * len(updates)
        self.answers = 0
        self.all_answered = asyncio.Event()
        self._answered: asyncio.Event | None = None
        self._released = asyncio.Event()
        self._t0 = 0.0

    def next_change(self) -> asyncio.Event:
        """An event the next answer sets (:func:`kooch.testing.waiting.eventually` waits on it)."""
        if self._answered is None:
            self._answered = asyncio.Event()
        return self._answered

    # ------------------------------------------------------------------ BaseRequest

    @property
    def read_timeout(self) -> float | None:
        return 15.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data is not None else {}
        if name == "getUpdates":
            return 200, await self._get_updates(params)
        if name == "answerCallbackQuery":
            index = self._index_of.get(str(params.get("callback_query_id")))
            if index is not None and self.answered_at[index] is None:
                self.answered_at[index] = time.perf_counter()
                text = params.get("text")
                self.answer_texts[index] = text if isinstance(text, str) else None
                self.answers += 1
                if self.answers == len(self._index_of):
                    self.all_answered.set()
                if self._answered is not None:
                    self._answered.set()
                    self._answered = None
            return 200, b'{"ok":true,"result":true}'
        if name == "getMe":
            me = {"id": BOT_ID, "is_bot": True, "first_name": "Kooch", "username": "kooch_bench_bot"}
            return 200, json.dumps({"ok": True, "result": me}).encode()
        # What the bot's menus are read back with at start (nothing set yet), so the start-up
        # work of a benchmark's bot ends as it would against Telegram.
        if name == "getMyCommands":
            return 200, b'{"ok":true,"result":[]}'
        if name in ("getMyDescription", "getMyShortDescription"):
            field = "description" if name == "getMyDescription" else "short_description"
            return 200, json.dumps({"ok": True, "result": {field: ""}}).encode()
        return 200, b'{"ok":true,"result":true}'

    # ------------------------------------------------------------------ the flood

    def release(self, rate: float | None = None) -> None:
        """Start offering the updates now, at ``rate`` per second (None: all at once)."""
        self._t0 = time.perf_counter()
        for i in range(len(self.available_at)):
            self.available_at[i] = self._t0 + (i / rate if rate else 0.0)
        self._released.set()

    async def _get_updates(self, params: dict[str, Any]) -> bytes:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        start = max(0, offset - self._first_id)
        deadline = time.perf_counter() + timeout
        if not self._released.is_set():
            try:
                await asyncio.wait_for(self._released.wait(), timeout)
            except TimeoutError:
                return b'{"ok":true,"result":[]}'
        while True:
            now = time.perf_counter()
            end = start
            while end < len(self._frames) and end - start < limit and self.available_at[end] <= now:
                end += 1
            if end > start:
                return b'{"ok":true,"result":[' + b",".join(self._frames[start:end]) + b"]}"
            if start >= len(self._frames) or now >= deadline:
                if start >= len(self._frames):
                    await asyncio.sleep(min(0.05, max(0.0, deadline - now)))
                return b'{"ok":true,"result":[]}'
            await asyncio.sleep(max(0.0, min(self.available_at[start], deadline) - now))

    def latencies_ms(self) -> list[float]:
        """Tap-to-answer times of the answered taps, in milliseconds."""
        return [
            (answered - self.available_at[i]) * 1000.0
            for i, answered in enumerate(self.answered_at)
            if answered is not None
        ]

    def elapsed_s(self) -> float:
        """From the release to the last answer."""
        answered = [t for t in self.answered_at if t is not None]
        return (max(answered) - self._t0) if answered else 0.0
