"""Updates as python-telegram-bot parses them, with the post a tap carries parsed once.

Every "I've moved" tap arrives with the whole channel post it sits under (``callback_query.message``:
the announcement's text, its entities, its keyboard). python-telegram-bot builds a fresh
:class:`~telegram.Message` from it for every tap, and that was most of a tap's CPU: py-spy --gil on
bench/ack_flood.py put ``Update.de_json`` at 44 % of Kooch's process (``Message.de_json`` 30 %,
PTB's frozen-attribute ``__setattr__`` alone 25 %); timeit, 100 taps × 50: 150 µs an update with
the bench's short post, 350 µs with a 1,500-character post and a five-button keyboard. Taps on the
same post carry the same dict until the post is edited, so :class:`UpdateParser` keeps the parsed
post (PTB objects are immutable once built) and builds only what differs, the query and its user:
about 40 µs, 90 µs with the long post (parsing the JSON included).

Anything that is not exactly a tap (other update types, fields this code does not know) goes
through PTB's own ``Update.de_json``, so the result is always what PTB would have built
(tests/test_updates.py compares the two with ``to_dict()``).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from telegram import Bot, CallbackQuery, Message, Update, User

#: The update types Kooch handles, and so asks Telegram for (getUpdates, setWebhook): private
#: messages (commands, text), button taps, channel joins and departures (``chat_member``, sent only
#: when asked for by name), reaction totals on channel posts (``message_reaction_count``, too) and
#: the channel's own posts and their edits (``channel_post``, ``edited_channel_post``: the mirror).
ALLOWED_UPDATES: tuple[str, ...] = (
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.CHAT_MEMBER,
    Update.MESSAGE_REACTION_COUNT,
    Update.CHANNEL_POST,
    Update.EDITED_CHANNEL_POST,
)

#: The fields of a callback query this module builds itself; any other sends it to PTB's parser.
_QUERY_NEEDS = frozenset({"id", "from", "chat_instance", "message"})
_QUERY_FIELDS = _QUERY_NEEDS | {"data", "inline_message_id", "game_short_name"}
_TAP_FIELDS = frozenset({"update_id", "callback_query"})

#: Posts kept parsed: one per announcement tapped lately is plenty (an operator announces to a
#: handful of channels); the oldest goes first.
POSTS_KEPT = 64


class UpdateParser:
    """Parses Bot API update dicts into PTB :class:`Update` objects for ``bot``."""

    def __init__(self, bot: Bot, posts_kept: int = POSTS_KEPT) -> None:
        self._bot = bot
        self._kept = posts_kept
        self._posts: OrderedDict[tuple[Any, Any], tuple[dict[str, Any], Message]] = OrderedDict()

    def parse(self, data: dict[str, Any]) -> Update:
        """``data`` as an :class:`Update`, exactly as ``Update.de_json(data, bot)`` builds it.

        Raises what PTB's decoders raise on a malformed update (KeyError, TypeError, ...)."""
        query = data.get("callback_query")
        if (
            data.keys() != _TAP_FIELDS
            or not isinstance(query, dict)
            or not _QUERY_NEEDS <= query.keys() <= _QUERY_FIELDS
            or not isinstance(query.get("message"), dict)
        ):
            return Update.de_json(data, self._bot)
        built = CallbackQuery(
            id=query["id"],
            from_user=User.de_json(query["from"], self._bot),
            chat_instance=query["chat_instance"],
            message=self._post(query["message"]),
            data=query.get("data"),
            inline_message_id=query.get("inline_message_id"),
            game_short_name=query.get("game_short_name"),
        )
        built.set_bot(self._bot)
        update = Update(update_id=data["update_id"], callback_query=built)
        update.set_bot(self._bot)
        return update

    def parse_all(self, items: list[dict[str, Any]]) -> list[Update]:
        return [self.parse(item) for item in items]

    def _post(self, message: dict[str, Any]) -> Message:
        """The parsed post, reused while taps bring the same dict (an edit brings a new one)."""
        key = (message["chat"]["id"], message["message_id"])
        kept = self._posts.get(key)
        if kept is not None and kept[0] == message:
            return kept[1]
        parsed = Message.de_json(message, self._bot)
        self._posts[key] = (message, parsed)
        self._posts.move_to_end(key)
        while len(self._posts) > self._kept:
            self._posts.popitem(last=False)
        return parsed
