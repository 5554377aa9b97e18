"""The simulated Telegram world: the state every other part of the simulator reads and changes.

:class:`World` holds the users, chats and their messages, the update queue, callback
queries, stored files, webhook and bot settings, and the call log; it offers the lookups
tests use to inspect them and the few primitives (queue an update, store a message, mark
one deleted) through which everything else changes them. Who may change what is decided
elsewhere: :mod:`.scenario` and :mod:`.player` for the test side, :mod:`.methods` for the
Bot API side.

Everything runs on the event loop thread, and no Bot API method awaits between reading
and changing state (getUpdates only waits for updates to arrive), so every call is
atomic with respect to the others and to the player API.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from itertools import islice
from typing import TYPE_CHECKING, ClassVar

from kooch.clock import SYSTEM, Clock

from .errors import SimulatorError
from .models import (
    CallbackAnswer,
    CallRecord,
    JSONDict,
    MessageEdit,
    SimChat,
    SimFile,
    SimMessage,
    SimUser,
    normalize_rights,
)

if TYPE_CHECKING:
    from .ratelimit import Fault, RateLimits


ChatRef = int | str | SimChat | SimUser
UserRef = int | SimUser

#: Update types delivered when the bot never set ``allowed_updates`` (Telegram leaves
#: these three out unless asked for explicitly).
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_FIRST_USER_ID = 1_000_001
_FIRST_SUPERGROUP_ID = -1_001_000_000_001
_FIRST_CALLBACK_ID = 4_390_000_000_000_000_000


class Pulse:
    """A broadcast wake-up: every coroutine waiting when :meth:`fire` runs wakes up.

    Cheaper than a Condition for the hot path: firing with nobody waiting is one
    attribute check, which matters when thousands of callback answers per second
    each fire it.
    """

    __slots__ = ("_event",)

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def fire(self) -> None:
        """Wake all current waiters."""
        if self._event is not None:
            self._event.set()
            self._event = None

    def armed(self) -> asyncio.Event:
        """The event the next :meth:`fire` sets. Taken before a check, it cannot miss a fire
        that comes between the check and the wait (:func:`kooch.testing.waiting.eventually`)."""
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    async def wait(self, timeout: float) -> bool:
        """Wait for the next :meth:`fire`; False on timeout."""
        if self._event is None:
            self._event = asyncio.Event()
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True


def member_of_bot(bot: SimUser, rights: dict[str, bool] | None, *, private: bool) -> JSONDict:
    """The bot's own ``ChatMember`` for a chat given its rights there."""
    if private:
        return {"status": "member", "user": bot.to_dict()}
    if rights is None:
        return {"status": "left", "user": bot.to_dict()}
    if not any(rights.values()):
        return {"status": "member", "user": bot.to_dict()}
    member: JSONDict = {"status": "administrator", "user": bot.to_dict(), "can_be_edited": False}
    member.update(normalize_rights(rights))
    return member


class World:
    """All simulator state, the lookups over it, and the primitives that change it."""

    #: Called with every new world: how a test suite watches every simulator a test starts,
    #: including the ones a test builds itself (tests/conftest.py lays out all it was shown).
    on_create: ClassVar[list[Callable[[World], None]]] = []

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "kooch_test_bot",
        bot_id: int | None = None,
        bot_first_name: str = "Kooch Test Bot",
        *,
        callback_deadline: float = 15.0,
        first_update_id: int = 500_000_000,
        emit_member_updates: bool = True,
    ) -> None:
        if bot_id is None:
            prefix = token.split(":", 1)[0]
            bot_id = int(prefix) if prefix.isdigit() else 999_999
        self.token = token
        self.bot = SimUser(id=bot_id, first_name=bot_first_name, username=bot_username, is_bot=True)
        #: Seconds after creation within which a callback query can still be answered.
        self.callback_deadline = callback_deadline
        #: Whether blocking/rights changes produce ``my_chat_member`` updates.
        self.emit_member_updates = emit_member_updates
        #: Every Bot API call in arrival order.
        self.calls: list[CallRecord] = []
        #: Answered callback queries in the order they were answered.
        self.answers: list[CallbackAnswer] = []
        #: Number of requests refused with 429 by the rate limiter.
        self.throttled_count = 0
        #: The bot's Telegram Stars, in nanostars (a billionth of a Star): 10,000 Stars to start
        #: with; each paid broadcast message (``allow_paid_broadcast``) takes 0.1.
        self.star_balance_nanos = 10_000 * 1_000_000_000
        #: Messages sent as paid broadcasts.
        self.paid_messages = 0
        #: Coloured buttons (``style``, Bot API 9.4) accepted; False: refused, as an older server does.
        self.button_styles = True

        self._users: dict[int, SimUser] = {}
        self._chats: dict[int, SimChat] = {}
        self._usernames: dict[str, int] = {}
        self._next_user_id = _FIRST_USER_ID
        self._next_supergroup_id = _FIRST_SUPERGROUP_ID

        self._updates: deque[tuple[int, JSONDict]] = deque()
        self._next_update_id = first_update_id
        self._allowed_updates: frozenset[str] | None = None
        self._updates_pulse = Pulse()
        #: What flood control and the callback deadline measure time with: a test moves a
        #: :class:`~kooch.clock.ManualClock` instead of sleeping through a window.
        self.clock: Clock = SYSTEM
        self._change_pulse = Pulse()
        #: Every update getUpdates returned, in order, re-deliveries included (what a bot was given).
        self.delivered_updates: list[JSONDict] = []
        #: Bumped by every getUpdates call, so an older poll still waiting sees it was superseded.
        self._poll_generation = 0
        #: getUpdates calls parked now, waiting for an update or their timeout: what a test
        #: waits on to know a long poll has reached the server.
        self.polls_waiting = 0
        #: Set while the server shuts down, so pending long polls return at once.
        self._closing = False

        self._queries: dict[str, CallbackAnswer] = {}
        self._answer_waiters: dict[str, asyncio.Future[CallbackAnswer]] = {}
        self._next_callback_id = _FIRST_CALLBACK_ID

        self._files: dict[str, SimFile] = {}
        self._files_by_path: dict[str, SimFile] = {}
        self._next_file_no = 1

        # Fault injection and flood control (see .faults).
        self._faults: dict[str, deque[Fault]] = {}
        #: Methods whose calls wait until released (:meth:`Faults.hold`), and how many wait now.
        self._holds: dict[str, asyncio.Event] = {}
        self.held = 0
        self._rate_limits: RateLimits | None = None

        self.webhook_url = ""
        self.webhook_params: JSONDict = {}
        #: Like a telegram-bot-api server started with ``--local``: http:// webhook URLs are
        #: accepted (the server sets this when it delivers webhooks itself).
        self.webhook_accepts_http = False
        #: While a webhook is delivered, new updates go straight to the sender instead of
        #: the getUpdates queue (see :mod:`.webhook`).
        self._webhook_intake: Callable[[int, JSONDict], None] | None = None
        #: Bot commands per (scope, language code): ``("default", "")``, ``("chat:4242", "fa")`` …
        #: (read them with :meth:`menu`).
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        #: ``setMyDescription`` values per language code ("" = default).
        self.descriptions: dict[str, str] = {}
        #: ``setMyShortDescription`` values per language code.
        self.short_descriptions: dict[str, str] = {}
        #: ``setMyName`` values per language code.
        self.names: dict[str, str] = {}
        for hook in World.on_create:
            hook(self)

    # ------------------------------------------------------------------ lookups

    @property
    def polls_started(self) -> int:
        """getUpdates calls received so far (each supersedes a poll still waiting)."""
        return self._poll_generation

    def chat(self, ref: ChatRef) -> SimChat:
        """Find a chat by id, ``@username``/``username``, SimChat or SimUser."""
        if isinstance(ref, SimChat):
            return ref
        if isinstance(ref, SimUser):
            chat_id: int | None = ref.id
        elif isinstance(ref, int):
            chat_id = ref
        else:
            text = ref.strip()
            try:
                chat_id = int(text)
            except ValueError:
                chat_id = self._usernames.get(text.lstrip("@").lower())
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise SimulatorError(f"unknown chat {ref!r}")
        return chat

    def user(self, ref: UserRef) -> SimUser:
        """Find a user by id or SimUser."""
        if isinstance(ref, SimUser):
            return ref
        user = self._users.get(ref)
        if user is None:
            raise SimulatorError(f"unknown user {ref!r}")
        return user

    @property
    def users(self) -> list[SimUser]:
        """All users, in creation order."""
        return list(self._users.values())

    def messages(self, chat_id: ChatRef, *, include_deleted: bool = False) -> list[SimMessage]:
        """Messages of a chat in id order (deleted ones only if asked)."""
        target = self.chat(chat_id)
        return [m for m in target.messages.values() if include_deleted or not m.deleted]

    def last_message(self, chat_id: ChatRef, *, from_bot: bool | None = None) -> SimMessage | None:
        """The newest non-deleted message, optionally only the bot's or only users'."""
        target = self.chat(chat_id)
        for message in reversed(target.messages.values()):
            if message.deleted:
                continue
            if from_bot is None or message.from_bot == from_bot:
                return message
        return None

    def message(self, chat_id: ChatRef, message_id: int) -> SimMessage:
        """One stored message (deleted or not)."""
        target = self.chat(chat_id)
        message = target.messages.get(message_id)
        if message is None:
            raise SimulatorError(f"no message {message_id} in chat {target.id}")
        return message

    def file(self, file_id: str) -> SimFile:
        """A stored file by file_id."""
        found = self._files.get(file_id)
        if found is None:
            raise SimulatorError(f"unknown file_id {file_id!r}")
        return found

    def file_by_path(self, file_path: str) -> SimFile | None:
        """A stored file by its ``file_path`` (used by the download route)."""
        return self._files_by_path.get(file_path)

    def menu(self, chat: ChatRef | None = None, language: str = "") -> list[tuple[str, str]]:
        """The "/" menu set for a scope and language, as (command, description): the default scope,
        or ``chat``'s (``BotCommandScopeChat``); ``language`` "" is the set without a language."""
        scope = "default" if chat is None else f"chat:{self.chat(chat).id}"
        return [(c["command"], c["description"]) for c in self.commands.get((scope, language), [])]

    def shown(self) -> list[tuple[str, str]]:
        """Every text the bot put before people, as ``(where, text)``: each version of every
        message's text or caption (edited and deleted ones too) and of its button labels, every
        callback answer's toast, the bot's names, descriptions and command descriptions."""
        found: list[tuple[str, str]] = []
        for chat in self._chats.values():
            for m in chat.messages.values():
                if not m.from_bot:
                    continue
                where = f"chat {chat.id} message {m.message_id}"
                versions = [(e.text, e.caption, e.reply_markup) for e in m.edits]
                for text, caption, markup in [*versions, (m.text, m.caption, m.reply_markup)]:
                    found += [(where, t) for t in (text, caption) if t]
                    rows = (markup or {}).get("inline_keyboard") or (markup or {}).get("keyboard") or []
                    labels = [b.get("text", "") if isinstance(b, dict) else b for row in rows for b in row]
                    found += [(f"{where} button", str(label)) for label in labels]
        found += [(f"answer to {a.data!r}", a.text) for a in self.answers if a.text]
        for (scope, language), commands in self.commands.items():
            found += [(f"command {scope} {language}", str(c.get("description", ""))) for c in commands]
        for kind, values in (
            ("description", self.descriptions),
            ("short description", self.short_descriptions),
            ("name", self.names),
        ):
            found += [(f"{kind} {language}", text) for language, text in values.items() if text]
        return found

    def calls_of(self, method: str) -> list[CallRecord]:
        """Calls of one method (case-insensitive), in order."""
        key = method.lower()
        return [call for call in self.calls if call.method.lower() == key]

    def query(self, callback_query_id: str) -> CallbackAnswer:
        """The record of a callback query created by :meth:`press_button`."""
        record = self._queries.get(callback_query_id)
        if record is None:
            raise SimulatorError(f"unknown callback query {callback_query_id!r}")
        return record

    @property
    def callback_queries(self) -> list[CallbackAnswer]:
        """Every callback query created so far (answered or not), in creation order."""
        return list(self._queries.values())

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    # ------------------------------------------------------------------ primitives

    def _enqueue(self, kind: str, payload: JSONDict) -> int | None:
        """Queue an update unless the bot's ``allowed_updates`` filter drops it."""
        allowed = self._allowed_updates
        if (kind in allowed) if allowed is not None else (kind not in OPT_IN_UPDATE_TYPES):
            update_id = self._next_update_id
            self._next_update_id += 1
            update: JSONDict = {"update_id": update_id, kind: payload}
            intake = self._webhook_intake
            if intake is not None:
                intake(update_id, update)
                return update_id
            self._updates.append((update_id, update))
            self._updates_pulse.fire()
            return update_id
        return None

    # Webhook delivery hooks, called by setWebhook/deleteWebhook; the HTTP server, which can
    # POST to a webhook, overrides them. Here a webhook is only stored, as a test double.

    def _webhook_pause(self) -> None:
        """Stop delivering to the current webhook; undelivered updates go back to the queue."""

    def _webhook_resume(self) -> None:
        """Start delivering to the webhook now stored, if there is one."""

    def _webhook_info_extra(self) -> JSONDict:
        """getWebhookInfo fields only a delivering server knows (pending count, last error)."""
        return {}

    def _confirm_updates(self, offset: int) -> None:
        updates = self._updates
        if offset < 0:
            keep = -offset
            while len(updates) > keep:
                updates.popleft()
            return
        while updates and updates[0][0] < offset:
            updates.popleft()

    def _peek_updates(self, limit: int) -> list[JSONDict]:
        return [update for _, update in islice(self._updates, limit)]

    def _store_message(
        self,
        chat: SimChat,
        *,
        sender: SimUser | None,
        from_bot: bool,
        text: str | None = None,
        entities: list[JSONDict] | None = None,
        caption: str | None = None,
        caption_entities: list[JSONDict] | None = None,
        reply_markup: JSONDict | None = None,
        parse_mode: str | None = None,
        link_preview_options: JSONDict | None = None,
        photo: SimFile | None = None,
        document: SimFile | None = None,
        reply_to: SimMessage | None = None,
        forward_origin: JSONDict | None = None,
    ) -> SimMessage:
        message = SimMessage(
            message_id=chat.next_message_id,
            chat=chat,
            sender=None if chat.is_channel else sender,
            from_bot=from_bot,
            date=int(time.time()),
            text=text,
            entities=entities,
            caption=caption,
            caption_entities=caption_entities,
            reply_markup=reply_markup,
            parse_mode=parse_mode,
            link_preview_options=link_preview_options,
            photo=photo,
            document=document,
            reply_to=reply_to,
            forward_origin=forward_origin,
        )
        chat.messages[message.message_id] = message
        chat.next_message_id += 1
        self._change_pulse.fire()
        return message

    def _mark_deleted(self, message: SimMessage) -> None:
        message.deleted = True
        message.pinned = False
        self._change_pulse.fire()

    def _record_edit(self, message: SimMessage, method: str) -> None:
        message.edits.append(
            MessageEdit(
                method=method,
                at=time.time(),
                text=message.text,
                entities=message.entities,
                caption=message.caption,
                reply_markup=message.reply_markup,
            )
        )
        message.edit_date = int(time.time())

    def _emit_my_chat_member(
        self,
        chat: SimChat,
        actor: SimUser,
        old: dict[str, bool] | None,
        new: dict[str, bool] | None,
    ) -> None:
        if not self.emit_member_updates:
            return
        self._enqueue(
            "my_chat_member",
            {
                "chat": chat.to_dict(),
                "from": actor.to_dict(),
                "date": int(time.time()),
                "old_chat_member": member_of_bot(self.bot, old, private=False),
                "new_chat_member": member_of_bot(self.bot, new, private=False),
            },
        )
