"""What the sync engine decides, as pure functions and plain data: which edit a posted announcement
needs (its hashes), the pace of edits per chat, when the live counter is due, and a post's sync
status."""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass
from typing import Literal

from kooch.announce.store import PostedAnnouncement
from kooch.telegram.post import Post

#: Telegram's unofficial limit on message edits in one chat.
EDITS_PER_MINUTE = 20
#: Waits after a network failure, doubling up to the last.
NETWORK_BACKOFF_S = (2.0, 5.0, 15.0, 60.0)

EditKind = Literal["text", "markup"]


# --------------------------------------------------------------------------------------------
# Pure parts


def content_hash(post: Post) -> str:
    """The whole post's hash; the same as ``announcements.content_hash`` written at posting."""
    return hashlib.sha256(repr(post).encode()).hexdigest()[:16]


def text_hash(post: Post) -> str:
    return hashlib.sha256(post.text.encode()).hexdigest()[:16]


def markup_hash(post: Post) -> str:
    return hashlib.sha256(repr(post.buttons).encode()).hexdigest()[:16]


def edit_needed(row: PostedAnnouncement, post: Post) -> EditKind | None:
    """Which edit makes the posted ``row`` show ``post``: None when it already does (or cannot)."""
    if row.gone or row.error_hash == content_hash(post):
        return None
    if row.text_hash is None or row.markup_hash is None:
        # As posted: only the whole post's hash is known, so a difference means a full edit.
        return None if row.posted_hash == content_hash(post) else "text"
    if row.text_hash != text_hash(post):
        return "text"
    if row.markup_hash != markup_hash(post):
        return "markup"
    return None


class EditPacer:
    """At most ``limit`` edits per ``window`` seconds per chat (sliding window), and a chat that
    Telegram told to wait (429) waits. Pure: the caller passes the clock."""

    def __init__(self, limit: int = EDITS_PER_MINUTE, window: float = 60.0) -> None:
        self.limit = limit
        self.window = window
        self._events: dict[int, deque[float]] = {}
        self._blocked: dict[int, float] = {}

    def wait_time(self, chat_id: int, now: float) -> float:
        """Seconds until ``chat_id`` may be edited again (0: now)."""
        blocked = max(0.0, self._blocked.get(chat_id, 0.0) - now)
        events = self._events.get(chat_id)
        if not events:
            return blocked
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) < self.limit:
            return blocked
        return max(blocked, events[0] + self.window - now)

    def record(self, chat_id: int, now: float) -> None:
        self._events.setdefault(chat_id, deque()).append(now)

    def block(self, chat_id: int, until: float) -> None:
        self._blocked[chat_id] = max(until, self._blocked.get(chat_id, 0.0))


def counter_due(dirty_since: float, last_change: float | None, interval: float) -> float:
    """When a channel's counter may be re-read: one interval after its first new tap, and one
    interval after the number last changed on the button."""
    due = dirty_since + interval
    if last_change is not None:
        due = max(due, last_change + interval)
    return due


@dataclass(frozen=True)
class PostStatus:
    """One posted announcement as /status shows it."""

    row: PostedAnnouncement
    #: None: matches the config; "text"/"markup": an edit is waiting.
    pending: EditKind | None
