"""The simulated Telegram world: users, chats, messages, updates, and the Bot API rules.

:class:`SimulatorState` owns all mutable state and implements every Bot API method
except the HTTP plumbing and the long-poll wait, which live in
:mod:`kooch.simulator.server`. Keeping the rules here, free of aiohttp, keeps them
easy to read next to Telegram's documentation: each method checks what Telegram
checks, in roughly the same order, and fails with Telegram's own error text.

All methods run on the event loop thread; none of them await, so every Bot API call
is atomic with respect to the others and to the player API.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from .errors import ApiError, SimulatorError, bad_request, forbidden
from .media import extension_for, filename_from_url, guess_mime, image_size
from .models import (
    ALL_CHANNEL_RIGHTS,
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
from .params import (
    MAX_DESCRIPTION_LENGTH,
    MAX_TITLE_LENGTH,
    Upload,
    command_entity,
    validate_caption,
    validate_entities,
    validate_reply_markup,
    validate_text,
)
from .ratelimit import SlidingWindowLimiter, Window, retry_after_seconds

ChatRef = int | str | SimChat | SimUser
UserRef = int | SimUser

#: Update types delivered when the bot never set ``allowed_updates`` (Telegram leaves
#: these three out unless asked for explicitly).
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

CONFLICT_OTHER_POLL = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)

#: Methods subject to the sending rate limits.
SENDING_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument", "copymessage", "forwardmessage"})

_FIRST_USER_ID = 1_000_001
_FIRST_SUPERGROUP_ID = -1_001_000_000_001
_FIRST_CALLBACK_ID = 4_390_000_000_000_000_000


@dataclass(slots=True)
class Fault:
    """An injected failure: the next ``remaining`` calls of a method fail this way."""

    remaining: int
    error_code: int
    description: str
    retry_after: int | None


@dataclass(slots=True)
class RateLimits:
    """Active flood-control rules (see :meth:`SimulatorState.set_rate_limits`)."""

    global_limiter: SlidingWindowLimiter | None
    per_chat_limiter: SlidingWindowLimiter | None
    per_channel_limiter: SlidingWindowLimiter | None
    edits_limiter: SlidingWindowLimiter | None
    retry_after_floor: int


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


def _chat_instance(chat_id: int) -> str:
    """A stable opaque ``chat_instance`` per chat, like Telegram's."""
    return str((chat_id * 6364136223846793005 + 1442695040888963407) % (1 << 63))


def _member_of_bot(bot: SimUser, rights: dict[str, bool] | None, *, private: bool) -> JSONDict:
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


class SimulatorState:
    """All simulator state plus the Bot API method implementations and the player API."""

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

        self._users: dict[int, SimUser] = {}
        self._chats: dict[int, SimChat] = {}
        self._usernames: dict[str, int] = {}
        self._next_user_id = _FIRST_USER_ID
        self._next_supergroup_id = _FIRST_SUPERGROUP_ID

        self._updates: deque[tuple[int, JSONDict]] = deque()
        self._next_update_id = first_update_id
        self._allowed_updates: frozenset[str] | None = None
        self._updates_pulse = Pulse()
        self._change_pulse = Pulse()

        self._queries: dict[str, CallbackAnswer] = {}
        self._answer_waiters: dict[str, asyncio.Future[CallbackAnswer]] = {}
        self._next_callback_id = _FIRST_CALLBACK_ID

        self._files: dict[str, SimFile] = {}
        self._files_by_path: dict[str, SimFile] = {}
        self._next_file_no = 1

        self._faults: dict[str, deque[Fault]] = {}
        self._rate_limits: RateLimits | None = None

        self.webhook_url = ""
        self.webhook_params: JSONDict = {}
        #: Bot commands per (scope JSON, language code).
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        #: ``setMyDescription`` values per language code ("" = default).
        self.descriptions: dict[str, str] = {}
        #: ``setMyShortDescription`` values per language code.
        self.short_descriptions: dict[str, str] = {}
        #: ``setMyName`` values per language code.
        self.names: dict[str, str] = {}

    # ------------------------------------------------------------------ setup API

    def add_user(
        self,
        first_name: str = "Ali",
        language_code: str | None = "fa",
        username: str | None = None,
        *,
        last_name: str | None = None,
        user_id: int | None = None,
        is_premium: bool = False,
        started: bool = False,
    ) -> SimUser:
        """Create a user and their private chat with the bot.

        ``started=True`` skips the "user must message the bot first" rule, for tests
        that do not care about onboarding.
        """
        if user_id is None:
            user_id = self._next_user_id
        if user_id in self._users or user_id in self._chats:
            raise SimulatorError(f"user id {user_id} already exists")
        self._next_user_id = max(self._next_user_id, user_id + 1)
        user = SimUser(
            id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_premium=is_premium,
            started=started,
        )
        self._users[user_id] = user
        self._chats[user_id] = SimChat(id=user_id, type="private", user=user, member_count=2)
        return user

    def add_channel(
        self,
        username: str | None = "kooch_demo",
        title: str = "Demo",
        description: str = "",
        member_count: int = 1000,
        bot_rights: Mapping[str, bool] | None = ALL_CHANNEL_RIGHTS,
        *,
        chat_id: int | None = None,
        owner: SimUser | None = None,
    ) -> SimChat:
        """Create a channel. ``bot_rights=None``: the bot is not a member."""
        return self._add_supergroup_like(
            "channel", username, title, description, member_count, bot_rights, chat_id, owner
        )

    def add_group(
        self,
        title: str = "Kooch group",
        username: str | None = None,
        description: str = "",
        member_count: int = 10,
        bot_rights: Mapping[str, bool] | None = None,
        *,
        bot_is_member: bool = True,
        chat_id: int | None = None,
        owner: SimUser | None = None,
    ) -> SimChat:
        """Create a supergroup. The bot is a plain member unless ``bot_rights`` is given."""
        rights: Mapping[str, bool] | None = bot_rights
        if rights is None and bot_is_member:
            rights = {}
        return self._add_supergroup_like(
            "supergroup", username, title, description, member_count, rights, chat_id, owner
        )

    def _add_supergroup_like(
        self,
        kind: str,
        username: str | None,
        title: str,
        description: str,
        member_count: int,
        bot_rights: Mapping[str, bool] | None,
        chat_id: int | None,
        owner: SimUser | None,
    ) -> SimChat:
        if chat_id is None:
            chat_id = self._next_supergroup_id
        if chat_id in self._chats:
            raise SimulatorError(f"chat id {chat_id} already exists")
        self._next_supergroup_id = min(self._next_supergroup_id, chat_id - 1)
        if username is not None:
            username = username.lstrip("@")
            if username.lower() in self._usernames:
                raise SimulatorError(f"username @{username} is taken")
        chat = SimChat(
            id=chat_id,
            type="channel" if kind == "channel" else "supergroup",
            title=title,
            username=username,
            description=description,
            member_count=member_count,
            bot_rights=None if bot_rights is None else normalize_rights(dict(bot_rights)),
            owner=owner,
        )
        self._chats[chat_id] = chat
        if username is not None:
            self._usernames[username.lower()] = chat_id
        return chat

    def set_bot_rights(
        self, chat_id: ChatRef, rights: Mapping[str, bool] | None, *, by: UserRef | None = None
    ) -> None:
        """Promote, demote or remove the bot (``None``) in a channel or group.

        Emits ``my_chat_member`` when an actor is known (``by`` or the chat owner).
        """
        target = self.chat(chat_id)
        if target.is_private:
            raise SimulatorError("rights only exist in channels and groups")
        old = target.bot_rights
        target.bot_rights = None if rights is None else normalize_rights(dict(rights))
        actor = self.user(by) if by is not None else target.owner
        if actor is not None:
            self._emit_my_chat_member(target, actor, old, target.bot_rights)

    def block_bot(self, user: UserRef) -> None:
        """The user blocks the bot: sends to them fail with 403 from now on."""
        sim_user = self.user(user)
        if sim_user.blocked:
            return
        sim_user.blocked = True
        if self.emit_member_updates:
            chat = self._chats[sim_user.id]
            self._enqueue(
                "my_chat_member",
                {
                    "chat": chat.to_dict(),
                    "from": sim_user.to_dict(),
                    "date": int(time.time()),
                    "old_chat_member": {"status": "member", "user": self.bot.to_dict()},
                    "new_chat_member": {
                        "status": "kicked",
                        "user": self.bot.to_dict(),
                        "until_date": 0,
                    },
                },
            )
        self._change_pulse.fire()

    def unblock_bot(self, user: UserRef) -> None:
        """The user unblocks the bot (the Telegram client then usually sends /start)."""
        sim_user = self.user(user)
        if not sim_user.blocked:
            return
        sim_user.blocked = False
        if self.emit_member_updates:
            chat = self._chats[sim_user.id]
            self._enqueue(
                "my_chat_member",
                {
                    "chat": chat.to_dict(),
                    "from": sim_user.to_dict(),
                    "date": int(time.time()),
                    "old_chat_member": {
                        "status": "kicked",
                        "user": self.bot.to_dict(),
                        "until_date": 0,
                    },
                    "new_chat_member": {"status": "member", "user": self.bot.to_dict()},
                },
            )
        self._change_pulse.fire()

    def set_member_status(self, chat_id: ChatRef, user: UserRef, status: str) -> None:
        """Set a user's membership (``member``, ``left``, ``kicked``) for getChatMember."""
        if status not in ("member", "left", "kicked"):
            raise SimulatorError(f"unsupported status {status!r}")
        self.chat(chat_id).member_status[self.user(user).id] = status

    def set_member_count(self, chat_id: ChatRef, n: int) -> None:
        """Change what getChatMemberCount reports."""
        self.chat(chat_id).member_count = n

    def delete_message(self, chat_id: ChatRef, message_id: int) -> None:
        """Delete a message as a human admin would (the bot is not told)."""
        target = self.chat(chat_id)
        message = target.messages.get(message_id)
        if message is None:
            raise SimulatorError(f"no message {message_id} in chat {target.id}")
        self._mark_deleted(message)

    # ------------------------------------------------------------------ lookups

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
    def pending_updates(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    # ------------------------------------------------------------------ player API

    async def send_text(
        self,
        user: UserRef,
        text: str,
        *,
        chat_id: ChatRef | None = None,
        reply_to: int | None = None,
        chat: ChatRef | None = None,
    ) -> SimMessage:
        """The user sends ``text`` (to the bot's private chat unless ``chat_id`` is a group).

        Commands get a ``bot_command`` entity at offset 0 as Telegram adds one.
        ``chat`` is an alias of ``chat_id`` kept for existing callers.
        """
        if chat_id is None:
            chat_id = chat
        sim_user = self.user(user)
        target = self._chats[sim_user.id] if chat_id is None else self.chat(chat_id)
        if target.is_channel:
            raise SimulatorError("users cannot post in channels through the simulator")
        if target.is_private:
            if target.user is not sim_user:
                raise SimulatorError("a user can only write in their own private chat")
            if sim_user.blocked:
                raise SimulatorError(f"user {sim_user.id} has blocked the bot; call unblock_bot() first")
        if not text:
            raise SimulatorError("text must not be empty")
        entity = command_entity(text)
        reply_message = target.messages.get(reply_to) if reply_to is not None else None
        message = self._store_message(
            target,
            sender=sim_user,
            from_bot=False,
            text=text,
            entities=[entity] if entity else None,
            reply_to=reply_message,
        )
        if target.is_private:
            sim_user.started = True
        self._enqueue("message", message.to_dict())
        return message

    async def press_button(self, user: UserRef, chat_id: ChatRef, message_id: int, callback_data: str) -> str:
        """The user presses the callback button carrying ``callback_data``.

        Raises :class:`SimulatorError` unless the message currently shows such a button:
        a press must be on a real button. Returns the callback query id.
        """
        sim_user = self.user(user)
        target = self.chat(chat_id)
        message = self._pressable_message(sim_user, target, message_id)
        available = message.callback_buttons()
        if not any(data == callback_data for _, data in available):
            raise SimulatorError(
                f"message {message_id} in chat {target.id} has no callback button with data "
                f"{callback_data!r}; its callback buttons are {available!r}"
            )
        return self._create_callback_query(sim_user, message, callback_data)

    async def press_button_text(
        self, user: UserRef, chat_id: ChatRef, message_id: int, button_text: str
    ) -> str:
        """Press the callback button labelled ``button_text``."""
        sim_user = self.user(user)
        target = self.chat(chat_id)
        message = self._pressable_message(sim_user, target, message_id)
        for row in message.buttons:
            for button in row:
                if button.get("text") != button_text:
                    continue
                if "callback_data" not in button:
                    raise SimulatorError(f"button {button_text!r} is not a callback button: {button!r}")
                return self._create_callback_query(sim_user, message, str(button["callback_data"]))
        raise SimulatorError(
            f"message {message_id} in chat {target.id} has no button {button_text!r}; "
            f"buttons are {message.button_texts()!r}"
        )

    def _pressable_message(self, user: SimUser, chat: SimChat, message_id: int) -> SimMessage:
        if chat.is_private and chat.user is not user:
            raise SimulatorError("a user can only press buttons in their own private chat")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise SimulatorError(f"message {message_id} in chat {chat.id} does not exist")
        return message

    def forge_callback_query(self, user: UserRef, message: SimMessage, data: str) -> str:
        """Queue a callback query WITHOUT checking that the button exists or who presses.

        A modified Telegram client can send any ``callback_data`` on any message it can
        see; authorization tests need to do the same. Returns the callback query id.
        """
        return self._create_callback_query(self.user(user), message, data)

    def _create_callback_query(self, user: SimUser, message: SimMessage, data: str) -> str:
        query_id = str(self._next_callback_id)
        self._next_callback_id += 1
        self._queries[query_id] = CallbackAnswer(
            callback_query_id=query_id,
            user_id=user.id,
            chat_id=message.chat.id,
            message_id=message.message_id,
            data=data,
            created_at=time.time(),
            created_monotonic=time.monotonic(),
        )
        self._enqueue(
            "callback_query",
            {
                "id": query_id,
                "from": user.to_dict(),
                "message": message.to_dict(),
                "chat_instance": _chat_instance(message.chat.id),
                "data": data,
            },
        )
        return query_id

    async def wait_for_answer(
        self,
        callback_query_id: str,
        timeout: float = 5.0,
    ) -> CallbackAnswer:
        """Wait until the bot answers the callback query; TimeoutError otherwise."""
        record = self.query(callback_query_id)
        if record.answered:
            return record
        future = self._answer_waiters.get(callback_query_id)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._answer_waiters[callback_query_id] = future
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"callback query {callback_query_id} (data={record.data!r}, chat {record.chat_id}, "
                f"message {record.message_id}) was not answered within {timeout}s"
            ) from None

    async def wait_for_message(
        self,
        chat_id: ChatRef,
        predicate: Callable[[SimMessage], bool] | None = None,
        timeout: float = 5.0,
        after: int = 0,
    ) -> SimMessage:
        """The first bot message in ``chat_id`` with id > ``after`` matching ``predicate``.

        Messages that existed before the call count too, so pass ``after`` (e.g. the
        id of the user's message) to wait only for replies to it. Re-checked on every
        state change, so a predicate on edited content works as well.
        """
        target = self.chat(chat_id)

        def find() -> SimMessage | None:
            for message_id in range(after + 1, target.next_message_id):
                message = target.messages.get(message_id)
                if message is None or not message.from_bot:
                    continue
                if predicate is None or predicate(message):
                    return message
            return None

        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            found = find()
            if found is not None:
                return found
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [
                    (m.message_id, m.text if m.text is not None else m.caption)
                    for m in list(target.messages.values())[-5:]
                    if m.from_bot
                ]
                raise TimeoutError(
                    f"no bot message in chat {target.id} after id {after} matched within "
                    f"{timeout}s; latest bot messages: {recent!r}"
                )
            await self._change_pulse.wait(remaining)

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = 5.0,
        what: str = "condition",
    ) -> None:
        """Wait until ``condition()`` holds, re-checking after every state change."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{what} did not become true within {timeout}s")
            await self._change_pulse.wait(remaining)

    # ------------------------------------------------------------------ faults & limits

    def inject_fault(
        self,
        method: str,
        count: int = 1,
        error_code: int = 400,
        description: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail before doing anything."""
        if error_code == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request: injected fault",
                403: "Forbidden: injected fault",
                409: "Conflict: injected fault",
                429: f"Too Many Requests: retry after {retry_after}",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(error_code, "Injected fault")
        fault = Fault(count, error_code, description, retry_after)
        self._faults.setdefault(method.lower(), deque()).append(fault)

    def clear_faults(self) -> None:
        """Drop every pending injected fault."""
        self._faults.clear()

    def _take_fault(self, method_key: str) -> Fault | None:
        queue = self._faults.get(method_key)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        return fault

    def set_rate_limits(
        self,
        global_per_s: float | None = 30.0,
        per_chat_per_s: float | None = 1.0,
        per_channel_per_min: int | None = 20,
        edits_per_chat_per_min: int | None = None,
        retry_after: int = 1,
    ) -> None:
        """Turn on flood control; ``None`` disables a rule.

        ``per_chat_per_s`` applies to every chat, ``per_channel_per_min`` to channels
        and groups, both to sendMessage/sendPhoto/sendDocument/copyMessage/
        forwardMessage. ``edits_per_chat_per_min`` applies to the edit methods.
        ``retry_after`` is the minimum reported wait; the actual one is the time until
        a slot frees, rounded up.
        """
        self._rate_limits = RateLimits(
            global_limiter=(SlidingWindowLimiter(Window.per_second(global_per_s)) if global_per_s else None),
            per_chat_limiter=(
                SlidingWindowLimiter(Window.per_second(per_chat_per_s)) if per_chat_per_s else None
            ),
            per_channel_limiter=(
                SlidingWindowLimiter(Window.per_minute(per_channel_per_min)) if per_channel_per_min else None
            ),
            edits_limiter=(
                SlidingWindowLimiter(Window.per_minute(edits_per_chat_per_min))
                if edits_per_chat_per_min
                else None
            ),
            retry_after_floor=retry_after,
        )

    def disable_rate_limits(self) -> None:
        """Turn flood control off again."""
        self._rate_limits = None

    def _consume_rate(self, chat: SimChat, *, edit: bool) -> None:
        limits = self._rate_limits
        if limits is None:
            return
        now = time.monotonic()
        checks: list[tuple[SlidingWindowLimiter, object]] = []
        if edit:
            if limits.edits_limiter is not None:
                checks.append((limits.edits_limiter, chat.id))
        else:
            if limits.global_limiter is not None:
                checks.append((limits.global_limiter, None))
            if limits.per_chat_limiter is not None:
                checks.append((limits.per_chat_limiter, chat.id))
            if limits.per_channel_limiter is not None and not chat.is_private:
                checks.append((limits.per_channel_limiter, chat.id))
        wait = max((limiter.wait_time(key, now) for limiter, key in checks), default=0.0)
        if wait > 0:
            self.throttled_count += 1
            seconds = retry_after_seconds(wait, limits.retry_after_floor)
            raise ApiError(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        for limiter, key in checks:
            limiter.record(key, now)

    # ------------------------------------------------------------------ internals

    def _enqueue(self, kind: str, payload: JSONDict) -> int | None:
        """Queue an update unless the bot's ``allowed_updates`` filter drops it."""
        allowed = self._allowed_updates
        if (kind in allowed) if allowed is not None else (kind not in OPT_IN_UPDATE_TYPES):
            update_id = self._next_update_id
            self._next_update_id += 1
            self._updates.append((update_id, {"update_id": update_id, kind: payload}))
            self._updates_pulse.fire()
            return update_id
        return None

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
        message.deleted_at = time.time()
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
                "old_chat_member": _member_of_bot(self.bot, old, private=False),
                "new_chat_member": _member_of_bot(self.bot, new, private=False),
            },
        )

    # ------------------------------------------------------------------ Bot API helpers

    def _resolve_chat(self, params: JSONDict, name: str = "chat_id") -> SimChat:
        ref = params.get(name)
        if ref is None or ref == "":
            raise bad_request(f"{name} is empty")
        if isinstance(ref, str):
            chat_id = self._usernames.get(ref.lstrip("@").lower())
            chat = self._chats.get(chat_id) if chat_id is not None else None
        else:
            chat = self._chats.get(ref)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _check_member(self, chat: SimChat) -> None:
        """403s shared by every method acting in a chat."""
        if chat.is_private:
            user = chat.user
            assert user is not None
            if user.blocked:
                raise forbidden("bot was blocked by the user")
            if not user.started:
                raise forbidden("bot can't initiate conversation with a user")
        elif chat.bot_rights is None:
            kind = "channel" if chat.is_channel else "supergroup"
            raise forbidden(f"bot is not a member of the {kind} chat")

    def _check_can_post(self, chat: SimChat) -> None:
        self._check_member(chat)
        if chat.is_channel and not chat.right("can_post_messages"):
            raise bad_request("need administrator rights in the channel chat")

    def _check_readable(self, chat: SimChat) -> None:
        """getChat & co.: private chats need a started user, other chats membership
        unless public (Telegram lets bots read public chats they are not in)."""
        if chat.is_private:
            assert chat.user is not None
            if not chat.user.started:
                raise bad_request("chat not found")
        elif chat.bot_rights is None and chat.username is None:
            raise bad_request("chat not found")

    def _require_message_id(self, params: JSONDict) -> int:
        message_id = params.get("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        assert isinstance(message_id, int)
        return message_id

    def _editable_message(self, params: JSONDict) -> SimMessage:
        if "inline_message_id" in params and "chat_id" not in params:
            raise bad_request("message to edit not found")
        chat = self._resolve_chat(params)
        self._check_member(chat)
        if chat.is_channel and not chat.right("can_edit_messages"):
            raise bad_request("need administrator rights in the channel chat")
        message = chat.messages.get(self._require_message_id(params))
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _reply_target(self, chat: SimChat, params: JSONDict) -> SimMessage | None:
        reply_parameters = params.get("reply_parameters")
        allow_missing = bool(params.get("allow_sending_without_reply", False))
        message_id: Any = params.get("reply_to_message_id")
        if isinstance(reply_parameters, dict):
            message_id = reply_parameters.get("message_id")
            allow_missing = bool(reply_parameters.get("allow_sending_without_reply", False))
            if reply_parameters.get("chat_id") not in (None, chat.id, f"@{chat.username}"):
                return None
        if message_id is None:
            return None
        message = chat.messages.get(int(message_id))
        if message is None or message.deleted:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        return message

    @staticmethod
    def _link_preview(params: JSONDict) -> JSONDict | None:
        options = params.get("link_preview_options")
        if isinstance(options, dict):
            return options
        if params.get("disable_web_page_preview"):
            return {"is_disabled": True}
        return None

    def _input_file(self, params: JSONDict, name: str, kind: str) -> SimFile:
        value = params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value[len("attach://") :])
        if value is None or value == "":
            raise bad_request(f"there is no {name} in the request")
        if isinstance(value, Upload):
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                mime = guess_mime(value.filename, mime or "application/octet-stream")
            if kind == "photo":
                mime = mime if mime.startswith("image/") else "image/jpeg"
            return self._new_file(kind, value.filename, mime, value.data, url=None)
        if not isinstance(value, str):
            raise bad_request("wrong file identifier/HTTP URL specified")
        if value.startswith(("http://", "https://")):
            filename = filename_from_url(value)
            return self._new_file(kind, filename, guess_mime(filename), b"", url=value)
        known = self._files.get(value)
        if known is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return known

    def _new_file(
        self, kind: str, filename: str | None, mime: str, data: bytes, *, url: str | None
    ) -> SimFile:
        number = self._next_file_no
        self._next_file_no += 1
        is_photo = kind == "photo"
        folder = "photos" if is_photo else "documents"
        ext = extension_for(filename, mime)
        width, height = image_size(data) if is_photo else (0, 0)
        sim_file = SimFile(
            file_id=f"{'AgAC' if is_photo else 'BQAC'}AgSim{number:06d}{self.bot.id:x}",
            file_unique_id=f"AQADSim{number:06d}",
            kind="photo" if is_photo else "document",
            filename=None if is_photo else filename,
            mime_type=None if is_photo else mime,
            data=data,
            file_path=f"{folder}/file_{number}{ext}",
            url=url,
            width=width,
            height=height,
        )
        self._files[sim_file.file_id] = sim_file
        self._files_by_path[sim_file.file_path] = sim_file
        return sim_file

    @staticmethod
    def _same_markup(new: JSONDict | None, current: JSONDict | None) -> bool:
        if current is not None and "inline_keyboard" not in current:
            current = None
        return new == current

    # ------------------------------------------------------------------ Bot API methods

    def api_get_me(self, params: JSONDict) -> Any:
        """getMe: the bot's User with the bot-only capability flags."""
        data = self.bot.to_dict()
        data.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return data

    def api_true(self, params: JSONDict) -> Any:
        """logOut / close: nothing to tear down in a simulator."""
        return True

    def api_set_webhook(self, params: JSONDict) -> Any:
        """setWebhook: stored only; while set, getUpdates fails with 409 like Telegram."""
        url = params.get("url") or ""
        if not isinstance(url, str):
            raise bad_request("invalid webhook URL specified")
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: HTTPS url must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook_url = url
        self.webhook_params = {k: v for k, v in params.items() if not isinstance(v, Upload)}
        if isinstance(params.get("allowed_updates"), list):
            self._set_allowed_updates(params["allowed_updates"])
        return True

    def api_delete_webhook(self, params: JSONDict) -> Any:
        """deleteWebhook: clears the webhook; optionally drops pending updates."""
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
        return info

    def _set_allowed_updates(self, allowed: Any) -> None:
        if not isinstance(allowed, list):
            raise bad_request("can't parse allowed_updates JSON object")
        self._allowed_updates = frozenset(str(kind) for kind in allowed) if allowed else None

    @staticmethod
    def _commands_key(params: JSONDict) -> tuple[str, str]:
        scope = params.get("scope")
        scope_key = json.dumps(scope, sort_keys=True) if scope else '{"type": "default"}'
        language = params.get("language_code") or ""
        return scope_key, str(language)

    def api_set_my_commands(self, params: JSONDict) -> Any:
        """setMyCommands with Telegram's command-name rules."""
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse commands JSON object")
            name = command.get("command")
            description = command.get("description")
            if (
                not isinstance(name, str)
                or not 1 <= len(name) <= 32
                or not all(c.islower() or c.isdigit() or c == "_" for c in name)
            ):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = self._commands_key(params)
        if commands:
            self.commands[key] = [
                {"command": c["command"], "description": c["description"]} for c in commands
            ]
        else:
            self.commands.pop(key, None)
        return True

    def api_get_my_commands(self, params: JSONDict) -> Any:
        """getMyCommands for exactly that scope and language."""
        return list(self.commands.get(self._commands_key(params), []))

    def api_delete_my_commands(self, params: JSONDict) -> Any:
        """deleteMyCommands."""
        self.commands.pop(self._commands_key(params), None)
        return True

    def _text_setting(self, params: JSONDict, store: dict[str, str], name: str, limit: int) -> Any:
        value = params.get(name) or ""
        if not isinstance(value, str) or len(value) > limit:
            raise bad_request(f"{name.upper()}_INVALID")
        language = str(params.get("language_code") or "")
        if value:
            store[language] = value
        else:
            store.pop(language, None)
        return True

    def api_set_my_description(self, params: JSONDict) -> Any:
        """setMyDescription (≤ 512 characters)."""
        return self._text_setting(params, self.descriptions, "description", 512)

    def api_get_my_description(self, params: JSONDict) -> Any:
        """getMyDescription."""
        return {"description": self.descriptions.get(str(params.get("language_code") or ""), "")}

    def api_set_my_short_description(self, params: JSONDict) -> Any:
        """setMyShortDescription (≤ 120 characters)."""
        return self._text_setting(params, self.short_descriptions, "short_description", 120)

    def api_get_my_short_description(self, params: JSONDict) -> Any:
        """getMyShortDescription."""
        language = str(params.get("language_code") or "")
        return {"short_description": self.short_descriptions.get(language, "")}

    def api_set_my_name(self, params: JSONDict) -> Any:
        """setMyName (≤ 64 characters)."""
        return self._text_setting(params, self.names, "name", 64)

    def api_get_my_name(self, params: JSONDict) -> Any:
        """getMyName (falls back to the bot's first name)."""
        language = str(params.get("language_code") or "")
        return {"name": self.names.get(language, self.bot.first_name)}

    def api_send_message(self, params: JSONDict) -> Any:
        """sendMessage."""
        chat = self._resolve_chat(params)
        self._check_can_post(chat)
        parse_mode = params.get("parse_mode")
        text = validate_text(params.get("text"), parse_mode)
        entities = validate_entities(params.get("entities"))
        markup = validate_reply_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat, params)
        self._consume_rate(chat, edit=False)
        message = self._store_message(
            chat,
            sender=self.bot,
            from_bot=True,
            text=text,
            entities=entities,
            reply_markup=markup,
            parse_mode=parse_mode,
            link_preview_options=self._link_preview(params),
            reply_to=reply_to,
        )
        return message.to_dict()

    def _send_media(self, params: JSONDict, kind: str) -> Any:
        chat = self._resolve_chat(params)
        self._check_can_post(chat)
        parse_mode = params.get("parse_mode")
        sim_file = self._input_file(params, kind, kind)
        caption = validate_caption(params.get("caption"), parse_mode)
        caption_entities = validate_entities(params.get("caption_entities"))
        markup = validate_reply_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat, params)
        self._consume_rate(chat, edit=False)
        message = self._store_message(
            chat,
            sender=self.bot,
            from_bot=True,
            caption=caption,
            caption_entities=caption_entities,
            reply_markup=markup,
            parse_mode=parse_mode,
            photo=sim_file if kind == "photo" else None,
            document=sim_file if kind == "document" else None,
            reply_to=reply_to,
        )
        return message.to_dict()

    def api_send_photo(self, params: JSONDict) -> Any:
        """sendPhoto (upload, file_id or URL)."""
        return self._send_media(params, "photo")

    def api_send_document(self, params: JSONDict) -> Any:
        """sendDocument (upload, file_id or URL)."""
        return self._send_media(params, "document")

    def api_send_chat_action(self, params: JSONDict) -> Any:
        """sendChatAction: only the access checks matter."""
        chat = self._resolve_chat(params)
        self._check_can_post(chat)
        if not params.get("action"):
            raise bad_request("action is empty")
        return True

    def _source_message(self, params: JSONDict, what: str) -> SimMessage:
        source_chat = self._resolve_chat(params, "from_chat_id")
        if source_chat.is_private:
            assert source_chat.user is not None
            if not source_chat.user.started:
                raise bad_request("chat not found")
        elif source_chat.bot_rights is None:
            raise bad_request(f"message to {what} not found")
        message = source_chat.messages.get(self._require_message_id(params))
        if message is None or message.deleted:
            raise bad_request(f"message to {what} not found")
        return message

    def api_copy_message(self, params: JSONDict) -> Any:
        """copyMessage: text/caption/media/markup copied, no link to the original."""
        source = self._source_message(params, "copy")
        chat = self._resolve_chat(params)
        self._check_can_post(chat)
        parse_mode = params.get("parse_mode")
        caption = source.caption
        caption_entities = source.caption_entities
        if "caption" in params:
            caption = validate_caption(params.get("caption"), parse_mode)
            caption_entities = validate_entities(params.get("caption_entities"))
        markup = source.reply_markup
        if "reply_markup" in params:
            markup = validate_reply_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat, params)
        self._consume_rate(chat, edit=False)
        message = self._store_message(
            chat,
            sender=self.bot,
            from_bot=True,
            text=source.text,
            entities=source.entities,
            caption=caption if (source.photo or source.document) else None,
            caption_entities=caption_entities if (source.photo or source.document) else None,
            reply_markup=markup,
            parse_mode=parse_mode,
            photo=source.photo,
            document=source.document,
            reply_to=reply_to,
        )
        return {"message_id": message.message_id}

    def api_forward_message(self, params: JSONDict) -> Any:
        """forwardMessage: the copy carries a ``forward_origin``."""
        source = self._source_message(params, "forward")
        chat = self._resolve_chat(params)
        self._check_can_post(chat)
        origin: JSONDict
        if source.chat.is_channel:
            origin = {
                "type": "channel",
                "chat": source.chat.to_dict(),
                "message_id": source.message_id,
                "date": source.date,
            }
        else:
            assert source.sender is not None
            origin = {"type": "user", "sender_user": source.sender.to_dict(), "date": source.date}
        self._consume_rate(chat, edit=False)
        message = self._store_message(
            chat,
            sender=self.bot,
            from_bot=True,
            text=source.text,
            entities=source.entities,
            caption=source.caption,
            caption_entities=source.caption_entities,
            photo=source.photo,
            document=source.document,
            forward_origin=origin,
        )
        return message.to_dict()

    def api_edit_message_text(self, params: JSONDict) -> Any:
        """editMessageText. Omitting reply_markup removes the inline keyboard, as on Telegram."""
        message = self._editable_message(params)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        parse_mode = params.get("parse_mode")
        text = validate_text(params.get("text"), parse_mode)
        entities = validate_entities(params.get("entities"))
        markup = validate_reply_markup(params.get("reply_markup"), inline_only=True)
        if (
            text == message.text
            and (entities or None) == (message.entities or None)
            and self._same_markup(markup, message.reply_markup)
        ):
            raise bad_request(NOT_MODIFIED)
        self._consume_rate(message.chat, edit=True)
        self._record_edit(message, "editMessageText")
        message.text = text
        message.entities = entities
        message.parse_mode = parse_mode
        message.reply_markup = markup
        preview = self._link_preview(params)
        if preview is not None:
            message.link_preview_options = preview
        self._change_pulse.fire()
        return message.to_dict()

    def api_edit_message_caption(self, params: JSONDict) -> Any:
        """editMessageCaption."""
        message = self._editable_message(params)
        if message.photo is None and message.document is None:
            raise bad_request("there is no caption in the message to edit")
        parse_mode = params.get("parse_mode")
        caption = validate_caption(params.get("caption"), parse_mode)
        entities = validate_entities(params.get("caption_entities"))
        markup = validate_reply_markup(params.get("reply_markup"), inline_only=True)
        if (
            caption == message.caption
            and (entities or None) == (message.caption_entities or None)
            and self._same_markup(markup, message.reply_markup)
        ):
            raise bad_request(NOT_MODIFIED)
        self._consume_rate(message.chat, edit=True)
        self._record_edit(message, "editMessageCaption")
        message.caption = caption
        message.caption_entities = entities
        message.reply_markup = markup
        self._change_pulse.fire()
        return message.to_dict()

    def api_edit_message_reply_markup(self, params: JSONDict) -> Any:
        """editMessageReplyMarkup (no markup = remove the keyboard)."""
        message = self._editable_message(params)
        markup = validate_reply_markup(params.get("reply_markup"), inline_only=True)
        if self._same_markup(markup, message.reply_markup):
            raise bad_request(NOT_MODIFIED)
        self._consume_rate(message.chat, edit=True)
        self._record_edit(message, "editMessageReplyMarkup")
        message.reply_markup = markup
        self._change_pulse.fire()
        return message.to_dict()

    def _deletable(self, chat: SimChat, message: SimMessage) -> bool:
        if chat.is_private:
            return True
        if chat.right("can_delete_messages"):
            return True
        if message.from_bot:
            return not chat.is_channel or chat.right("can_post_messages")
        return False

    def api_delete_message(self, params: JSONDict) -> Any:
        """deleteMessage: own posts, or anyone's with can_delete_messages."""
        chat = self._resolve_chat(params)
        self._check_member(chat)
        message = chat.messages.get(self._require_message_id(params))
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        if not self._deletable(chat, message):
            raise bad_request("message can't be deleted")
        self._mark_deleted(message)
        return True

    def api_delete_messages(self, params: JSONDict) -> Any:
        """deleteMessages: skips missing ones, fails only if none could be deleted."""
        chat = self._resolve_chat(params)
        self._check_member(chat)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids is invalid")
        deleted = 0
        for raw_id in ids:
            message = chat.messages.get(int(raw_id))
            if message is not None and not message.deleted and self._deletable(chat, message):
                self._mark_deleted(message)
                deleted += 1
        if deleted == 0:
            raise bad_request("message to delete not found")
        return True

    def api_answer_callback_query(self, params: JSONDict) -> Any:
        """answerCallbackQuery: once per query, within ``callback_deadline`` seconds."""
        query_id = params.get("callback_query_id")
        record = self._queries.get(str(query_id)) if query_id is not None else None
        if (
            record is None
            or record.answered
            or time.monotonic() - record.created_monotonic > self.callback_deadline
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
        self.answers.append(record)
        future = self._answer_waiters.pop(record.callback_query_id, None)
        if future is not None and not future.done():
            future.set_result(record)
        self._change_pulse.fire()
        return True

    def _check_pin_rights(self, chat: SimChat) -> None:
        self._check_member(chat)
        if chat.is_channel:
            allowed = chat.right("can_edit_messages")
        elif chat.is_private:
            allowed = True
        else:
            allowed = chat.right("can_pin_messages")
        if not allowed:
            raise bad_request("not enough rights to manage pinned messages in the chat")

    def api_pin_chat_message(self, params: JSONDict) -> Any:
        """pinChatMessage."""
        chat = self._resolve_chat(params)
        self._check_pin_rights(chat)
        message_id = self._require_message_id(params)
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to pin not found")
        message.pinned = True
        if message_id in chat.pinned_ids:
            chat.pinned_ids.remove(message_id)
        chat.pinned_ids.append(message_id)
        self._change_pulse.fire()
        return True

    def api_unpin_chat_message(self, params: JSONDict) -> Any:
        """unpinChatMessage (the given message, else the most recent pin)."""
        chat = self._resolve_chat(params)
        self._check_pin_rights(chat)
        message_id = params.get("message_id")
        if message_id is None:
            current = chat.pinned_message()
            if current is None:
                return True
            message_id = current.message_id
        message = chat.messages.get(message_id)
        if message is None or message.deleted or not message.pinned:
            raise bad_request("message to unpin not found")
        message.pinned = False
        if message_id in chat.pinned_ids:
            chat.pinned_ids.remove(message_id)
        self._change_pulse.fire()
        return True

    def api_unpin_all_chat_messages(self, params: JSONDict) -> Any:
        """unpinAllChatMessages."""
        chat = self._resolve_chat(params)
        self._check_pin_rights(chat)
        for message_id in chat.pinned_ids:
            message = chat.messages.get(message_id)
            if message is not None:
                message.pinned = False
        chat.pinned_ids.clear()
        self._change_pulse.fire()
        return True

    def api_get_chat(self, params: JSONDict) -> Any:
        """getChat → ChatFullInfo with every field PTB 22 requires."""
        chat = self._resolve_chat(params)
        self._check_readable(chat)
        data = chat.to_dict()
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        if chat.is_private:
            assert chat.user is not None
            if chat.user.language_code:
                data["has_private_forwards"] = False
        elif chat.description:
            data["description"] = chat.description
        pinned = chat.pinned_message()
        if pinned is not None:
            data["pinned_message"] = pinned.to_dict()
        return data

    def api_get_chat_member_count(self, params: JSONDict) -> Any:
        """getChatMemberCount."""
        chat = self._resolve_chat(params)
        self._check_readable(chat)
        return 2 if chat.is_private else chat.member_count

    def _user_member(self, chat: SimChat, user: SimUser) -> JSONDict:
        if chat.owner is not None and chat.owner.id == user.id:
            return {"status": "creator", "user": user.to_dict(), "is_anonymous": False}
        status = chat.member_status.get(user.id, "member")
        member: JSONDict = {"status": status, "user": user.to_dict()}
        if status == "kicked":
            member["until_date"] = 0
        return member

    def api_get_chat_member(self, params: JSONDict) -> Any:
        """getChatMember: the bot's own rights, or a user's membership."""
        chat = self._resolve_chat(params)
        self._check_readable(chat)
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise bad_request("user_id is empty" if user_id is None else "invalid user_id specified")
        if user_id == self.bot.id:
            return _member_of_bot(self.bot, chat.bot_rights, private=chat.is_private)
        user = self._users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        if chat.is_private:
            if chat.user is not user:
                raise bad_request("user not found")
            return {"status": "member", "user": user.to_dict()}
        if chat.bot_rights is None or (chat.is_channel and not any(chat.bot_rights.values())):
            raise bad_request("member list is inaccessible")
        return self._user_member(chat, user)

    def api_get_chat_administrators(self, params: JSONDict) -> Any:
        """getChatAdministrators: the owner (if known) and the bot (if admin)."""
        chat = self._resolve_chat(params)
        if chat.is_private:
            raise bad_request("there are no administrators in the private chat")
        self._check_member(chat)
        admins: list[JSONDict] = []
        if chat.owner is not None:
            admins.append(self._user_member(chat, chat.owner))
        bot_member = _member_of_bot(self.bot, chat.bot_rights, private=False)
        if bot_member["status"] == "administrator":
            admins.append(bot_member)
        return admins

    def api_set_chat_title(self, params: JSONDict) -> Any:
        """setChatTitle (needs can_change_info)."""
        chat = self._resolve_chat(params)
        if chat.is_private:
            raise bad_request("chat title can't be changed in private chats")
        self._check_member(chat)
        if not chat.right("can_change_info"):
            raise bad_request("not enough rights to change chat title")
        title = params.get("title")
        if not isinstance(title, str) or not title.strip():
            raise bad_request("CHAT_TITLE_EMPTY")
        if len(title) > MAX_TITLE_LENGTH:
            raise bad_request("CHAT_TITLE_INVALID")
        if title == chat.title:
            raise bad_request("CHAT_NOT_MODIFIED")
        chat.title = title
        self._change_pulse.fire()
        return True

    def api_set_chat_description(self, params: JSONDict) -> Any:
        """setChatDescription (needs can_change_info, ≤ 255 characters)."""
        chat = self._resolve_chat(params)
        if chat.is_private:
            raise bad_request("chat description can't be changed in private chats")
        self._check_member(chat)
        if not chat.right("can_change_info"):
            raise bad_request("not enough rights to change chat description")
        description = params.get("description") or ""
        if not isinstance(description, str):
            raise bad_request("invalid description specified")
        if len(description) > MAX_DESCRIPTION_LENGTH:
            raise bad_request("chat description is too long")
        if description == chat.description:
            raise bad_request("chat description is not modified")
        chat.description = description
        self._change_pulse.fire()
        return True

    def api_get_file(self, params: JSONDict) -> Any:
        """getFile: the File object whose path the download route serves."""
        file_id = params.get("file_id")
        found = self._files.get(str(file_id)) if file_id else None
        if found is None:
            raise bad_request("invalid file_id")
        return found.file_dict()
