"""State records of the Bot API simulator: users, chats, messages, files, logs.

Every record lives on a :class:`~kooch.simulator.server.BotAPISimulator` instance;
nothing here is module-level mutable state. Each record knows how to render itself as
the JSON dict the real Bot API would return, so python-telegram-bot can parse the
simulator's answers with its ordinary ``de_json`` code paths.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

JSONDict = dict[str, Any]
ChatType = Literal["private", "group", "supergroup", "channel"]

#: Every boolean of ``ChatAdministratorRights`` that PTB 22 requires, in the order the
#: Bot API documents them. Missing keys in a caller's rights dict default to False.
REQUIRED_ADMIN_RIGHT_KEYS: tuple[str, ...] = (
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)
#: Optional rights: channel-only (post/edit) and group-only (pin/topics).
OPTIONAL_ADMIN_RIGHT_KEYS: tuple[str, ...] = (
    "can_post_messages",
    "can_edit_messages",
    "can_pin_messages",
    "can_manage_topics",
    "can_manage_direct_messages",
)

#: What a channel owner grants when ticking every box for a bot admin. Read-only so
#: that no test can mutate the shared default by accident.
ALL_CHANNEL_RIGHTS: MappingProxyType[str, bool] = MappingProxyType(
    {
        "is_anonymous": False,
        "can_manage_chat": True,
        "can_delete_messages": True,
        "can_manage_video_chats": True,
        "can_restrict_members": True,
        "can_promote_members": False,
        "can_change_info": True,
        "can_invite_users": True,
        "can_post_stories": True,
        "can_edit_stories": True,
        "can_delete_stories": True,
        "can_post_messages": True,
        "can_edit_messages": True,
    }
)

#: Rights of a bot made admin of a supergroup with every box ticked.
ALL_GROUP_RIGHTS: MappingProxyType[str, bool] = MappingProxyType(
    {
        "is_anonymous": False,
        "can_manage_chat": True,
        "can_delete_messages": True,
        "can_manage_video_chats": True,
        "can_restrict_members": True,
        "can_promote_members": False,
        "can_change_info": True,
        "can_invite_users": True,
        "can_post_stories": True,
        "can_edit_stories": True,
        "can_delete_stories": True,
        "can_pin_messages": True,
        "can_manage_topics": False,
    }
)


def normalize_rights(rights: dict[str, bool] | MappingProxyType[str, bool]) -> dict[str, bool]:
    """Copy ``rights`` and fill every required key, so later lookups never KeyError."""
    out = {key: bool(rights.get(key, False)) for key in REQUIRED_ADMIN_RIGHT_KEYS}
    for key in OPTIONAL_ADMIN_RIGHT_KEYS:
        if key in rights:
            out[key] = bool(rights[key])
    for key, value in rights.items():
        out.setdefault(key, bool(value))
    return out


@dataclass(slots=True)
class SimUser:
    """A Telegram user (or the bot itself, with ``is_bot=True``)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    is_premium: bool = False
    #: True once the user sent anything to the bot's private chat: from then on the
    #: bot may write to them (Telegram's "bot can't initiate conversation" rule).
    started: bool = False
    #: True while the user has the bot blocked.
    blocked: bool = False

    def to_dict(self) -> JSONDict:
        """The ``User`` object as embedded in messages and updates."""
        data: JSONDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        if self.is_premium:
            data["is_premium"] = True
        return data


@dataclass(slots=True)
class SimFile:
    """An uploaded (or referenced) file. ``data`` holds the exact uploaded bytes."""

    file_id: str
    file_unique_id: str
    kind: Literal["document", "photo"]
    filename: str | None
    mime_type: str | None
    data: bytes
    file_path: str
    #: Set when the bot sent an HTTP URL instead of uploading bytes.
    url: str | None = None
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        """Size in bytes of the stored content."""
        return len(self.data)

    def document_dict(self) -> JSONDict:
        """The ``Document`` object."""
        data: JSONDict = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.filename:
            data["file_name"] = self.filename
        if self.mime_type:
            data["mime_type"] = self.mime_type
        return data

    def photo_sizes(self) -> list[JSONDict]:
        """The ``PhotoSize`` list (a single size: the simulator does not resample)."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": self.size,
            }
        ]

    def file_dict(self) -> JSONDict:
        """The ``File`` object returned by ``getFile``."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass(slots=True)
class MessageEdit:
    """One earlier version of a message, kept so tests can audit every edit."""

    method: str
    at: float
    text: str | None
    entities: list[JSONDict] | None
    caption: str | None
    reply_markup: JSONDict | None


@dataclass(slots=True, eq=False)
class SimChat:
    """A chat: a user's private chat with the bot, a channel or a supergroup."""

    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    description: str = ""
    member_count: int = 2
    #: ``None``: the bot is not a member. A dict: the bot's admin rights (an empty dict
    #: in a group means "plain member").
    bot_rights: dict[str, bool] | None = None
    #: For private chats: the other party.
    user: SimUser | None = None
    owner: SimUser | None = None
    messages: dict[int, SimMessage] = field(default_factory=dict)
    next_message_id: int = 1
    #: Membership of users other than the bot; users not listed are "member".
    member_status: dict[int, str] = field(default_factory=dict)
    #: message ids pinned, oldest first.
    pinned_ids: list[int] = field(default_factory=list)

    @property
    def is_private(self) -> bool:
        """True for a user's private chat with the bot."""
        return self.type == "private"

    @property
    def is_channel(self) -> bool:
        """True for a channel (posts come from ``sender_chat``, rights differ)."""
        return self.type == "channel"

    def right(self, name: str) -> bool:
        """Whether the bot holds admin right ``name`` here (False when not a member)."""
        return bool(self.bot_rights and self.bot_rights.get(name, False))

    def to_dict(self) -> JSONDict:
        """The short ``Chat`` object embedded in messages."""
        data: JSONDict = {"id": self.id, "type": self.type}
        if self.is_private and self.user is not None:
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
        else:
            data["title"] = self.title or ""
            if self.username:
                data["username"] = self.username
        return data

    def pinned_message(self) -> SimMessage | None:
        """The most recently pinned message that still exists."""
        for message_id in reversed(self.pinned_ids):
            message = self.messages.get(message_id)
            if message is not None and not message.deleted and message.pinned:
                return message
        return None


@dataclass(slots=True, eq=False)
class SimMessage:
    """A message as stored by the simulator, with its full history.

    ``sender`` is the author (the bot's own :class:`SimUser` for bot messages) and is
    ``None`` for channel posts, which Telegram attributes to ``sender_chat`` instead.
    """

    message_id: int
    chat: SimChat
    sender: SimUser | None
    from_bot: bool
    date: int
    text: str | None = None
    entities: list[JSONDict] | None = None
    caption: str | None = None
    caption_entities: list[JSONDict] | None = None
    reply_markup: JSONDict | None = None
    parse_mode: str | None = None
    link_preview_options: JSONDict | None = None
    photo: SimFile | None = None
    document: SimFile | None = None
    reply_to: SimMessage | None = None
    forward_origin: JSONDict | None = None
    pinned: bool = False
    deleted: bool = False
    edit_date: int | None = None
    edits: list[MessageEdit] = field(default_factory=list)

    @property
    def chat_id(self) -> int:
        """Id of the chat the message lives in."""
        return self.chat.id

    @property
    def buttons(self) -> list[list[JSONDict]]:
        """Rows of inline keyboard buttons (empty when there is no inline keyboard)."""
        if not self.reply_markup:
            return []
        rows = self.reply_markup.get("inline_keyboard")
        if not isinstance(rows, list):
            return []
        return [list(row) for row in rows if isinstance(row, list)]

    def button_texts(self) -> list[list[str]]:
        """Button labels, row by row."""
        return [[str(button.get("text", "")) for button in row] for row in self.buttons]

    def url_buttons(self) -> list[tuple[str, str]]:
        """``(text, url)`` of every URL button, in reading order."""
        return [
            (str(button.get("text", "")), str(button["url"]))
            for row in self.buttons
            for button in row
            if "url" in button
        ]

    def callback_buttons(self) -> list[tuple[str, str]]:
        """``(text, callback_data)`` of every callback button, in reading order."""
        return [
            (str(button.get("text", "")), str(button["callback_data"]))
            for row in self.buttons
            for button in row
            if "callback_data" in button
        ]

    def to_dict(self, *, with_reply: bool = True) -> JSONDict:
        """The ``Message`` object in its current (latest edited) state."""
        chat = self.chat.to_dict()
        data: JSONDict = {"message_id": self.message_id, "date": self.date, "chat": chat}
        if self.chat.is_channel:
            data["sender_chat"] = chat
        elif self.sender is not None:
            data["from"] = self.sender.to_dict()
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.link_preview_options is not None:
            data["link_preview_options"] = self.link_preview_options
        if self.photo is not None:
            data["photo"] = self.photo.photo_sizes()
        if self.document is not None:
            data["document"] = self.document.document_dict()
        if self.caption is not None:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = self.caption_entities
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            # Telegram only echoes inline keyboards back; reply keyboards are not
            # part of the Message object.
            data["reply_markup"] = self.reply_markup
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if self.forward_origin is not None:
            data["forward_origin"] = self.forward_origin
        if with_reply and self.reply_to is not None and not self.reply_to.deleted:
            data["reply_to_message"] = self.reply_to.to_dict(with_reply=False)
        return data


@dataclass(slots=True)
class CallbackAnswer:
    """A callback query the simulator created, and (once answered) the bot's answer."""

    callback_query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    #: Wall-clock (``time.time()``) creation time, comparable with database rows.
    created_at: float
    #: Monotonic creation time, for the answer deadline.
    created_monotonic: float
    answered_at: float | None = None
    #: Monotonic answer time: ``answered_monotonic - created_monotonic`` is the tap's latency.
    answered_monotonic: float | None = None
    text: str | None = None
    show_alert: bool = False
    url: str | None = None
    cache_time: int | None = None

    @property
    def answered(self) -> bool:
        """True once ``answerCallbackQuery`` succeeded for this query."""
        return self.answered_at is not None

    @property
    def id(self) -> str:
        """Alias of :attr:`callback_query_id` (the ``id`` field of the CallbackQuery)."""
        return self.callback_query_id


@dataclass(slots=True)
class CallRecord:
    """One Bot API call as the bot made it, and how the simulator answered."""

    method: str
    params: JSONDict
    ok: bool
    error_code: int | None
    description: str | None
    at: float
    #: True when the method came in a webhook's 2xx reply body instead of an HTTP call.
    from_webhook_reply: bool = False

    @property
    def time(self) -> float:
        """Alias of :attr:`at`: wall-clock time the call was answered."""
        return self.at
