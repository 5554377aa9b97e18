"""The player API: tests act as Telegram users and admins and wait for the bot's reaction.

A user writes (:meth:`Player.send_text`), presses buttons (:meth:`Player.press_button`),
blocks the bot; an admin deletes a message. Each action queues the update Telegram
would deliver. The ``wait_for_*`` methods re-check after every state change, so they
return as soon as the bot's reply, edit or answer lands.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from .errors import SimulatorError
from .models import CallbackAnswer, SimChat, SimMessage, SimUser
from .params import command_entity
from .world import ChatRef, UserRef, World


def _chat_instance(chat_id: int) -> str:
    """A stable opaque ``chat_instance`` per chat, like Telegram's."""
    return str((chat_id * 6364136223846793005 + 1442695040888963407) % (1 << 63))


class Player(World):
    """What users and admins do, and waiting for what the bot does in response."""

    # ------------------------------------------------------------------ acting as users and admins

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
            created_monotonic=self.clock.monotonic(),
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

    def delete_message(self, chat_id: ChatRef, message_id: int) -> None:
        """Delete a message as a human admin would (the bot is not told)."""
        target = self.chat(chat_id)
        message = target.messages.get(message_id)
        if message is None:
            raise SimulatorError(f"no message {message_id} in chat {target.id}")
        self._mark_deleted(message)

    # ------------------------------------------------------------------ waiting for the bot

    def next_change(self) -> asyncio.Event:
        """An event set at the simulator's next change (a message, an edit, an answer, any call
        recorded, a poll parked or returned): what :func:`kooch.testing.waiting.eventually` wakes on."""
        return self._change_pulse.armed()

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
