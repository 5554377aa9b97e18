"""``/announce [channel] at/in …``: post the announcement to the channels at a time."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from kooch.actions.model import ACTIONS, Action, Env, Words
from kooch.actions.posts import (
    BrokenLink,
    Meanwhile,
    announcement_previews,
    broken_lines,
    checked_lines,
    meanwhile,
)
from kooch.actions.wording import for_channels
from kooch.announce.post.wording import announced_meanwhile
from kooch.announce.schedule.wording import schedule_confirmed, schedule_question
from kooch.i18n import gettext, paragraph
from kooch.telegram.post import Post


@dataclass(frozen=True)
class SchedulePayload:
    channels: tuple[str, ...]
    named: bool
    #: When to post (Unix seconds).
    due: float
    known: dict[str, int] = field(default_factory=dict)
    #: The broken links the operator accepted.
    broken: tuple[BrokenLink, ...] = ()


@dataclass(frozen=True)
class Scheduled:
    """The scheduled posts (their ids, one per channel in ``keys``), or ``too_late``."""

    due: float
    ids: tuple[int, ...] = ()
    keys: tuple[str, ...] = ()
    left_out: tuple[Meanwhile, ...] = ()
    #: The time passed before it was confirmed (or approved): nothing scheduled.
    too_late: bool = False


@ACTIONS.register
class Schedule(Action[SchedulePayload, Scheduled]):
    name = "schedule"
    # Its buttons are handlers.posting's: the duplicate and the broken-links checks.
    plain_confirm = False
    payload = SchedulePayload
    # No expiry of its own: the scheduled time is the limit.
    rerun = "/announce"

    def cancelled(self, language: str) -> str:
        return gettext(language, "Cancelled: nothing was scheduled.")

    def code_words(self, code: str, language: str) -> str | None:
        _ = partial(gettext, language)
        words = {
            "scheduled": _("scheduled"),
            "too-late": _("too late"),
            "bad-time": _("a time Kooch could not read"),
        }
        return words.get(code)

    def title(self, language: str) -> str:
        return gettext(language, "a scheduled announcement")

    def describe(self, payload: SchedulePayload, language: str) -> str:
        return for_channels(gettext(language, "schedule the announcement"), payload.channels, language)

    async def previews(self, env: Env, payload: SchedulePayload) -> list[Post]:
        return announcement_previews(env, payload.channels)

    async def preview(self, env: Env, payload: SchedulePayload) -> Words:
        """When, where, and where it would be a second announcement."""
        channels, existing = await checked_lines(env, payload.channels)
        tz, now = env.config.timezone, env.services.clock.now()

        def words(language: str) -> str:
            said = schedule_question(channels, payload.named, payload.due, tz, now, language, existing)
            return "\n".join([said, *broken_lines(payload.broken, language, env.config.services)])

        return words

    async def execute(self, env: Env, payload: SchedulePayload, operator_id: int) -> Scheduled:
        if payload.due <= env.services.clock.now():
            return Scheduled(payload.due, too_late=True)
        # A channel that got an announcement since the question is left out (asked afresh next time).
        since = await meanwhile(env, payload.channels, payload.known)
        keys = tuple(k for k in payload.channels if k not in since)
        known = {k: int(v) for k, v in payload.known.items()}
        announcements = env.services.announcements
        ids = tuple(await announcements.schedule(list(keys), payload.due, operator_id, known)) if keys else ()
        for post_id in ids:
            env.queue_post(post_id, payload.due)
        return Scheduled(payload.due, ids, keys, tuple(since.values()))

    def report(self, env: Env, outcome: Scheduled, language: str) -> Post:
        if outcome.too_late:
            late = gettext(language, "❌ That time has passed: nothing was scheduled; run /announce … again.")
            return Post(paragraph(late, language))
        tz, now = env.config.timezone, env.services.clock.now()
        lines = [announced_meanwhile(m.channel, m.announcement, tz, language) for m in outcome.left_out]
        if outcome.ids:
            # When, in the reader's calendar and how far from now (as the question said it).
            lines.insert(0, schedule_confirmed(outcome.ids, outcome.keys, outcome.due, tz, language, now=now))
        return Post("\n".join(lines))

    def record(self, outcome: Scheduled) -> tuple[tuple[str, ...], tuple[int, ...]]:
        if outcome.too_late:
            return ("too-late",), ()
        codes = [f"{k}:scheduled" for k in outcome.keys]
        codes += [f"{m.channel.key}:left-out" for m in outcome.left_out]
        return tuple(codes), outcome.ids

    def working(self, payload: SchedulePayload, language: str) -> str:
        return gettext(language, "Scheduled.")
