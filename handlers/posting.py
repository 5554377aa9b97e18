"""Asking to post the announcement, shared by /announce and its schedule (``/announce … at/in
…``): the checks shown before an operator confirms (the channels that already have an announcement,
the destination links' verdicts) and the confirm press that applies them. What is confirmed is a
gated action (:mod:`kooch.actions.gated.announce`, :mod:`kooch.actions.gated.schedule`): its
typed payload keeps what the operator was shown, and the action posts or schedules.

Both confirmations, ``announce`` and ``schedule``, ask the same way and apply the same rule
(:mod:`kooch.announce.duplicates`): a channel that has an announcement needs the "second one"
button, broken links a second press, and an announcement posted since the question asks afresh.
Their buttons are ``<kind>:<verb>:<pending id>``, the verb saying what the operator accepted
(:data:`VERBS`). The schedule's question is here (not in :mod:`handlers.schedule`) so that
/announce's handler asks it without importing another handler module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from kooch.actions.gated.schedule import Schedule, SchedulePayload
from kooch.actions.model import Action
from kooch.actions.posts import BrokenLink, broken_lines, keep_broken
from kooch.announce.duplicates import Ask, current, known_of, to_ask
from kooch.announce.post.wording import choose_again, second_label
from kooch.announce.render import render_announcement
from kooch.announce.schedule.model import parse_when, split_schedule
from kooch.announce.schedule.wording import schedule_question
from kooch.announce.store import Announcement
from kooch.config import Channel, Config
from kooch.destinations.links import LinkResult
from kooch.destinations.wording import confirm_again, confirm_label, links_report, post_anyway
from kooch.handlers.confirming import not_taken, open_confirmation
from kooch.handlers.context import KoochContext
from kooch.handlers.guards import (
    CONFIRM_TTL_S,
    language_of,
    operator_only,
    take_confirmation,
    target_channels,
)
from kooch.i18n import gettext
from kooch.operators.audit import Record, Step
from kooch.operators.pending import Pending
from kooch.telegram.limits import fit
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
    now, and the broken links (as data: each reader reads them in their words)."""

    existing: Mapping[str, Announcement] = field(default_factory=dict)
    broken: tuple[BrokenLink, ...] = ()

    def into(self, payload: Any) -> Any:
        """``payload`` (an ``announce`` or ``schedule`` payload) with what the operator was shown."""
        return dataclasses.replace(payload, known=known_of(self.existing), broken=self.broken)


async def show_link_verdicts(
    message: Message, context: KoochContext, language: str
) -> list[LinkResult] | None:
    """Check every configured link now and show the verdicts under a preview (None: checks off)."""
    results = await context.kooch.links.check_now()
    if results is not None:
        await message.reply_text(
            fit(links_report(results, language, context.config.services)), disable_web_page_preview=True
        )
    return results


async def check_before_posting(
    message: Message, context: KoochContext, channels: list[Channel], language: str
) -> Checked:
    """The links' verdicts, shown; and the channels' current announcements."""
    results = await show_link_verdicts(message, context, language)
    existing = await current(context.kooch.announcements, [c.key for c in channels])
    return Checked(existing, keep_broken(results or []))


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

    #: The gated action confirmed (its payload has ``channels``, ``known`` and ``broken``).
    action: Action[Any, Any]
    #: The confirm button where no channel has an announcement, in the reader's language.
    label: Callable[[str], str]
    #: (context, payload, the channels' announcements, reader) → the question.
    question: Callable[[KoochContext, Any, Mapping[str, Announcement], str], str]
    #: The command to run again once the confirmation expired (None: no expiry of its own).
    rerun: str | None

    @property
    def kind(self) -> str:
        return self.action.name


def channels_of(config: Config, keys: list[str]) -> list[Channel]:
    """The channels of a pending action that the config still has."""
    return [c for k in keys if (c := config.channel_by_key(k)) is not None]


async def ask_to_confirm(
    message: Message,
    context: KoochContext,
    spec: Confirmation,
    user_id: int,
    channels: list[Channel],
    payload: Any,
    language: str,
) -> Record:
    """Show each channel's post exactly as it will be, the links' verdicts, and the question with
    its buttons; returns the audit record. ``payload`` is the action's, for ``channels``."""
    config = context.config
    for channel in channels:
        post = render_announcement(config, channel, preview=True)
        await message.reply_text(post.text, reply_markup=markup(post))
    checked = await check_before_posting(message, context, channels, language)
    payload = checked.into(payload)
    pending_id = await open_confirmation(context, spec.action, user_id, payload)
    keyboard = confirm_buttons(spec.kind, pending_id, spec.label(language), checked, language)
    await message.reply_text(
        spec.question(context, payload, checked.existing, language), reply_markup=keyboard
    )
    codes = (*(f"{key}:announced" for key in checked.existing), *(["broken-links"] if checked.broken else []))
    return Record(spec.kind, Step.ASKED, pending_id, codes=tuple(codes), count=len(checked.broken) or None)


@dataclass(frozen=True)
class Confirmed:
    """A confirmation that passed the checks: the pending action (closed) and the channels'
    current announcements (each one the operator confirmed beside, having chosen a second one)."""

    pending: Pending
    existing: Mapping[str, Announcement]
    #: The action's payload, as the operator confirmed it.
    payload: Any


async def take_checked(update: Update, context: KoochContext, spec: Confirmation) -> Confirmed | Record:
    """A press on a confirmation's button: asked again while something the operator did not
    accept stands (see the module's docstring), else the pending action taken once. A record is
    the audit's once the operator has been told why not (asked again, already used, expired)."""
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
        asked = spec.action.load(waiting.payload)
        keys = list(asked.channels)
        now = await current(kooch.announcements, keys)
        kept = tuple(asked.broken)
        ask = to_ask(
            asked.known,
            keys,
            now,
            second=second,
            broken=len(kept),
            anyway=anyway,
        )
        if ask in (Ask.AFRESH, Ask.SECOND) and await kooch.pending.take(waiting.id, kind, "replaced"):
            # A fresh question with what is there now, under a new id: the old buttons are stale.
            checked = Checked(now, kept)
            payload = checked.into(asked)
            fresh = await open_confirmation(context, spec.action, waiting.operator_id, payload)
            await query.answer(choose_again(language), show_alert=True)
            if query.message is not None:
                await context.bot.edit_message_text(
                    fit(spec.question(context, payload, now, language)),
                    chat_id=query.message.chat.id,
                    message_id=query.message.message_id,
                    reply_markup=confirm_buttons(kind, fresh, spec.label(language), checked, language),
                )
            codes = tuple(f"{key}:announced" for key in sorted(now))
            return Record(kind, Step.ASKED, fresh, codes=codes)
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
                    fit(confirm_again(broken_lines(kept, language, context.config.services), language)),
                    chat_id=query.message.chat.id,
                    message_id=query.message.message_id,
                    reply_markup=keyboard,
                    disable_web_page_preview=True,
                )
            return Record(kind, Step.ASKED, waiting.id, codes=("broken-links",), count=len(kept))
    pending = await take_confirmation(update, context, kind, rerun=spec.rerun)
    if isinstance(pending, str):
        return not_taken(kind, update, pending)
    payload = spec.action.load(pending.payload)
    existing = await current(kooch.announcements, payload.channels)
    return Confirmed(pending, existing, payload)


#: What a confirmation that passed the checks does: approval, or the action; the audit result.
Act = Callable[[Update, KoochContext, Confirmed], Awaitable[Record | str]]


def confirm_handlers(spec: Confirmation, act: Act) -> list[BaseHandler[Update, KoochContext, None]]:
    """The handlers of the confirmation's buttons, one per verb (each audited as
    ``<kind>:<verb>``): the checks of :func:`take_checked`, then ``act``."""

    async def pressed(update: Update, context: KoochContext) -> Record | str:
        confirmed = await take_checked(update, context, spec)
        return confirmed if isinstance(confirmed, Record) else await act(update, context, confirmed)

    return [
        CallbackQueryHandler(
            operator_only(f"{spec.kind}:{verb}")(pressed), pattern=rf"^{spec.kind}:{verb}:\d+$"
        )
        for verb in VERBS
    ]


# --------------------------------------------------------------------------------------------
# The schedule's question: ``/announce [channel] at/in …`` (/announce's, confirmed by the schedule's
# buttons in handlers.schedule)


def is_schedule_request(args: list[str]) -> bool:
    """``/announce [channel] at …`` or ``… in …``: a schedule, not a post now."""
    return split_schedule(args) is not None


def _schedule_question(
    context: KoochContext, payload: SchedulePayload, existing: Mapping[str, Announcement], language: str
) -> str:
    """The question: when, where, and where it would be a second announcement."""
    config = context.config
    channels = channels_of(config, list(payload.channels))
    now = context.kooch.clock.now()
    return schedule_question(channels, payload.named, payload.due, config.timezone, now, language, existing)


SCHEDULE = Confirmation(
    Schedule(),
    label=lambda language: gettext(language, "⏰ Schedule"),
    question=_schedule_question,
    # No expiry of its own: the scheduled time is the limit.
    rerun=None,
)


async def ask_schedule(update: Update, context: KoochContext) -> Record | str:
    """The ``/announce [channel] at/in …`` hook of handlers.operators.announce (already authorised)."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    split = split_schedule(list(context.args or []))
    assert split is not None
    channel_args, when_words = split
    config = context.config
    language = language_of(update, context)
    targets = await target_channels(message, config, channel_args, language)
    if targets is None:
        return Record(SCHEDULE.kind, Step.ANSWERED, codes=("unknown-channel",))
    channels, named = targets
    now = context.kooch.clock.now()
    when = parse_when(when_words, datetime.fromtimestamp(now, ZoneInfo(config.timezone)), language)
    if isinstance(when, str):
        await message.reply_text(when)
        return Record(SCHEDULE.kind, Step.ANSWERED, codes=("bad-time",))
    # The same checks as /announce: the links' verdicts, and "a second one" where a channel has one.
    payload = SchedulePayload(tuple(c.key for c in channels), named, when.timestamp())
    return await ask_to_confirm(message, context, SCHEDULE, user.id, channels, payload, language)
