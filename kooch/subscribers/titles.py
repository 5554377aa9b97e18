"""Channel titles as Telegram has them, read once in a while: the deep link's reply names its channel.

A ``/start <channel>`` flood must not become a flood of getChat calls, so a title is kept for
:data:`TTL_S` seconds (a failure for a short while, so a channel Telegram refuses to show is not
asked for on every /start), and the /starts that arrive while it is being read wait for that one
read. The suffix ``/moved`` appends to the title is taken off again: the reply says that the
channel moved in words of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from kooch.clock import Clock
from kooch.config import Channel
from kooch.telegram.gateway import ChatInfo, TelegramFailed

#: Seconds a title read from Telegram is used before it is read again.
TTL_S = 600.0
#: Seconds before a chat that could not be read is tried again.
FAILED_TTL_S = 60.0


class ChannelTitles:
    def __init__(self, get_chat: Callable[[int | str], Awaitable[ChatInfo]], clock: Clock) -> None:
        self._get_chat = get_chat
        self._clock = clock
        self._known: dict[str, tuple[str, float]] = {}
        self._reading: dict[str, asyncio.Task[str]] = {}

    async def title(self, channel: Channel) -> str:
        """``channel``'s title on Telegram ("" when it cannot be read)."""
        known = self._known.get(channel.key)
        if known is not None and known[1] > self._clock.now():
            return known[0]
        reading = self._reading.get(channel.key)
        if reading is None:
            reading = asyncio.ensure_future(self._read(channel))
            self._reading[channel.key] = reading
            reading.add_done_callback(lambda _task: self._reading.pop(channel.key, None))
        return await asyncio.shield(reading)

    async def _read(self, channel: Channel) -> str:
        try:
            title = (await self._get_chat(channel.chat)).title
        except TelegramFailed:
            self._known[channel.key] = ("", self._clock.now() + FAILED_TTL_S)
            return ""
        suffix = channel.moved_title_suffix
        if suffix and title.endswith(suffix):
            title = title.removesuffix(suffix).rstrip()
        self._known[channel.key] = (title, self._clock.now() + TTL_S)
        return title
