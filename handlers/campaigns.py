"""Operator commands for reminder campaigns: /remind, /campaigns and their buttons.

``/remind [to:unmoved|to:all] [channel:NAME] [lang:xx] text`` (or ``/remind`` as a reply to one of
the operator's own messages) shows the reminder as each language's recipients get it (one preview
per language, with that language's buttons), the number of recipients, who will get a text not in
their language, and the time it takes, and asks to confirm. Confirming queues the campaign; the question
becomes its progress message, edited every few seconds, with a Cancel button. The sending itself
is :class:`kooch.campaigns.service.CampaignRunner`'s, never a handler's: the bot keeps answering.
"""

from __future__ import annotations

from functools import partial

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import MessageLimit
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from kooch.actions.gated.remind import Remind, RemindPayload
from kooch.campaigns.model import ANY_LANGUAGE, Audience, parse_remind
from kooch.campaigns.preview import preview_groups
from kooch.campaigns.service import CampaignRunner, ack_channel
from kooch.campaigns.wording import (
    duration_line,
    fallback_lines,
    format_campaign_line,
    format_reminder_line,
    preview_label,
)
from kooch.handlers.confirming import open_confirmation
from kooch.handlers.context import KoochContext
from kooch.handlers.guards import (
    PRIVATE,
    confirm_keyboard,
    language_of,
    operator_only,
)
from kooch.i18n import format_datetime, format_number, gettext, ngettext, paragraph, to_digits
from kooch.operators.audit import Record, Step
from kooch.operators.targets import unknown_channel
from kooch.telegram.markup import markup


def remind_usage(language: str) -> str:
    return gettext(
        language,
        "Write the reminder after the command, or reply to a message of yours with /remind:\n"
        "/remind [to:unmoved|to:all] [channel:NAME] [lang:fa] text\n"
        "• to:unmoved (default): users who started the bot and have not tapped “I've moved”\n"
        "• to:all: everyone who started the bot\n"
        "• channel:NAME: only that channel (not moved there / its audience)\n"
        "• lang:fa: only users with that language\n"
        "Users who blocked the bot or used /forget are never included.",
    )


REMIND = Remind()


def _runner(context: KoochContext) -> CampaignRunner:
    runner = context.kooch.campaigns
    if runner is None:
        raise RuntimeError("the campaign runner is not running")
    return runner


@operator_only("remind")
async def remind(update: Update, context: KoochContext) -> Record | str:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    config = context.config
    language = language_of(update, context)
    _ = partial(gettext, language)

    def n(value: int) -> str:
        return format_number(value, language)

    parts = (message.text or "").split(None, 1)
    request = parse_remind(parts[1] if len(parts) > 1 else "", language)
    if isinstance(request, str):
        await message.reply_text(request)
        return "bad options"
    text = request.text
    replied = message.reply_to_message
    if not text and replied is not None and replied.from_user is not None and replied.from_user.id == user.id:
        text = replied.text or replied.caption or ""
    if not text:
        await message.reply_text(paragraph(remind_usage(language), language))
        return "no text"
    if len(text) > MessageLimit.MAX_TEXT_LENGTH:
        too_long = _("The reminder is {length} characters; Telegram allows {limit}.")
        await message.reply_text(
            paragraph(too_long.format(length=n(len(text)), limit=n(MessageLimit.MAX_TEXT_LENGTH)), language)
        )
        return "too long"
    channel_key = None
    if request.channel is not None:
        channel = config.channel(request.channel)
        if channel is None:
            await message.reply_text(unknown_channel(config, request.channel, language))
            return "unknown channel"
        channel_key = channel.key
    if request.language is not None and request.language not in config.texts:
        unknown = _("Unknown language '{language}'. Known: {known}")
        known = _(", ").join(sorted(config.texts))
        await message.reply_text(paragraph(unknown.format(language=request.language, known=known), language))
        return "unknown language"
    audience = Audience(request.kind, channel_key, request.language)
    chosen = config.channel_by_key(channel_key) if channel_key else None
    label = chosen.label if chosen is not None else None
    readers = await _runner(context).campaigns.count_by_language(audience)
    count = sum(readers.values())
    if count == 0:
        nobody = _("Nobody to remind: no {audience}.").format(audience=audience.describe(label, language))
        await message.reply_text(paragraph(nobody, language))
        return "empty audience"
    # One preview per language among the recipients, as that group receives it (the approvers
    # read the same, from the action: kooch.actions.gated.remind).
    groups = preview_groups(config, {ANY_LANGUAGE: text}, readers, ack_channel(config, audience), language)
    for group in groups:
        await message.reply_text(preview_label(group, language))
        await message.reply_text(group.post.text, reply_markup=markup(group.post))
    payload = RemindPayload({ANY_LANGUAGE: text}, audience.to_json(), count, language)
    pending_id = await open_confirmation(context, REMIND, user.id, payload)
    rate = config.campaigns.rate_per_s
    runner = _runner(context)
    busy = runner.active is not None or bool(await runner.campaigns.active())
    lines = [
        ngettext(
            language,
            "Send the reminder above to {n} recipient: {audience}?",
            "Send the reminder above to {n} recipients: {audience}?",
            count,
        ).format(n=n(count), audience=audience.describe(label, language)),
        duration_line(count, rate, language),
        *fallback_lines(groups, language),
    ]
    if busy:
        lines.append(_("Another campaign is under way: this one will start when it ends."))
    question = "\n".join(paragraph(line, language) for line in lines)
    button = _("📨 Send to {n}").format(n=n(count))
    await message.reply_text(question, reply_markup=confirm_keyboard("remind", pending_id, button, language))
    return Record(REMIND.name, Step.ASKED, pending_id, count=count)


@operator_only("campaign:cancel")
async def campaign_cancel(update: Update, context: KoochContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    campaign_id = int(query.data.rsplit(":", 1)[1])
    language = language_of(update, context)
    shown = to_digits(str(campaign_id), language)
    if await _runner(context).cancel(campaign_id):
        await query.answer(
            gettext(language, "Campaign #{id} cancelled: the final tally follows.").format(id=shown)
        )
        return f"cancelled campaign #{campaign_id}"
    await query.answer(
        gettext(language, "Campaign #{id} has already ended.").format(id=shown), show_alert=True
    )
    return "already ended"


@operator_only("reminder:send")
async def reminder_send(update: Update, context: KoochContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    key = query.data.rsplit(":", 1)[1]
    campaign_id = await _runner(context).send_reminder_now(key)
    language = language_of(update, context)
    if campaign_id is None:
        await query.answer(gettext(language, "This reminder was already sent or cancelled."), show_alert=True)
        return "stale reminder"
    queued = gettext(language, "Queued as campaign #{id}.").format(id=to_digits(str(campaign_id), language))
    await query.answer(queued)
    if query.message is not None:
        await context.bot.edit_message_reply_markup(
            chat_id=query.message.chat.id, message_id=query.message.message_id, reply_markup=None
        )
    return f"reminder {key} queued as campaign #{campaign_id}"


@operator_only("reminder:cancel")
async def reminder_cancel(update: Update, context: KoochContext) -> str:
    query = update.callback_query
    assert query is not None and query.data is not None
    key = query.data.rsplit(":", 1)[1]
    language = language_of(update, context)
    if not await _runner(context).cancel_reminder(key):
        await query.answer(gettext(language, "This reminder was already sent or cancelled."), show_alert=True)
        return "stale reminder"
    await query.answer(gettext(language, "Reminder cancelled."))
    if query.message is not None:
        await context.bot.edit_message_reply_markup(
            chat_id=query.message.chat.id, message_id=query.message.message_id, reply_markup=None
        )
    return f"reminder {key} cancelled"


@operator_only("campaigns")
async def campaigns(update: Update, context: KoochContext) -> str:
    message = update.effective_message
    assert message is not None
    config = context.config
    runner = _runner(context)
    tz = config.timezone
    language = language_of(update, context)
    _ = partial(gettext, language)
    recent = await runner.campaigns.recent(10)
    lines = [_("📨 Reminder campaigns (newest first; one runs at a time, the others wait their turn):")]
    buttons = []
    # Clicks are counted only through Kooch's redirect links (web.public_url).
    counted = config.web is not None and config.web.public_url is not None
    clicks = await runner.campaigns.clicks([c.id for c in recent]) if counted else None
    for c in recent:
        shown = None if clicks is None else clicks.get(c.id, 0)
        line = format_campaign_line(
            c,
            await runner.campaigns.tally(c.id),
            tz,
            language,
            context.kooch.operator_languages.names,
            clicks=shown,
        )
        if runner.active is not None and runner.active.id == c.id:
            rate = format_number(runner.current_rate(), language, decimals=1)
            line += _(" — {rate} msg/s").format(rate=rate)
        lines.append(line)
        if c.state in ("running", "queued"):
            cancel = _("🛑 Cancel #{id}").format(id=to_digits(str(c.id), language))
            buttons.append([InlineKeyboardButton(cancel, callback_data=f"campaign:cancel:{c.id}")])
    if not recent:
        lines.append(_("none yet: /remind to send one"))
    reminders = [r for r in await runner.campaigns.reminders() if r.state != "removed"]
    lines += ["", _("⏰ Scheduled reminders (config.yaml → reminders):")]
    for r in reminders:
        lines.append(format_reminder_line(r, tz, language))
        # The date and time without the year: a button has little room.
        when = format_datetime(r.due_at, tz, language, numeric=True, year=False)
        if r.state in ("scheduled", "missed"):
            cancel = _("Cancel ⏰ {when}").format(when=when)
            row = [InlineKeyboardButton(cancel, callback_data=f"reminder:cancel:{r.key}")]
            if r.state == "missed":
                row.insert(0, InlineKeyboardButton(_("📨 Send now"), callback_data=f"reminder:send:{r.key}"))
            buttons.append(row)
    if not reminders:
        lines.append(_("none"))
    lines = [paragraph(line, language) if line else line for line in lines]
    await message.reply_text(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons) if buttons else None
    )
    return f"listed {len(recent)} campaigns, {len(reminders)} reminders"


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("remind", remind, filters=PRIVATE),
    CommandHandler("campaigns", campaigns, filters=PRIVATE),
    CallbackQueryHandler(campaign_cancel, pattern=r"^campaign:cancel:\d+$"),
    CallbackQueryHandler(reminder_send, pattern=r"^reminder:send:[0-9a-f]+$"),
    CallbackQueryHandler(reminder_cancel, pattern=r"^reminder:cancel:[0-9a-f]+$"),
]
