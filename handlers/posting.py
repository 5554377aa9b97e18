"""Posting the announcement, shared by /announce, the schedule and the scheduled jobs: the checks
shown before an operator confirms (the channels that already have an announcement, the
destination links' verdicts), the confirm press that applies them, and posting now.

Both confirmations, ``announce`` and ``schedule``, ask the same way and apply the same rule
(:mod:`kooch.announce.duplicates`): a channel that has an announcement needs the "second one"
button, broken links a second press, and an announcement posted since the question asks afresh.
Their buttons are ``<kind>:<verb>:<pending id>``, the verb saying what the operator accepted
(:data:`VERBS`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from kooch.announce.duplicates import Ask, changed, current, known_of, to_ask
from kooch.announce.post import post_announcement
from kooch.announce.render import render_announcement
from kooch.announce.store import Announcement
from kooch.announce.wording import announced_meanwhile, choose_again, post_report, second_label
from kooch.config import Channel, Config
from kooch.destinations.links import LinkResult, broken
from kooch.destinations.wording import confirm_again, confirm_label, link_line, links_report, post_anyway
from kooch.handlers.approving import request_approval
from kooch.handlers.context import KoochContext
from kooch.handlers.guards import CONFIRM_TTL_S, language_of, operator_only, take_confirmation
from kooch.i18n import gettext
from kooch.operators.pending import Pending
from kooch.telegram.markup import markup

#: A confirmation button's verb → (a second announcement chosen, broken links accepted).
VERBS: dict[str, tuple[bool, bool]] = {
    "confirm": (False, False),
    "second": (True, False),
    "anyway": (False, True),
    "second-anyway": (True, True),
}


@dataclass(frozen=True)
class Checked:
    """What an operator is shown before confirming a post: the channels that have an announcement
    now, and the broken links (as :func:`link_line` says them to the operator)."""

    existing: Mapping[str, Announcement] = field(default_factory=dict)
    broken: list[str] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        """Kept with the pending confirmation: what the operator was shown."""
        return {"known": known_of(self.existing), "broken": self.broken}


async def show_link_verdicts(
    message: Message, context: KoochContext, language: str
) -> list[LinkResult] | None:
    """Check every configured link now and show the verdicts under a preview (None: checks off)."""
    results = await context.kooch.links.check_now()
    if results is not None:
        await message.reply_text(
            links_report(results, language, context.config.services)[:4096], disable_web_page_preview=True
        )
    return results


async def check_before_posting(
    message: Message, context: KoochContext, channels: list[Channel], language: str
) -> Checked:
    """The links' verdicts, shown; and the channels' current announcements."""
    results = await show_link_verdicts(message, context, language)
    existing = await current(context.kooch.announcements, [c.key for c in channels])
    return Checked(existing, [link_line(r, language, context.config.services) for r in broken(results or [])])


def confirm_buttons(
    kind: str, pending_id: int, label: str, checked: Checked, language: str
) -> InlineKeyboardMarkup:
    """The question's buttons: ``label`` (or "… a second one" where a channel has an announcement,
    saying so when links are broken) and Cancel."""
    verb = "second" if checked.existing else "confirm"
    shown = second_label(kind, language) if checked.existing else label
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    confirm_label(len(checked.broken), shown, language),
                    callback_data=f"{kind}:{verb}:{pending_id}",
                ),
                InlineKeyboardButton(
                    gettext(language, "Cancel"), callback_data=f"{kind}:cancel:{pending_id}"
                ),
            ]
        ]
    )


@dataclass(frozen=True)
class Confirmation:
    """How one kind of post is confirmed (``announce``, ``schedule``): its button, its question."""

    kind: str
    #: The confirm button where no channel has an announcement, in the reader's language.
    label: Callable[[str], str]
    #: (context, payload, the channels' announcements, reader) → the question.
    question: Callable[[KoochContext, dict[str, Any], Mapping[str, Announcement], str], str]
    #: The same for the approver, under the requester's name (what they are asked to approve).
    account: Callable[[KoochContext, dict[str, Any], Mapping[str, Announcement], str], str]
    #: The command to run again once the confirmation expired (None: no expiry of its own).
    rerun: str | None


def channels_of(config: Config, keys: list[str]) -> list[Channel]:
    """The channels of a pending action that the config still has."""
    return [c for k in keys if (c := config.channel_by_key(k)) is not None]


async def ask_to_confirm(
    message: Message,
    context: KoochContext,
    spec: Confirmation,
    user_id: int,
    channels: list[Channel],
    payload: dict[str, Any],
    language: str,
) -> str:
    """Show each channel's post exactly as it will be, the links' verdicts, and the question with
    its buttons; returns the audit result."""
    config = context.config
    for channel in channels:
        post = render_announcement(config, channel, preview=True)
        await message.reply_text(post.text, reply_markup=markup(post))
    checked = await check_before_posting(message, context, channels, language)
    payload = {**payload, "channels": [c.key for c in channels], **checked.payload()}
    pending_id = await context.kooch.pending.create(spec.kind, user_id, payload)
    keyboard = confirm_buttons(spec.kind, pending_id, spec.label(language), checked, language)
    await message.reply_text(
        spec.question(context, payload, checked.existing, language), reply_markup=keyboard
    )
    return (
        f"asked to confirm {spec.kind} #{pending_id}"
        + (" (already announced)" if checked.existing else "")
        + (f" ({len(checked.broken)} broken link(s))" if checked.broken else "")
    )


@dataclass(frozen=True)
class Confirmed:
    """A confirmation that passed the checks: the pending action (closed) and the channels'
    current announcements (each one the operator confirmed beside, having chosen a second one)."""

    pending: Pending
    existing: Mapping[str, Announcement]


async def take_checked(update: Update, context: KoochContext, spec: Confirmation) -> Confirmed | str:
    """A press on a confirmation's button: asked again while something the operator did not
    accept stands (see the module's docstring), else the pending action taken once. A string is
    the audit result once the operator has been told why not."""
    query = update.callback_query
    assert query is not None and query.data is not None
    kind, verb, number = query.data.split(":")
    assert kind == spec.kind
    second, anyway = VERBS[verb]
    language = language_of(update, context)
    kooch = context.kooch
    waiting = await kooch.pending.get(int(number), kind)
    # An expired question is not asked again: take_confirmation says to run the command again.
    if waiting is not None and (
        spec.rerun is None or kooch.clock.now() - waiting.created_at <= CONFIRM_TTL_S
    ):
        keys = list(waiting.payload["channels"])
        now = await current(kooch.announcements, keys)
        broken_lines = list(waiting.payload.get("broken", []))
        ask = to_ask(
            waiting.payload.get("known", {}),
            keys,
            now,
            second=second,
            broken=len(broken_lines),
            anyway=anyway,
        )
        if ask in (Ask.AFRESH, Ask.SECOND) and await kooch.pending.take(waiting.id, kind, "replaced"):
            # A fresh question with what is there now, under a new id: the old buttons are stale.
            checked = Checked(now, broken_lines)
            payload = {**waiting.payload, **checked.payload()}
            fresh = await kooch.pending.create(kind, waiting.operator_id, payload)
            await query.answer(choose_again(language), show_alert=True)
            if query.message is not None:
                await context.bot.edit_message_text(
                    spec.question(context, payload, now, language)[:4096],
                    chat_id=query.message.chat.id,
                    message_id=query.message.message_id,
                    reply_markup=confirm_buttons(kind, fresh, spec.label(language), checked, language),
                )
            return f"asked again as #{fresh}: already announced in {', '.join(sorted(now))}"
        if ask is Ask.LINKS:
            await query.answer(gettext(language, "Some links are broken: confirm again."))
            if query.message is not None:
                again = "second-anyway" if second else "anyway"
                keyboard = InlineKeyboardMarkup(
                    [
                        [
                            InlineKeyboardButton(
                                post_anyway(language), callback_data=f"{kind}:{again}:{waiting.id}"
                            ),
                            InlineKeyboardButton(
                                gettext(language, "Cancel"), callback_data=f"{kind}:cancel:{waiting.id}"
                            ),
                        ]
                    ]
                )
                await context.bot.edit_message_text(
                    confirm_again(broken_lines, language)[:4096],
                    chat_id=query.message.chat.id,
                    message_id=query.message.message_id,
                    reply_markup=keyboard,
                    disable_web_page_preview=True,
                )
            return f"asked again: {len(broken_lines)} broken link(s)"
    pending = await take_confirmation(update, context, kind, rerun=spec.rerun)
    if isinstance(pending, str):
        return pending
    existing = await current(kooch.announcements, pending.payload["channels"])
    return Confirmed(pending, existing)


async def ask_approval(
    update: Update, context: KoochContext, spec: Confirmation, confirmed: Confirmed
) -> str:
    """``approval: 2``: send the confirmed action to the other operators, with the previews, the
    spec's account of it (where it would be a second announcement) and the broken links."""
    config = context.config
    payload = confirmed.pending.payload
    previews = [
        render_announcement(config, c, preview=True) for c in channels_of(config, payload["channels"])
    ]
    broken_lines = list(payload.get("broken", []))

    def detail(reader: str) -> str:
        said = spec.account(context, payload, confirmed.existing, reader)
        return "\n".join(line for line in (said, *broken_lines) if line)

    return await request_approval(update, context, spec.kind, payload, previews, detail)


#: What a confirmation that passed the checks does: approval, or the action; the audit result.
Act = Callable[[Update, KoochContext, Confirmed], Awaitable[str]]


def confirm_handlers(spec: Confirmation, act: Act) -> list[BaseHandler[Update, KoochContext, None]]:
    """The handlers of the confirmation's buttons, one per verb (each audited as
    ``<kind>:<verb>``): the checks of :func:`take_checked`, then ``act``."""

    async def pressed(update: Update, context: KoochContext) -> str:
        confirmed = await take_checked(update, context, spec)
        return confirmed if isinstance(confirmed, str) else await act(update, context, confirmed)

    return [
        CallbackQueryHandler(
            operator_only(f"{spec.kind}:{verb}")(pressed), pattern=rf"^{spec.kind}:{verb}:\d+$"
        )
        for verb in VERBS
    ]


async def post_now(
    context: KoochContext, config: Config, channel: Channel, operator_id: int, language: str = "en"
) -> tuple[str, bool]:
    """Post, pin if configured, record. Returns the operator's report line and whether it posted."""
    kooch = context.kooch
    outcome = await post_announcement(
        kooch.gateway, kooch.announcements, kooch.sync, config, channel, operator_id
    )
    return post_report(outcome, language), outcome.posted


async def announced_since_asked(
    context: KoochContext, payload: dict[str, Any], language: str
) -> dict[str, str]:
    """The channels of a confirmed (or approved) action that got an announcement since the
    question was asked, each with the line saying it is left out (the action stops there)."""
    config = context.config
    keys = list(payload["channels"])
    now = await current(context.kooch.announcements, keys)
    lines = {}
    for key in changed(payload.get("known", {}), keys, now):
        channel = config.channel_by_key(key)
        if channel is not None:
            lines[key] = announced_meanwhile(channel, now[key], config.timezone, language)
    return lines
