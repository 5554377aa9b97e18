"""Setting the scene: the users, channels and groups a test starts from, and changes to them
that happen outside any conversation (promoting the bot, membership, member counts).
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import SimulatorError
from .models import ALL_CHANNEL_RIGHTS, SimChat, SimUser, normalize_rights
from .world import ChatRef, UserRef, World


class Scenario(World):
    """Creates users and chats, and changes rights and membership outside any conversation."""

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
