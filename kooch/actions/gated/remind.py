"""``/remind …``: send a reminder to the subscribers who started the bot (a campaign)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from kooch.actions.model import ACTIONS, Action, Env, Preview, Words
from kooch.campaigns.model import Audience, Tally
from kooch.campaigns.preview import PreviewGroup, preview_groups
from kooch.campaigns.service import CampaignRunner, ack_channel
from kooch.campaigns.wording import (
    cancel_buttons,
    duration_line,
    fallback_lines,
    format_progress,
    preview_label,
)
from kooch.i18n import format_number, gettext, ngettext, paragraph, to_digits
from kooch.telegram.post import Post


@dataclass(frozen=True)
class RemindPayload:
    #: The reminder's text per recipient language (``*``: any).
    texts: dict[str, str]
    #: :meth:`kooch.campaigns.model.Audience.to_json`.
    audience: str
    #: How many recipients the operator was shown.
    count: int = 0
    #: The language of the operator who asked: which language a text for everyone is taken to
    #: be in when its letters leave a choice (:func:`kooch.campaigns.preview.written_in`).
    language: str | None = None


@dataclass(frozen=True)
class Queued:
    campaign_id: int
    #: The campaign it waits behind, if another one runs.
    behind: int | None
    tally: Tally


def _runner(env: Env) -> CampaignRunner:
    runner = env.services.campaigns
    if runner is None:
        raise RuntimeError("the campaign runner is not running")
    return runner


async def groups(env: Env, payload: RemindPayload) -> list[PreviewGroup]:
    """The recipients per language as they are now, each group with what it receives."""
    audience = Audience.from_json(payload.audience)
    readers = await _runner(env).campaigns.count_by_language(audience)
    channel = ack_channel(env.config, audience)
    return preview_groups(env.config, dict(payload.texts), readers, channel, payload.language)


@ACTIONS.register
class Remind(Action[RemindPayload, Queued]):
    name = "remind"
    payload = RemindPayload
    rerun = "/remind"

    def cancelled(self, language: str) -> str:
        return gettext(language, "Cancelled: no reminder was sent.")

    def code_words(self, code: str, language: str) -> str | None:
        _ = partial(gettext, language)
        words = {
            "queued": _("campaign queued"),
        }
        return words.get(code)

    def title(self, language: str) -> str:
        return gettext(language, "a reminder")

    def describe(self, payload: RemindPayload, language: str) -> str:
        n = format_number(payload.count, language)
        return ngettext(
            language, "send a reminder to {n} subscriber", "send a reminder to {n} subscribers", payload.count
        ).format(n=n)

    async def previews(self, env: Env, payload: RemindPayload) -> Sequence[Preview]:
        """One preview per language among the recipients, as that group receives it, each under
        a label in the approver's language."""
        found: list[Preview] = []
        for group in await groups(env, payload):
            found.append(partial(preview_label, group))
            found.append(group.post)
        return found

    async def preview(self, env: Env, payload: RemindPayload) -> Words:
        """Who gets it, how long sending takes, and who will get a text not in their language."""
        audience = Audience.from_json(payload.audience)
        chosen = env.config.channel_by_key(audience.channel) if audience.channel else None
        label = chosen.label if chosen is not None else None
        found = await groups(env, payload)
        count = sum(g.readers for g in found)
        rate = env.config.campaigns.rate_per_s

        def words(language: str) -> str:
            lines = [
                paragraph(audience.describe(label, language), language),
                duration_line(count, rate, language),
                *fallback_lines(found, language),
            ]
            return "\n".join(lines)

        return words

    async def execute(self, env: Env, payload: RemindPayload, operator_id: int) -> Queued:
        runner = _runner(env)
        behind = [c.id for c in await runner.campaigns.active()]
        campaign_id = await runner.submit(
            dict(payload.texts), Audience.from_json(payload.audience), operator_id, progress=env.progress
        )
        return Queued(campaign_id, behind[-1] if behind else None, await runner.campaigns.tally(campaign_id))

    def report(self, env: Env, outcome: Queued, language: str) -> Post:
        if outcome.behind is not None:
            after = to_digits(str(outcome.behind), language)
            state = gettext(language, "queued after #{id}").format(id=after)
        else:
            state = "starting"
        text = format_progress(outcome.campaign_id, outcome.tally, 0.0, state=state, language=language)
        return Post(text, cancel_buttons(outcome.campaign_id, language))

    def record(self, outcome: Queued) -> tuple[tuple[str, ...], tuple[int, ...]]:
        return ("queued",), (outcome.campaign_id,)

    def working(self, payload: RemindPayload, language: str) -> str:
        return gettext(language, "Sending…")
