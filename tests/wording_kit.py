"""Shared by the tests of the words operators read (tests/test_wording_*.py): a fixed config,
its channels, moments in Tehran and the Telegram refusals as operators read them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from kooch.announce.store import Announcement, ScheduledPost
from kooch.config import parse_config

TZ = "Asia/Tehran"


def at(day: int, hour: int, minute: int, second: int = 0) -> float:
    """A moment of June 2025 in Tehran, as Unix seconds."""
    return datetime(2025, 6, day, hour, minute, second, tzinfo=ZoneInfo(TZ)).timestamp()


NOW = at(15, 18, 30)

RAW: dict[str, Any] = {
    "operators": [4242],
    "default_language": "fa",
    "storage": {"sqlite_path": "/srv/kooch/kooch.db"},
    "channels": [
        {"chat": "@kooch_demo", "key": "demo", "language": "fa", "pin": True},
        {"chat": -1001234, "key": "news", "language": "en", "counter": True},
    ],
    "services": [
        {"key": "soroush", "name": {"fa": "سروش", "en": "Soroush"}, "url": "https://splus.ir/kooch_demo"},
        {"key": "gap", "name": {"fa": "گپ", "en": "Gap"}, "url": "https://gap.im/kooch_demo"},
    ],
}
# The version is the file's hash; a fixed one keeps /status's wording independent of the YAML.
CONFIG = replace(
    parse_config(yaml.safe_dump(RAW, allow_unicode=True, sort_keys=False), "config.yaml", Path("/srv/kooch")),
    version="v1",
)
DEMO, NEWS = CONFIG.channels
BOTH = "all channels (@kooch_demo, news (-1001234))"

ANNOUNCEMENT = Announcement(1, "demo", -100777, 7, at(14, 9, 5), 4242, "h", True)
NOT_A_MEMBER = (
    "the bot is not a member of this channel. Add it as an administrator with the right "
    "“Post messages” (and “Edit messages of others” to pin)."
)
CHAT_NOT_FOUND = (
    "Telegram does not know this chat. Check channels[].chat in the config (the @username or the "
    "-100… id) and that the bot has been added to the channel."
)
MISSING = "missing right: give the bot “Change channel info” (and “Edit messages”)"


# --------------------------------------------------------------------------------------------


def scheduled(post_id: int, due: float, state: str = "open", channel: str = "demo") -> ScheduledPost:
    return ScheduledPost(post_id, channel, due, at(15, 8, 0), 4242, state, None, None)
