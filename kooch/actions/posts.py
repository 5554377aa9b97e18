"""What the two actions that post the announcement (now, or at a time) share: the previews, the
channels' announcements, and the channels that got one since the operator was asked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kooch.actions.model import Env
from kooch.announce.duplicates import changed, current
from kooch.announce.render import render_announcement
from kooch.announce.store import Announcement
from kooch.config import Channel
from kooch.telegram.post import Post


@dataclass(frozen=True)
class NotInConfig:
    """A channel the action named that the config no longer has: nothing done there."""

    key: str


@dataclass(frozen=True)
class Meanwhile:
    """A channel that got an announcement after the question: left out (the operator chooses
    again by running the command again)."""

    channel: Channel
    announcement: Announcement


def channels_of(env: Env, keys: Sequence[str]) -> list[Channel]:
    return [c for k in keys if (c := env.config.channel_by_key(k)) is not None]


def announcement_previews(env: Env, keys: Sequence[str]) -> list[Post]:
    return [render_announcement(env.config, c, preview=True) for c in channels_of(env, keys)]


async def checked_lines(env: Env, keys: Sequence[str]) -> tuple[list[Channel], dict[str, Announcement]]:
    """The channels still in the config and their current announcements."""
    return channels_of(env, keys), await current(env.services.announcements, keys)


async def meanwhile(env: Env, keys: Sequence[str], known: Mapping[str, int]) -> dict[str, Meanwhile]:
    """The channels that got an announcement since the question was asked."""
    now = await current(env.services.announcements, keys)
    found = {}
    for key in changed(dict(known), keys, now):
        channel = env.config.channel_by_key(key)
        if channel is not None:
            found[key] = Meanwhile(channel, now[key])
    return found
