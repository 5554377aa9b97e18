"""What the two actions that post the announcement (now, or at a time) share: the previews, the
channels' announcements, and the channels that got one since the operator was asked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kooch.actions.model import Env
from kooch.announce.duplicates import changed, current
from kooch.announce.render import render_announcement
from kooch.announce.store import Announcement
from kooch.config import Channel, Service
from kooch.destinations.links import Kind, Link, LinkResult, Verdict
from kooch.destinations.wording import link_line
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


#: A broken link as a payload keeps it (what the operator accepted): service, field, URL, and the
#: verdict's kind, HTTP status, final URL and detail. Data, said to each reader in their words.
BrokenLink = tuple[str, str, str, str, int | None, str | None, str]


def keep_broken(results: Sequence[LinkResult]) -> tuple[BrokenLink, ...]:
    return tuple(
        (
            r.link.service,
            r.link.field,
            r.link.url,
            str(r.verdict.kind),
            r.verdict.status,
            r.verdict.final_url,
            r.verdict.detail,
        )
        for r in results
        if not r.verdict.ok
    )


def broken_lines(
    kept: Sequence[BrokenLink | str], language: str, services: Sequence[Service] = ()
) -> list[str]:
    """The broken links, one line each, in the reader's words, each service by its name in the
    reader's language (``services``: the config's); a line an older Kooch kept as words, as it is."""
    lines = []
    for entry in kept:
        if isinstance(entry, str):
            lines.append(entry)
            continue
        service, field, url, kind, status, final, detail = entry
        verdict = Verdict(Kind(kind), status, final, detail)
        lines.append(link_line(LinkResult(Link(service, field, url), verdict), language, services))
    return lines
