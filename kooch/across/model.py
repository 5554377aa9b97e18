"""Move codes and the deep links that carry them: plain data and functions, no I/O."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import Enum

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
