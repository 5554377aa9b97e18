"""Kooch's update intake in webhook mode: a 2xx only for what is done or durable, and a tap's
answer riding in that 2xx.

Telegram retries a webhook request until it gets a 2xx, so the 2xx is the confirmation, like the
getUpdates offset in polling mode (:mod:`kooch.telegram.intake`). :meth:`WebhookIntake.take` holds
the request until the update is handled (the Application's :class:`TrackingUpdateProcessor`
reports it finished) or, if that takes longer than :data:`PATIENCE_S`, until it is **spooled** in
the inbox (then handling goes on and the row is dropped once it finished; what a crash leaves in
the spool is handed to the Application again at the next start, :meth:`WebhookIntake.replay`).
A subscriber's message (what :attr:`WebhookIntake.brief` picks: no tap, no operator) waits only
:data:`BRIEF_PATIENCE_S`: its reply is a call of its own, never in the response, so holding the
request would only save a spool row, while it holds one of Telegram's ``max_connections``. Under
a /start flood whose replies wait on the rate limiter, every connection was held by such a
request, and an operator's update waited at Telegram behind all of them.
A crash before either kills the request: Telegram delivers the update again, and handling is
idempotent (a tap is stored once, answered "already recorded").

While the request waits, a handler may put **one** method in its response instead of calling the
Bot API (Bot API, "Making requests when getting updates"): :meth:`WebhookIntake.offer`. The tap
handler offers its ``answerCallbackQuery`` after the tap's transaction committed, so a flood of
taps costs no outbound call at all. An offer is refused (the caller then calls the Bot API itself)
when the update did not come by webhook, when a method was offered already, when the response has
gone (spooled after :data:`PATIENCE_S`), and for methods Telegram ignores there (``get*``, the
webhook methods, ``close``, ``logOut``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from telegram import Update
from telegram.ext import Application

from kooch.telegram.intake import TrackingUpdateProcessor
from kooch.telegram.updates import UpdateParser
from kooch.telegram.webhook import decode_update

log = logging.getLogger(__name__)

#: Seconds a webhook request waits for its update to be handled before it is spooled and answered
#: an empty 200. A tap normally commits within milliseconds (the group commit), so this is only
#: reached by slow updates (a /stats chart) or a stalled disk. Kept well below the time webhook
#: clients give up on a request (grammY's adapter: 10 s), and short enough that a tap that missed
#: its ride can still be answered by a call well within Telegram's callback deadline.
PATIENCE_S = 5.0
#: Seconds a subscriber's message waits before it is spooled (see the module docstring): a /start
#: answered at once (no flood) still gets its 200 once handled, no spool row written.
BRIEF_PATIENCE_S = 0.05

#: Methods Telegram never executes from a webhook response (besides every ``get*`` one).
_NOT_IN_REPLY = frozenset({"setwebhook", "deletewebhook", "close", "logout"})

#: A method as it is written in the response body: ``{"method": name, **parameters}``.
ReplyMethod = dict[str, Any]

App = Application[Any, Any, Any, Any, Any, Any]


def rides_in_reply(method: str) -> bool:
    """Whether Telegram executes ``method`` when it comes in a webhook response."""
    key = method.lower()
    return not key.startswith("get") and key not in _NOT_IN_REPLY


class NotDurable(Exception):
    """An update too slow for its response could not be spooled: answer non-2xx, so that
    Telegram delivers it again."""


class ReplySlots(Protocol):
    """What a handler asks to put a method in the webhook response (see :meth:`WebhookIntake.offer`)."""

    def offer(self, update: object, method: str, params: dict[str, Any]) -> bool: ...


class NoReplies:
    """Polling mode: no response to ride in, every method is a call."""

    def offer(self, update: object, method: str, params: dict[str, Any]) -> bool:
        return False


class WebhookSpool(Protocol):
    """Where updates too slow for their response are kept (:class:`kooch.store.inbox.Inbox`)."""

    async def load(self) -> tuple[int, list[str]]:
        """The saved polling offset (unused here) and the spooled updates' JSON, oldest first."""
        ...

    async def keep(self, rows: Sequence[tuple[int, str]]) -> None:
        """Spool ``rows`` (update id, JSON); returns once committed."""
        ...

    async def forget(self, update_ids: Sequence[int]) -> None:
        """Drop handled updates."""
        ...


@dataclass
class _InHand:
    """An update taken by webhook (or replayed from the spool) whose handling has not finished."""

    update: Update
    #: The method to write in the response (offered), or None once handled without one.
    answer: asyncio.Future[ReplyMethod | None]
    #: A response is still waiting: a method offered now rides in it.
    open: bool = True
    #: Durable in the spool: a 2xx may go out, and the row is dropped once handled.
    spooled: bool = False
    finished: bool = False


class WebhookIntake:
    """Takes webhook updates into ``app`` and holds each request as the module docstring says."""

    def __init__(
        self,
        app: App,
        spool: WebhookSpool,
        *,
        patience: float = PATIENCE_S,
        brief: Callable[[Update], bool] | None = None,
    ) -> None:
        processor = app.update_processor
        if not isinstance(processor, TrackingUpdateProcessor):
            raise TypeError("the Application needs a TrackingUpdateProcessor (concurrent_updates)")
        # Set at once, before the first request: a completion missed here would hold its request
        # for the whole patience and leave a spool row behind.
        processor.on_done = self.finished
        self._app = app
        #: Parses each body as PTB would, building the post that taps carry once (updates.py).
        self._parser = UpdateParser(app.bot)
        self._spool = spool
        #: Seconds a request waits for handling before its update is spooled (:data:`PATIENCE_S`).
        self.patience = patience
        #: Which updates wait only :attr:`brief_patience` (None: none).
        self.brief = brief
        self.brief_patience = BRIEF_PATIENCE_S
        self._in_hand: dict[int, _InHand] = {}
        self._forget: list[int] = []
        self._forgettable = asyncio.Event()
        self._forgetter: asyncio.Task[None] | None = None

    @property
    def held(self) -> int:
        """Updates taken whose handling has not finished."""
        return len(self._in_hand)

    async def take(self, data: dict[str, Any]) -> ReplyMethod | None:
        """Hand one webhook body to the Application; return once it may be confirmed with a 2xx,
        with the method to write in the response (None: an empty 200).

        Raises :class:`~kooch.telegram.webhook.NotAnUpdate` for a body that is no update, and
        :class:`NotDurable` when an update too slow to wait for cannot be spooled (the web server
        answers 503 then, and Telegram delivers it again)."""
        update = decode_update(data, self._parser)
        hand = self._in_hand.get(update.update_id)
        if hand is None:
            hand = _InHand(update, asyncio.get_running_loop().create_future())
            self._in_hand[update.update_id] = hand
            await self._app.update_queue.put(update)
        elif hand.spooled:
            return None  # Telegram retried one we hold durably (replayed, or slow): confirm it
        patience = self.patience
        if self.brief is not None and self.brief(update):
            patience = min(patience, self.brief_patience)
        try:
            async with asyncio.timeout(patience):
                return await asyncio.shield(hand.answer)
        except TimeoutError:
            pass
        # Too slow to wait for: durable first, then the 2xx. A method offered from now on goes
        # out as a call of its own.
        hand.open = False
        try:
            await self._spool.keep([(update.update_id, json.dumps(data, ensure_ascii=False))])
        except Exception as exc:
            log.warning(
                "could not spool webhook update %d (%s); Telegram will deliver it again",
                update.update_id,
                exc,
            )
            raise NotDurable(str(exc)) from exc
        hand.spooled = True
        if hand.finished:
            self._drop([update.update_id])  # it finished while its row was being written
        return None

    def offer(self, update: object, method: str, params: dict[str, Any]) -> bool:
        """Put ``method`` in the response to ``update``'s webhook request; False when it cannot
        ride there (see the module docstring) and the caller must call the Bot API itself."""
        if not isinstance(update, Update) or not rides_in_reply(method):
            return False
        hand = self._in_hand.get(update.update_id)
        if hand is None or not hand.open or hand.answer.done():
            return False
        hand.answer.set_result({"method": method, **params})
        return True

    def finished(self, update: object) -> None:
        """Called by the processor when an update's handling returned (or raised)."""
        if not isinstance(update, Update):
            return
        hand = self._in_hand.pop(update.update_id, None)
        if hand is None:
            return
        hand.finished = True
        if not hand.answer.done():
            hand.answer.set_result(None)
        if hand.spooled:
            self._drop([update.update_id])

    async def replay(self) -> int:
        """After the Application started: hand what a crash left in the spool to it again (each
        is dropped from the spool once handled); the number handed."""
        _, bodies = await self._spool.load()
        self._forgetter = asyncio.create_task(self._forget_loop(), name="kooch-webhook-forget")
        updates = [decode_update(json.loads(body), self._parser) for body in bodies]
        for update in updates:
            taken = self._in_hand.get(update.update_id)
            if taken is not None:
                taken.spooled = True  # delivered again by Telegram and in hand: drop its row later
                continue
            hand = _InHand(update, asyncio.get_running_loop().create_future(), open=False, spooled=True)
            self._in_hand[update.update_id] = hand
            await self._app.update_queue.put(update)
        if updates:
            log.info("handling %d updates spooled before the last stop again", len(updates))
        return len(updates)

    async def close(self) -> None:
        """After the Application stopped: drop the spool rows of what finished meanwhile."""
        if self._forgetter is not None:
            self._forgetter.cancel()
            await asyncio.gather(self._forgetter, return_exceptions=True)
            self._forgetter = None
        await self._forget_now()

    def _drop(self, update_ids: list[int]) -> None:
        self._forget.extend(update_ids)
        self._forgettable.set()

    async def _forget_loop(self) -> None:
        while True:
            await self._forgettable.wait()
            self._forgettable.clear()
            await self._forget_now()

    async def _forget_now(self) -> None:
        ids, self._forget = self._forget, []
        if not ids:
            return
        try:
            await self._spool.forget(ids)
        except asyncio.CancelledError:
            self._forget[:0] = ids
            raise
        except Exception as exc:
            # The rows stay: handled again at the next start, which changes nothing.
            log.warning("could not drop %d handled webhook updates from the spool: %s", len(ids), exc)
