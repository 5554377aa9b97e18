"""A post of the announcement, as data: its typed outcome
(:func:`kooch.announce.post.wording.post_report` says it in words)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from kooch.config import Channel
from kooch.telegram.post import Post


@dataclass(frozen=True)
class PostOutcome:
    channel: Channel
    #: The message id in the channel; None when Telegram refused the post.
    message_id: int | None = None
    #: Telegram's description of why the post was refused.
    refused: str | None = None
    pinned: bool = False
    #: Telegram's description of why the pin was refused (the post itself went out).
    pin_refused: str | None = None

    @property
    def posted(self) -> bool:
        return self.message_id is not None


def content_hash(post: Post) -> str:
    return hashlib.sha256(repr(post).encode()).hexdigest()[:16]
