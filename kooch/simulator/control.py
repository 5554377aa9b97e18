"""A small control API over HTTP, to drive a simulator running in another process (benchmarks).

Mounted by ``python -m kooch.simulator`` next to the Bot API. JSON in, JSON out; only peers on
loopback are served (403 otherwise) unless the API was built with ``allow_remote=True``.

``POST /sim/users`` ``{"count": 1, "language_code": "fa", "started": false}``
    creates users; answers ``{"user_ids": [...]}``.
``POST /sim/channels`` ``{"username": "kooch_demo", "title": "Demo", "member_count": 1000}``
    creates a channel where the bot is an administrator; answers ``{"chat_id": ...}``.
``POST /sim/posts`` ``{"chat_id": ..., "text": "...", "buttons": [[{"text": ..., "callback_data": ...}]]}``
    stores a post as if the bot had sent it (for runs where the bot does not post itself);
    answers ``{"message_id": ...}``.
``POST /sim/taps`` ``{"chat_id": ..., "message_id": ..., "callback_data": ..., "count": N}``
    presses the button (``callback_data`` defaults to the post's first callback button) once
    for each of ``user_ids`` or, without them, for ``count`` new users; answers
    ``{"created": N, "user_ids": [...]}`` (who tapped: ids to tap again with). The taps are
    queued a few hundred at a time, yielding in between, so delivery runs during a big flood as
    it would on Telegram.
``POST /sim/messages`` ``{"text": "/start", "user_ids": [...]}`` or ``{"text": ..., "count": N,
    "language_code": "fa"}``
    each user (or each of ``count`` new users) sends ``text`` in their private chat with the bot;
    answers ``{"user_ids": [...]}``. The time of each is kept for ``/sim/replies``.
``GET /sim/replies``
    answers ``{"replies": [[chat_id, text, seconds], ...]}``, one for each message sent through
    ``/sim/messages``: seconds from it to the bot's first successful ``sendMessage`` or
    ``sendPhoto`` in that chat (an HTTP call or a webhook reply) at or after it and after the one
    matched to the chat's previous message (``null``: none yet). The Bot API does not say which
    message a reply answers: a reply that comes after the chat's next message counts for that one.
``POST /sim/rate-limits`` ``{"global_per_s": 30, "per_chat_per_s": 1, "per_channel_per_min": 20}``
    turns on Telegram's flood control (429 above it; the keys default to Telegram's limits, a
    ``null`` turns a rule off); answers ``{"on": true}``.
``POST /sim/members`` ``{"chat_id": ..., "joined": [user ids], "left": [user ids]}``
    people join or leave a channel (``chat_member`` updates, delivered when the bot asked for
    them); answers ``{"update_ids": [...]}`` (null for one the bot's ``allowed_updates`` left out).
``POST /sim/reactions`` ``{"chat_id": ..., "message_id": ..., "counts": {"👍": 12}}``
    Telegram's reaction totals on a post (``message_reaction_count``); answers ``{"update_id": ...}``.
``POST /sim/stars`` ``{"balance": 100}``
    sets the bot's Telegram Stars (``getMyStarBalance``; paid broadcasts take 0.1 each);
    answers ``{"balance": ...}``.
``GET /sim/stats`` (optionally ``?wait_answered=N&timeout=S``: first wait until N callback
    queries are answered, at most S seconds)
    answers counts: callback queries created and answered (by HTTP call or webhook reply),
    webhook deliveries by status and attempts, the answer latency (tap created →
    answerCallbackQuery received) in seconds, and the Bot API calls per method.
``GET /sim/delivered``
    answers ``{"user_ids": [...]}``: who tapped, for each tap whose webhook delivery got a 2xx
    (what the bot promised to have stored).
``GET /sim/sent?method=sendMessage``
    answers ``{"per_chat": {"<chat id>": N}}``: the successful calls of ``method`` per chat
    (a campaign's duplicates are the chats above 1).
"""

from __future__ import annotations

import asyncio
import bisect
import ipaddress
import json
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .errors import SimulatorError
from .models import CallRecord, JSONDict
from .server import BotAPISimulator

#: Taps queued between two yields to the loop.
_TAPS_PER_SLICE = 500
#: The methods that count as the bot's reply to a message, for ``/sim/replies``.
_REPLY_METHODS = frozenset({"sendMessage", "sendPhoto"})

_Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _is_loopback(remote: str | None) -> bool:
    if remote is None:
        return False
    try:
        return ipaddress.ip_address(remote.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _percentile(ordered: list[float], fraction: float) -> float:
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def reply_latencies(asked: list[tuple[int, str, float]], calls: list[CallRecord]) -> list[list[Any]]:
    """For each (chat id, text, time) asked: [chat id, text, seconds to the bot's reply or None].

    A chat's replies are matched to its messages in order, each reply at most once: the first
    successful send in the chat at or after the message and after the previous message's reply."""
    sent: dict[int, list[float]] = defaultdict(list)
    for call in calls:
        if call.ok and call.method in _REPLY_METHODS:
            try:
                sent[int(call.params["chat_id"])].append(call.at)
            except (KeyError, TypeError, ValueError):
                continue
    for times in sent.values():
        times.sort()
    used: dict[int, int] = {}  # per chat: the index after the last reply matched
    answers: list[list[Any]] = []
    for chat_id, text, at in sorted(asked, key=lambda a: a[2]):
        times = sent.get(chat_id, [])
        index = max(used.get(chat_id, 0), bisect.bisect_left(times, at))
        if index < len(times):
            used[chat_id] = index + 1
            answers.append([chat_id, text, times[index] - at])
        else:
            answers.append([chat_id, text, None])
    return answers


def stats(sim: BotAPISimulator) -> JSONDict:
    """What a benchmark reads: counts, statuses and latencies."""
    queries = sim.callback_queries
    latencies = sorted(
        q.answered_monotonic - q.created_monotonic for q in queries if q.answered_monotonic is not None
    )
    latency: JSONDict = {"count": len(latencies)}
    if latencies:
        latency.update(
            mean=sum(latencies) / len(latencies),
            p50=_percentile(latencies, 0.50),
            p90=_percentile(latencies, 0.90),
            p99=_percentile(latencies, 0.99),
            max=latencies[-1],
        )
    records = sim.webhook_deliveries.values()
    sender = sim.webhook_sender
    answers = sim.calls_of("answerCallbackQuery")
    return {
        "callback_queries": {
            "created": len(queries),
            "answered": len(sim.answers),
            "answered_by_webhook_reply": sum(1 for c in answers if c.ok and c.from_webhook_reply),
        },
        "answer_latency_seconds": latency,
        "webhook": {
            "url": sim.webhook_url,
            "statuses": dict(Counter(r.status for r in records)),
            "attempts": sum(len(r.attempts) for r in records),
            "in_flight": 0 if sender is None else sender.in_flight,
        },
        "queued_for_get_updates": sim.pending_updates,
        "throttled": sim.throttled_count,
        "calls": dict(Counter(c.method for c in sim.calls)),
    }


class ControlAPI:
    """The ``/sim/*`` routes for one simulator."""

    def __init__(self, sim: BotAPISimulator, *, allow_remote: bool = False) -> None:
        self.sim = sim
        self.allow_remote = allow_remote
        #: Messages sent through ``/sim/messages``: (chat id, text, wall-clock time), in order.
        self._asked: list[tuple[int, str, float]] = []

    def register(self, app: web.Application) -> None:
        """Add the routes (pass as one of the simulator's ``route_hooks``)."""
        app.router.add_post("/sim/users", self._guard(self._users))
        app.router.add_post("/sim/channels", self._guard(self._channels))
        app.router.add_post("/sim/posts", self._guard(self._posts))
        app.router.add_post("/sim/taps", self._guard(self._taps))
        app.router.add_post("/sim/messages", self._guard(self._messages))
        app.router.add_get("/sim/replies", self._guard(self._replies))
        app.router.add_post("/sim/rate-limits", self._guard(self._rate_limits))
        app.router.add_post("/sim/members", self._guard(self._members))
        app.router.add_post("/sim/reactions", self._guard(self._reactions))
        app.router.add_post("/sim/stars", self._guard(self._stars))
        app.router.add_get("/sim/stats", self._guard(self._stats))
        app.router.add_get("/sim/delivered", self._guard(self._delivered))
        app.router.add_get("/sim/sent", self._guard(self._sent))

    def _guard(self, handler: Callable[[web.Request, JSONDict], Awaitable[JSONDict]]) -> _Route:
        async def route(request: web.Request) -> web.StreamResponse:
            if not self.allow_remote and not _is_loopback(request.remote):
                return web.json_response({"error": "the control API serves loopback only"}, status=403)
            body: JSONDict = {}
            if request.body_exists:
                try:
                    decoded = await request.json()
                except json.JSONDecodeError:
                    return web.json_response({"error": "body must be a JSON object"}, status=400)
                if not isinstance(decoded, dict):
                    return web.json_response({"error": "body must be a JSON object"}, status=400)
                body = decoded
            try:
                return web.json_response(await handler(request, body))
            except (SimulatorError, KeyError, TypeError, ValueError) as exc:
                return web.json_response({"error": f"{exc.__class__.__name__}: {exc}"}, status=400)

        return route

    async def _users(self, request: web.Request, body: JSONDict) -> JSONDict:
        count = int(body.get("count", 1))
        language = body.get("language_code", "fa")
        started = bool(body.get("started", False))
        users = [self.sim.add_user(f"User{n}", language, started=started) for n in range(count)]
        return {"user_ids": [user.id for user in users]}

    async def _channels(self, request: web.Request, body: JSONDict) -> JSONDict:
        channel = self.sim.add_channel(
            username=body.get("username", "kooch_demo"),
            title=str(body.get("title", "Demo")),
            member_count=int(body.get("member_count", 1000)),
        )
        return {"chat_id": channel.id, "username": channel.username}

    async def _posts(self, request: web.Request, body: JSONDict) -> JSONDict:
        chat = self.sim.chat(body["chat_id"])
        buttons = body.get("buttons")
        markup = {"inline_keyboard": buttons} if isinstance(buttons, list) else None
        message = self.sim._store_message(
            chat, sender=None, from_bot=True, text=str(body.get("text", "")), reply_markup=markup
        )
        return {"message_id": message.message_id}

    async def _taps(self, request: web.Request, body: JSONDict) -> JSONDict:
        sim = self.sim
        chat = sim.chat(body["chat_id"])
        message_id = int(body["message_id"])
        data = body.get("callback_data")
        if data is None:
            buttons = sim.message(chat, message_id).callback_buttons()
            if not buttons:
                raise SimulatorError(f"message {message_id} has no callback button")
            data = buttons[0][1]
        raw_ids: Any = body.get("user_ids")
        if isinstance(raw_ids, list):
            user_ids = [int(user_id) for user_id in raw_ids]
        else:
            user_ids = [sim.add_user(f"Tapper{n}", "fa").id for n in range(int(body.get("count", 1)))]
        for n, user_id in enumerate(user_ids, 1):
            await sim.press_button(user_id, chat.id, message_id, str(data))
            if n % _TAPS_PER_SLICE == 0:
                await asyncio.sleep(0)
        return {"created": len(user_ids), "user_ids": user_ids}

    async def _messages(self, request: web.Request, body: JSONDict) -> JSONDict:
        sim = self.sim
        text = str(body["text"])
        raw_ids: Any = body.get("user_ids")
        if isinstance(raw_ids, list):
            user_ids = [int(user_id) for user_id in raw_ids]
        else:
            language = str(body.get("language_code", "fa"))
            user_ids = [sim.add_user(f"Writer{n}", language).id for n in range(int(body.get("count", 1)))]
        for n, user_id in enumerate(user_ids, 1):
            message = await sim.send_text(user_id, text)
            self._asked.append((message.chat.id, text, time.time()))
            if n % _TAPS_PER_SLICE == 0:
                await asyncio.sleep(0)
        return {"user_ids": user_ids}

    async def _replies(self, request: web.Request, body: JSONDict) -> JSONDict:
        return {"replies": reply_latencies(self._asked, self.sim.calls)}

    async def _rate_limits(self, request: web.Request, body: JSONDict) -> JSONDict:
        self.sim.set_rate_limits(
            global_per_s=body.get("global_per_s", 30.0),
            per_chat_per_s=body.get("per_chat_per_s", 1.0),
            per_channel_per_min=body.get("per_channel_per_min", 20),
            paid_per_s=body.get("paid_per_s", 1000.0),
        )
        return {"on": True}

    async def _members(self, request: web.Request, body: JSONDict) -> JSONDict:
        chat = int(body["chat_id"])
        ids = [self.sim.member_joins(int(u), chat) for u in body.get("joined", [])]
        ids += [self.sim.member_leaves(int(u), chat) for u in body.get("left", [])]
        return {"update_ids": ids}

    async def _reactions(self, request: web.Request, body: JSONDict) -> JSONDict:
        counts = {str(k): int(v) for k, v in dict(body.get("counts", {})).items()}
        return {"update_id": self.sim.reaction_count(int(body["chat_id"]), int(body["message_id"]), counts)}

    async def _stars(self, request: web.Request, body: JSONDict) -> JSONDict:
        self.sim.set_star_balance(float(body["balance"]))
        return {"balance": self.sim.star_balance}

    async def _delivered(self, request: web.Request, body: JSONDict) -> JSONDict:
        delivered = {
            r.callback_query_id
            for r in self.sim.webhook_deliveries.values()
            if r.status == "delivered" and r.callback_query_id is not None
        }
        queries = self.sim.callback_queries
        return {"user_ids": [q.user_id for q in queries if q.callback_query_id in delivered]}

    async def _sent(self, request: web.Request, body: JSONDict) -> JSONDict:
        method = request.query.get("method", "sendMessage")
        calls = (c for c in self.sim.calls if c.method == method and c.ok)
        per_chat = Counter(str(c.params.get("chat_id")) for c in calls)
        return {"per_chat": dict(per_chat)}

    async def _stats(self, request: web.Request, body: JSONDict) -> JSONDict:
        wanted = request.query.get("wait_answered")
        timed_out = False
        if wanted is not None:
            target = int(wanted)
            try:
                await self.sim.wait_until(
                    lambda: len(self.sim.answers) >= target,
                    timeout=float(request.query.get("timeout", "30")),
                    what=f"{target} answered callback queries",
                )
            except TimeoutError:
                timed_out = True
        return {**stats(self.sim), "timed_out": timed_out}
