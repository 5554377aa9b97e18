"""Move codes and the deep links that carry them: plain data and functions, no I/O."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from kooch.config import Config, Service

#: The deep link into a destination bot that starts it with a payload, per platform: the one table
#: of these forms. Bale's is documented by its users (``ble.ir/<bot>?start=``); Soroush+ follows
#: Telegram's form on its own domain (no public documentation of it was found: check it there).
DEEP_LINKS = {
    "bale": "https://ble.ir/{bot}?start={code}",
    "soroush": "https://splus.ir/{bot}?start={code}",
}
#: Random bytes per code: 128 bits, 22 characters of A-Z a-z 0-9 _ - (a start payload takes 64).
CODE_BYTES = 16


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def deep_link(platform: str, bot_username: str, code: str) -> str:
    """The personal link that opens ``bot_username`` on ``platform`` with ``/start <code>``."""
    return DEEP_LINKS[platform].format(bot=bot_username.lstrip("@"), code=code)


def verified_services(config: Config) -> tuple[Service, ...]:
    """The services whose arrivals are confirmed by move codes (their deep link form is known)."""
    if not config.verify_arrivals:
        return ()
    return tuple(
        s for s in config.arrivals_services if s.arrivals is not None and s.arrivals.platform in DEEP_LINKS
    )


class Redeemed(Enum):
    """What a ``/start <code>`` at a destination did."""

    ARRIVED = "arrived"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Redemption:
    outcome: Redeemed
    #: The Telegram channel and the person's language there (None: the code is not known).
    channel: str | None = None
    language: str | None = None


def start_payload(text: str | None) -> str | None:
    """The payload of ``/start <payload>`` (``/start@bot <payload>`` too); None for anything else."""
    if not text:
        return None
    words = text.split()
    if not words or words[0].split("@")[0] != "/start":
        return None
    return words[1] if len(words) > 1 else ""


# ----------------------------------------------------------------------------- the mirror

#: What the mirror copies: a post's kind, and the Bot API method that sends each kind.
SEND_METHOD = {"text": "sendMessage", "photo": "sendPhoto", "video": "sendVideo", "document": "sendDocument"}


@dataclass(frozen=True)
class MirrorBody:
    """A channel post as the mirror keeps it: its kind, its text (or caption), the Telegram file
    to copy (largest photo size), and its album (media group) if any."""

    kind: str
    text: str | None
    file_id: str | None = None
    file_name: str | None = None
    media_group_id: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "text": self.text,
                "file_id": self.file_id,
                "file_name": self.file_name,
                "media_group_id": self.media_group_id,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, raw: str) -> MirrorBody:
        data = json.loads(raw)
        return cls(
            data["kind"],
            data.get("text"),
            data.get("file_id"),
            data.get("file_name"),
            data.get("media_group_id"),
        )


def mirror_body(message: Mapping[str, Any]) -> MirrorBody | None:
    """A Bot API message (its JSON) as the mirror copies it; None for what it does not copy
    (a poll, a sticker, a service message)."""
    group = message.get("media_group_id")
    caption = message.get("caption")
    photos = message.get("photo")
    if isinstance(photos, list) and photos:
        largest = max(photos, key=lambda p: int(p.get("width", 0)) * int(p.get("height", 0)))
        return MirrorBody("photo", caption, str(largest["file_id"]), None, group)
    for kind in ("video", "document"):
        media = message.get(kind)
        if isinstance(media, dict) and media.get("file_id"):
            return MirrorBody(kind, caption, str(media["file_id"]), media.get("file_name"), group)
    text = message.get("text")
    if isinstance(text, str) and text:
        return MirrorBody("text", text)
    return None
