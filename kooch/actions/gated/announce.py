"""``/announce [channel]``: post the announcement to the channels now."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from kooch.actions.model import ACTIONS, Action, Env, Words
from kooch.actions.posts import (
    BrokenLink,
    Meanwhile,
    NotInConfig,
    announcement_previews,
    broken_lines,
    checked_lines,
    meanwhile,
)
from kooch.actions.wording import for_channels
from kooch.announce.post.model import PostOutcome
from kooch.announce.post.service import post_announcement
from kooch.announce.post.wording import announced_meanwhile, not_in_config, post_report, second_lines
from kooch.i18n import gettext
from kooch.telegram.post import Post


@dataclass(frozen=True)
class AnnouncePayload:
    channels: tuple[str, ...]
    named: bool
    #: Each channel's announcement when the operator was asked (kooch.announce.duplicates).
    known: dict[str, int] = field(default_factory=dict)
    #: The broken links the operator accepted.
    broken: tuple[BrokenLink, ...] = ()


#: One channel's part of the outcome.
Posted = PostOutcome | NotInConfig | Meanwhile


@ACTIONS.register
class Announce(Action[AnnouncePayload, list[Posted]]):
    name = "announce"
    # Its buttons are handlers.posting's: the duplicate and the broken-links checks.
    plain_confirm = False
    payload = AnnouncePayload
    rerun = "/announce"

    def cancelled(self, language: str) -> str:
        return gettext(language, "Cancelled: nothing was posted.")

    def code_words(self, code: str, language: str) -> str | None:
        _ = partial(gettext, language)
        words = {
            "posted": _("posted"),
            "pinned": _("posted and pinned"),
            "not-posted": _("not posted"),
        }
        return words.get(code)

    def title(self, language: str) -> str:
        return gettext(language, "the announcement")

    def describe(self, payload: AnnouncePayload, language: str) -> str:
        return for_channels(gettext(language, "post the announcement"), payload.channels, language)

    async def previews(self, env: Env, payload: AnnouncePayload) -> list[Post]:
        return announcement_previews(env, payload.channels)

    async def preview(self, env: Env, payload: AnnouncePayload) -> Words:
        """Where it would be a second announcement, and the broken links."""
        channels, existing = await checked_lines(env, payload.channels)
        tz = env.config.timezone
        return lambda language: "\n".join(
            [
                *second_lines(channels, existing, tz, language),
                *broken_lines(payload.broken, language, env.config.services),
            ]
        )

    async def execute(self, env: Env, payload: AnnouncePayload, operator_id: int) -> list[Posted]:
        kooch = env.services
        since = await meanwhile(env, payload.channels, payload.known)
        outcome: list[Posted] = []
        for key in payload.channels:
            channel = env.config.channel_by_key(key)
            if channel is None:
                outcome.append(NotInConfig(key))
            elif key in since:
                outcome.append(since[key])
            else:
                outcome.append(
                    await post_announcement(
                        kooch.gateway, kooch.announcements, kooch.sync, env.config, channel, operator_id
                    )
                )
        return outcome

    def report(self, env: Env, outcome: list[Posted], language: str) -> Post:
        tz = env.config.timezone
        lines = []
        for part in outcome:
            if isinstance(part, NotInConfig):
                lines.append(not_in_config(part.key, language))
            elif isinstance(part, Meanwhile):
                lines.append(announced_meanwhile(part.channel, part.announcement, tz, language))
            else:
                lines.append(post_report(part, language))
        return Post("\n".join(lines))

    def record(self, outcome: list[Posted]) -> tuple[tuple[str, ...], tuple[int, ...]]:
        codes = []
        for part in outcome:
            if isinstance(part, NotInConfig):
                codes.append(f"{part.key}:not-in-config")
            elif isinstance(part, Meanwhile):
                codes.append(f"{part.channel.key}:left-out")
            elif part.posted:
                codes.append(f"{part.channel.key}:{'pinned' if part.pinned else 'posted'}")
            else:
                codes.append(f"{part.channel.key}:not-posted")
        ids = tuple(p.message_id for p in outcome if isinstance(p, PostOutcome) and p.message_id is not None)
        return tuple(codes), ids

    def working(self, payload: AnnouncePayload, language: str) -> str:
        return gettext(language, "Posting…")
