"""``/moved [undo] [channel]``: put channels into the moved state (title, description, pin), or
restore them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from kooch.actions.model import ACTIONS, Action, Answer, Asked, Env, Question, Words
from kooch.actions.wording import for_channels
from kooch.announce.moved.model import (
    ChatUnreadable,
    MovedReport,
    MovedSet,
    MovedUndone,
    NotInConfig,
    NotMoved,
    anything_to_undo,
)
from kooch.announce.moved.service import MovedWorkflow
from kooch.announce.moved.wording import moved_question, moved_report, undo_lines, undo_question
from kooch.i18n import gettext
from kooch.operators.targets import resolve_channels
from kooch.telegram.post import Post


@dataclass(frozen=True)
class MovedPayload:
    channels: tuple[str, ...]
    #: The operator named the channel (else: all channels).
    named: bool
    undo: bool = False


def _workflow(env: Env) -> MovedWorkflow:
    return MovedWorkflow(env.services.gateway, env.services.announcements)


def _code(report: MovedReport) -> str:
    if isinstance(report, NotInConfig):
        return f"{report.key}:not-in-config"
    key = report.channel.key
    if isinstance(report, ChatUnreadable):
        return f"{key}:unreadable"
    if isinstance(report, NotMoved):
        return f"{key}:nothing-to-undo"
    if isinstance(report, MovedUndone):
        return f"{key}:undone" if report.complete else f"{key}:partly-undone"
    steps = (report.title_step, report.description_step)
    if all(s.ok for s in steps):
        return f"{key}:moved"
    return f"{key}:partly-moved" if any(s.ok for s in steps) else f"{key}:not-moved"


@ACTIONS.register
class Moved(Action[MovedPayload, list[MovedReport]]):
    name = "moved"
    payload = MovedPayload
    rerun = "/moved"

    command = "moved"

    async def ask(self, env: Env, asked: Asked) -> Question[MovedPayload] | Answer:
        """``/moved [channel]`` or ``/moved undo [channel]``: what it would do, read now."""
        args, language = list(asked.args), asked.language
        undo = bool(args) and args[0].lower() == "undo"
        if undo:
            args = args[1:]
        targets = resolve_channels(env.config, args, language)
        if isinstance(targets, str):
            return Answer(targets, "unknown-channel")
        channels, named = targets
        payload = MovedPayload(tuple(c.key for c in channels), named, undo)
        if undo:
            plans = await _workflow(env).undo_plans(channels)
            if not anything_to_undo(plans):
                return Answer("\n".join(undo_lines(plans, language)), "nothing-to-undo")
            return Question(payload, undo_question(plans, named, language), gettext(language, "↩️ Restore"))
        question = moved_question(await _workflow(env).plans(env.config, channels), named, language)
        return Question(payload, question, gettext(language, "🏷 Set the moved state"))

    def cancelled(self, language: str) -> str:
        return gettext(language, "Cancelled: the channels were not changed.")

    def code_words(self, code: str, language: str) -> str | None:
        _ = partial(gettext, language)
        words = {
            "moved": _("moved state set"),
            "partly-moved": _("moved state set in part"),
            "not-moved": _("moved state not set"),
            "unreadable": _("channel unreadable"),
            "nothing-to-undo": _("nothing to undo"),
            "undone": _("moved state undone"),
            "partly-undone": _("moved state undone in part"),
        }
        return words.get(code)

    def title(self, language: str) -> str:
        return gettext(language, "the moved state")

    def describe(self, payload: MovedPayload, language: str) -> str:
        words = (
            gettext(language, "undo /moved on the channels")
            if payload.undo
            else gettext(language, "change the channels (/moved)")
        )
        return for_channels(words, payload.channels, language)

    async def preview(self, env: Env, payload: MovedPayload) -> Words:
        """The question the requester answered, read again now and said in each reader's words."""
        channels = [c for k in payload.channels if (c := env.config.channel_by_key(k)) is not None]
        if payload.undo:
            undo_plans = await _workflow(env).undo_plans(channels)
            return lambda language: undo_question(undo_plans, payload.named, language)
        plans = await _workflow(env).plans(env.config, channels)
        return lambda language: moved_question(plans, payload.named, language)

    async def execute(self, env: Env, payload: MovedPayload, operator_id: int) -> list[MovedReport]:
        return await _workflow(env).run(env.config, payload.channels, operator_id, undo=payload.undo)

    def report(self, env: Env, outcome: list[MovedReport], language: str) -> Post:
        return Post("\n".join(moved_report(outcome, language)))

    def record(self, outcome: list[MovedReport]) -> tuple[tuple[str, ...], tuple[int, ...]]:
        pinned = tuple(r.announcement for r in outcome if isinstance(r, MovedSet) and r.announcement)
        return tuple(_code(r) for r in outcome), pinned

    def working(self, payload: MovedPayload, language: str) -> str:
        return gettext(language, "Restoring…") if payload.undo else gettext(language, "Working…")
