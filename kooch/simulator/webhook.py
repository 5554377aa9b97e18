"""Webhook delivery the way Telegram's open-source Bot API server (``WebhookActor.cpp``) does it.

- **One queue per sender.** Updates go to a queue keyed like telegram-bot-api keys them
  (callback queries by the user who pressed, messages and ``my_chat_member`` by chat,
  ``chat_member`` by user); only the head of each queue is ever in flight, so a user's
  second update is not sent before the first one got a 2xx answer or was dropped. Different
  queues are sent in parallel.
- **At most ``max_connections`` requests in flight**, over keep-alive connections (an
  aiohttp session whose connector is limited to ``max_connections``).
- **Retries with backoff.** A non-2xx answer, a connection error or a timeout puts the
  update back at the head of its queue: the first retry is immediate, then the delay
  doubles from ``retry_base`` up to ``retry_max``; a ``Retry-After`` header wins. An update
  whose next try would come after its expiry is dropped (callback queries expire about
  150 s after they were created, other updates after a day).
- **A method in a 2xx reply body** (``{"method": "answerCallbackQuery", ...}``, JSON or
  url-encoded) is executed as if the bot had called it; its result is not reported back.
  ``get*`` methods and the methods that change the webhook or log out are ignored there.

Every update handed to the sender gets a :class:`WebhookDelivery` record (attempts and final
status), kept after delivery so tests can check that nothing was lost and benchmarks can
measure latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl

import aiohttp

from .models import JSONDict

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

#: Methods never executed from a reply body (besides every ``get*`` one), as in telegram-bot-api.
IGNORED_REPLY_METHODS = frozenset({"setwebhook", "deletewebhook", "close", "logout"})

#: Longest ``Retry-After`` honoured, as in telegram-bot-api.
_MAX_RETRY_AFTER = 3600.0

#: Update kinds queued per user rather than per chat (telegram-bot-api's queue ids).
_PER_USER_KINDS = frozenset({"callback_query", "inline_query", "chat_member", "chat_join_request"})

DeliveryStatus = Literal["queued", "sending", "delivered", "expired", "returned"]
QueueKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class WebhookOptions:
    """Timing of webhook delivery; the defaults are Telegram's, tests make them short."""

    #: The unit of the backoff: the first retry is immediate, then 2, 4, 8 ... times this.
    retry_base: float = 1.0
    #: Longest delay between two tries of one update.
    retry_max: float = 60.0
    #: Seconds a request may take before it counts as failed.
    request_timeout: float = 60.0
    #: Seconds after creation after which an undelivered callback query is dropped.
    callback_expiry: float = 150.0
    #: The same for every other update.
    update_expiry: float = 86_400.0


@dataclass(slots=True)
class DeliveryAttempt:
    """One POST of an update to the webhook."""

    #: ``time.monotonic()`` when the request was sent.
    sent_at: float
    #: The HTTP status, or None when no answer came (connection error, timeout).
    status: int | None
    #: Why the attempt failed, None if it got a 2xx answer.
    error: str | None


@dataclass(slots=True)
class WebhookDelivery:
    """An update handed to the webhook sender and what became of it."""

    update_id: int
    kind: str
    queue: QueueKey
    #: ``time.monotonic()`` when the update was created.
    created_at: float
    expires_at: float
    callback_query_id: str | None = None
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    #: ``delivered`` (2xx), ``expired`` (dropped), ``returned`` (the webhook was removed or
    #: changed first: the update went back to the getUpdates queue), or still in progress.
    status: DeliveryStatus = "queued"
    #: ``time.monotonic()`` of the 2xx answer or of the drop.
    finished_at: float | None = None
    #: The backoff the next failure starts from (telegram-bot-api doubles it per failure).
    next_delay: float = 0.0

    @property
    def done(self) -> bool:
        """True once delivered or dropped."""
        return self.status in ("delivered", "expired")


def queue_key(update: JSONDict) -> tuple[str, QueueKey]:
    """The update's kind and the queue it waits in."""
    kind = next((key for key in update if key != "update_id"), "")
    payload = update.get(kind)
    if isinstance(payload, dict):
        sender = payload.get("from")
        if kind in _PER_USER_KINDS and isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return kind, ("user", sender["id"])
        chat = payload.get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return kind, ("chat", chat["id"])
    return kind, ("update", int(update["update_id"]))


def reply_request(body: bytes, content_type: str) -> tuple[str, dict[str, Any]] | None:
    """The method a webhook's 2xx reply asks for and its parameters, if it is one to execute."""
    if not body.strip():
        return None
    params: dict[str, Any]
    try:
        if content_type == "application/json":
            decoded = json.loads(body)
            if not isinstance(decoded, dict):
                return None
            params = decoded
        elif content_type == "application/x-www-form-urlencoded":
            params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        else:
            return None
    except ValueError:
        return None
    method = params.pop("method", None)
    if not isinstance(method, str) or not method:
        return None
    key = method.lower()
    if key.startswith("get") or key in IGNORED_REPLY_METHODS:
        return None
    return method, params


class WebhookSender:
    """Delivers updates to one webhook URL until :meth:`close`."""

    def __init__(
        self,
        url: str,
        *,
        secret_token: str,
        max_connections: int,
        options: WebhookOptions,
        records: dict[int, WebhookDelivery],
        execute_reply: Callable[[str, dict[str, Any]], None],
        on_change: Callable[[], None],
    ) -> None:
        self.url = url
        self.secret_token = secret_token
        self.max_connections = max_connections
        self.options = options
        #: ``(unix time, message)`` of the last failed attempt, for getWebhookInfo.
        self.last_error: tuple[int, str] | None = None
        self._records = records
        self._execute_reply = execute_reply
        self._on_change = on_change
        self._queues: dict[QueueKey, deque[WebhookDelivery]] = {}
        self._payloads: dict[int, JSONDict] = {}
        # Queues whose head may be sent at the given time: (wake-up, tie-breaker, queue).
        self._ready: list[tuple[float, int, QueueKey]] = []
        self._ready_seq = 0
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Updates not yet delivered or dropped, in flight included."""
        return len(self._payloads)

    @property
    def in_flight(self) -> int:
        """Requests currently waiting for the webhook's answer."""
        return len(self._in_flight)

    def start(self) -> None:
        """Start sending (on the running loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="webhook-sender")

    def offer(self, update_id: int, update: JSONDict) -> None:
        """Queue a new update for delivery."""
        kind, key = queue_key(update)
        now = time.monotonic()
        expiry = self.options.callback_expiry if kind == "callback_query" else self.options.update_expiry
        payload = update.get(kind)
        query_id = payload.get("id") if kind == "callback_query" and isinstance(payload, dict) else None
        record = WebhookDelivery(
            update_id=update_id,
            kind=kind,
            queue=key,
            created_at=now,
            expires_at=now + expiry,
            callback_query_id=None if query_id is None else str(query_id),
            next_delay=self.options.retry_base,
        )
        self._records[update_id] = record
        self._payloads[update_id] = update
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
            self._schedule(now, key)
        queue.append(record)
        self._kick.set()

    def close(self) -> tuple[list[tuple[int, JSONDict]], asyncio.Task[None] | None]:
        """Stop sending at once: returns the undelivered updates (in id order, to go back to the
        getUpdates queue) and the task to await for the connections to close."""
        task, self._task = self._task, None
        for sending in self._in_flight.values():
            sending.cancel()
        self._in_flight.clear()
        if task is not None:
            task.cancel()
        returned: list[tuple[int, JSONDict]] = []
        for update_id in sorted(self._payloads):
            self._records[update_id].status = "returned"
            returned.append((update_id, self._payloads[update_id]))
        self._payloads.clear()
        self._queues.clear()
        self._ready.clear()
        if returned:
            self._on_change()
        return returned, task

    # ------------------------------------------------------------------ sending

    def _schedule(self, at: float, key: QueueKey) -> None:
        self._ready_seq += 1
        heapq.heappush(self._ready, (at, self._ready_seq, key))

    async def _run(self) -> None:
        connector = aiohttp.TCPConnector(limit=self.max_connections)
        timeout = aiohttp.ClientTimeout(total=self.options.request_timeout)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            try:
                while True:
                    self._kick.clear()
                    wait = self._dispatch(session)
                    if wait is None:
                        await self._kick.wait()
                        continue
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(wait):
                            await self._kick.wait()
            finally:
                # Requests cut short here were not answered: close() returned their updates.
                sending = list(self._in_flight.values())
                for task in sending:
                    task.cancel()
                await asyncio.gather(*sending, return_exceptions=True)

    def _dispatch(self, session: aiohttp.ClientSession) -> float | None:
        """Send every queue head that is due while connections are free; the seconds until the
        next one is due, or None to wait for a new update or a finished request."""
        loop = asyncio.get_running_loop()
        while self._ready and len(self._in_flight) < self.max_connections:
            now = time.monotonic()
            due, _, key = self._ready[0]
            if due > now:
                return due - now
            heapq.heappop(self._ready)
            record = self._queues[key][0]
            if now >= record.expires_at:
                self._finish(key, record, "expired")
                continue
            record.status = "sending"
            task = loop.create_task(self._send(session, key, record))
            self._in_flight[record.update_id] = task
        return None

    async def _send(self, session: aiohttp.ClientSession, key: QueueKey, record: WebhookDelivery) -> None:
        update_id = record.update_id
        body = json.dumps(self._payloads[update_id], ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if self.secret_token:
            headers[SECRET_HEADER] = self.secret_token
        sent_at = time.monotonic()
        status: int | None = None
        error: str | None = None
        retry_after = 0.0
        reply: tuple[str, dict[str, Any]] | None = None
        try:
            async with session.post(self.url, data=body, headers=headers) as response:
                status = response.status
                answer = await response.read()
                if 200 <= status <= 299:
                    reply = reply_request(answer, response.content_type)
                else:
                    error = f"Wrong response from the webhook: {status} {response.reason}"
                    retry_after = _retry_after(response.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = f"Connection to the webhook failed: {exc.__class__.__name__}"
        record.attempts.append(DeliveryAttempt(sent_at, status, error))
        self._in_flight.pop(update_id, None)
        if error is None:
            self._finish(key, record, "delivered")
            if reply is not None:
                try:
                    self._execute_reply(*reply)
                except Exception:
                    # Like Telegram, the webhook never learns how its reply went; the sender
                    # must not die of a reply the simulator could not digest either.
                    logger.exception("webhook reply %s failed", reply[0])
        else:
            self.last_error = (int(time.time()), error)
            self._retry(key, record, retry_after)
            self._on_change()  # a refused attempt is news too: tests wait on the attempts
        self._kick.set()

    def _retry(self, key: QueueKey, record: WebhookDelivery, retry_after: float) -> None:
        """telegram-bot-api's backoff: immediate first retry, then doubling delays."""
        now = time.monotonic()
        wait = min(max(retry_after, 0.0), _MAX_RETRY_AFTER)
        if wait == 0 and len(record.attempts) > 1:
            record.next_delay = min(self.options.retry_max, record.next_delay * 2)
            wait = record.next_delay
        if now + wait > record.expires_at:
            self._finish(key, record, "expired")
            return
        record.status = "queued"
        self._schedule(now + wait, key)

    def _finish(self, key: QueueKey, record: WebhookDelivery, status: DeliveryStatus) -> None:
        record.status = status
        record.finished_at = time.monotonic()
        self._payloads.pop(record.update_id, None)
        queue = self._queues[key]
        queue.popleft()
        if queue:
            self._schedule(record.finished_at, key)
        else:
            del self._queues[key]
        self._on_change()


def _retry_after(value: str | None) -> float:
    if value is None:
        return 0.0
    try:
        return float(value)
    except ValueError:
        return 0.0
