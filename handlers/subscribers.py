"""What subscribers touch: the "I've moved" button, /start, /links, /forget, /privacy, /help, and
the answer to a command Kooch does not know (an operator's typo too).

/forget is everyone's; an operator's asks first and keeps their actions accountable
(:mod:`kooch.operators.forget.service`), with its two buttons here.

Each handler parses the update, calls the store or the renderer, and replies. The tap is answered
only after the store has committed it: an answered "thank you" is never lost.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from kooch.across import wording as across_wording
from kooch.announce.render import (
    MOVED_START_PREFIX,
    PREVIEW_ACK_DATA,
    REMINDERS_OFF_DATA,
    moved_channel,
    render_channel_links,
    render_links,
    render_moved_start,
)
from kooch.config import ACK_PREFIX, START_PAYLOAD_RE, Channel
from kooch.handlers.context import KoochContext
from kooch.handlers.guards import CONFIRM_TTL_S, stale
from kooch.i18n import gettext
from kooch.menus.model import KNOWN, commands_of, nearest, typed_command
from kooch.menus.wording import meanings, subscriber_help, unknown_command
from kooch.operators.forget import service as operator_forget
from kooch.operators.forget import wording as forget_wording
from kooch.operators.welcome import operator_welcome
from kooch.operators.wording import operator_help
from kooch.store import WriteFailed
from kooch.subscribers.privacy import privacy_text
from kooch.subscribers.wording import (
    deep_link_footer,
    deep_link_header,
    links_header,
    moved_start_header,
    reminders_off_done,
)
from kooch.telegram.gateway import reply_post
from kooch.telegram.markup import markup, start_link

log = logging.getLogger(__name__)


async def answer(
    update: Update, context: KoochContext, text: str | None = None, url: str | None = None
) -> None:
    """Answer the tap in the webhook response when it came by webhook (no call of its own), else
    by calling answerCallbackQuery. ``url`` (a ``t.me/<bot>?start=`` link) opens the bot."""
    query = update.callback_query
    assert query is not None
    params: dict[str, str] = {"callback_query_id": query.id}
    if text is not None:
        params["text"] = text
    if url is not None:
        params["url"] = url
    if not context.kooch.replies.offer(update, "answerCallbackQuery", params):
        await query.answer(text, url=url)


async def ack(update: Update, context: KoochContext) -> None:
    """A tap on "I've moved" under a channel post: record once, then answer."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    config = context.config
    key = query.data.removeprefix(ACK_PREFIX)
    channel = config.channel_by_key(key)
    if channel is None:
        # A forged button, or one of a channel no longer in the config: nothing to record under it.
        await answer(update, context)
        return
    user = query.from_user
    # Under the channel post, or in the user's private chat (a reminder, the deep link's reply):
    # there the answer is in the user's own language, as the message above the button.
    in_channel = query.message is None or query.message.chat.type == ChatType.CHANNEL
    language = channel.language if in_channel else config.language_for(user.language_code)
    try:
        is_new = await context.kooch.subscribers.add_ack(
            channel=key,
            user_id=user.id,
            first_name=user.first_name,
            language=user.language_code.split("-")[0] if user.language_code else None,
            source="post" if in_channel else "reminder",
        )
    except WriteFailed:
        log.warning("a tap could not be stored; asked the user to try again")
        await answer(update, context, config.text(language, "try_again"))
        return
    if is_new:
        context.kooch.sync.acked(key)  # the live counter, coalesced per interval
    # After the commit: the answer (in the webhook response, or a call) is never ahead of it.
    if context.kooch.across.active(config) and not in_channel:
        # Move codes, from a reminder in private: the personal links follow the answer there.
        await _answer_with_links(update, context, key, language)
        return
    username = context.bot.username
    # Move codes (issue 27) need the person in Kooch's chat, as reach.open_bot_after_tap (issue 26)
    # does: either opens it on /start moved_<key>, which thanks them, repeats the links and, with
    # move codes on, gives the personal links.
    opens_bot = channel.reach.open_bot_after_tap or bool(context.kooch.across.active(config))
    if in_channel and opens_bot and username:
        # No toast: Telegram opens the bot, whose START sends /start moved_<key> (thanked there).
        await answer(update, context, url=start_link(username, f"{MOVED_START_PREFIX}{key}"))
        return
    await answer(update, context, config.text(language, "thanks" if is_new else "already_moved"))


async def _answer_with_links(update: Update, context: KoochContext, key: str, language: str) -> None:
    query = update.callback_query
    assert query is not None
    await answer(update, context, across_wording.tap_answer(language))
    post = await context.kooch.across.links_post(query.from_user.id, key, language)
    if post is not None:
        await context.bot.send_message(
            query.from_user.id, post.text, reply_markup=markup(post, context.bot.username)
        )


async def preview_ack(update: Update, context: KoochContext) -> None:
    """The moved button of an operator's preview works, but records nothing."""
    if update.callback_query:
        user = update.effective_user
        language = (
            context.kooch.operator_languages.of(context.config, user.id, user.language_code) if user else "en"
        )
        await update.callback_query.answer(gettext(language, "Preview: taps here are not recorded."))


async def start(update: Update, context: KoochContext) -> None:
    """/start [payload]: remember the user may be messaged, with where they came from.

    ``/start <channel>`` (the deep link ``t.me/<bot>?start=<channel>``) answers with that channel's
    name, links and "I've moved" button; an operator first learns what to do as one."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    config = context.config
    payload = context.args[0] if context.args else None
    source = payload if payload and START_PAYLOAD_RE.match(payload) else None
    language = config.language_for(user.language_code)
    await context.kooch.subscribers.record_start(user.id, language, source)
    operator = config.is_operator(user.id)
    if operator:
        context.kooch.operator_languages.note(user.id, user.language_code)
        operator_language = context.kooch.operator_languages.of(config, user.id, user.language_code)
        await message.reply_text(operator_welcome(config, operator_language))
    moved = moved_channel(config, source)
    channel = moved or (config.channel(source) if source else None)
    if channel is not None:
        await _channel_links(update, context, channel, language, moved=moved is not None)
    else:
        post = render_links(config, language, header=links_header(config, language, "welcome"))
        await message.reply_text(post.text, reply_markup=markup(post, context.bot.username))
    await _personal_links(update, context, channel.key if channel is not None else None, language)
    if operator:
        # Telegram refuses a menu for a private chat it does not know yet: this is the first moment.
        await context.kooch.menus.ensure(user.id)


async def _channel_links(
    update: Update, context: KoochContext, channel: Channel, language: str, *, moved: bool = False
) -> None:
    """One channel's links; ``moved``: the start that follows an "I've moved" tap, which thanks
    them and offers to turn the reminders off instead of asking for the tap."""
    message = update.effective_message
    assert message is not None
    title = await context.kooch.titles.title(channel)
    if moved:
        header = moved_start_header(channel, title, language)
        post = render_moved_start(context.config, channel, language, header)
    else:
        post = render_channel_links(
            context.config,
            channel,
            language,
            deep_link_header(channel, title, language),
            deep_link_footer(language),
        )
    # "I've moved" may be coloured (reach.moved_style): plain where Telegram refuses the colour.
    await reply_post(message, post, context.bot.username)


async def reminders_off(update: Update, context: KoochContext) -> None:
    """The "No reminders" button of the start after a tap: no reminder campaign writes to them."""
    query = update.callback_query
    if query is None:
        return
    user = query.from_user
    await context.kooch.subscribers.set_reminders(user.id, on=False)
    language = context.config.language_for(user.language_code)
    await query.answer(reminders_off_done(language))


async def links(update: Update, context: KoochContext) -> None:
    """/links, or any other text in a private chat: the links."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    config = context.config
    language = config.language_for(user.language_code)
    post = render_links(config, language, header=links_header(config, language, "links_header"))
    await message.reply_text(post.text, reply_markup=markup(post, context.bot.username))
    await _personal_links(update, context, None, language)


async def _personal_links(update: Update, context: KoochContext, channel: str | None, language: str) -> None:
    """Move codes: the personal link per verified destination, after the links (when on)."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    post = await context.kooch.across.links_post(user.id, channel, language)
    if post is not None:
        await message.reply_text(post.text, reply_markup=markup(post, context.bot.username))


async def forget(update: Update, context: KoochContext) -> None:
    """/forget: delete everything stored about this user, then say so. An operator is asked first."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    config = context.config
    if config.is_operator(user.id):
        await _ask_operator(update, context)
        return
    deleted = await context.kooch.subscribers.forget_user(user.id)
    context.kooch.operator_languages.forget(user.id)  # an operator's name and language, kept in memory
    language = config.language_for(user.language_code)
    await message.reply_text(config.text(language, "forgotten" if deleted else "nothing_to_forget"))


async def _ask_operator(update: Update, context: KoochContext) -> None:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    kooch = context.kooch
    kooch.operator_languages.note(user.id, user.language_code)
    language = kooch.operator_languages.of(context.config, user.id, user.language_code)
    confirmation, cancelled = await operator_forget.ask(kooch.pending, user.id)
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    forget_wording.forget_label(language),
                    callback_data=f"{operator_forget.CONFIRM_PREFIX}{confirmation}",
                ),
                InlineKeyboardButton(
                    gettext(language, "Cancel"),
                    callback_data=f"{operator_forget.CANCEL_PREFIX}{confirmation}",
                ),
            ]
        ]
    )
    await message.reply_text(forget_wording.question(cancelled, language), reply_markup=buttons)
    await kooch.audit.add(user.id, "forget", "/forget", f"asked to confirm forget #{confirmation}")


async def forget_confirmed(update: Update, context: KoochContext) -> None:
    """The operator's "Forget me": once, theirs only, within the hour; then the others are told."""
    taken = await _take_answer(update, context, operator_forget.CONFIRM_PREFIX, "done")
    if taken is None:
        return
    query, language = taken
    user, kooch = query.from_user, context.kooch
    await query.answer()
    forgotten = await operator_forget.forget_operator(
        kooch.subscribers.forget_user, kooch.pending, kooch.audit, user.id
    )
    # Their Telegram name and language, kept in memory for the other operators' messages, go too.
    kooch.operator_languages.forget(user.id)
    if query.message is not None:
        await context.bot.edit_message_text(
            forget_wording.done(forgotten.cancelled, language),
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
        )
    # The name Telegram gives with this tap, for this note only: the one kept in memory is gone.
    name = user.full_name
    await kooch.notifier.tell_others(
        lambda reader: forget_wording.told(name, forgotten.cancelled, reader), skip=user.id
    )


async def _take_answer(
    update: Update, context: KoochContext, prefix: str, outcome: str
) -> tuple[CallbackQuery, str] | None:
    """Take the operator's answer to their /forget question (once, theirs only, within the hour):
    the query and its reader's language, or None once refused (told why)."""
    query = update.callback_query
    if query is None or query.data is None:
        return None
    user, kooch = query.from_user, context.kooch
    language = kooch.operator_languages.of(context.config, user.id, user.language_code)
    confirmation = int(query.data.removeprefix(prefix))
    taken = await operator_forget.take(
        kooch.pending, confirmation, user.id, outcome, not_before=kooch.clock.now() - CONFIRM_TTL_S
    )
    if taken is not operator_forget.Taken.DONE:
        await query.answer(_not_taken(taken, language), show_alert=True)
        return None
    return query, language


def _not_taken(taken: operator_forget.Taken, language: str) -> str:
    if taken is operator_forget.Taken.EXPIRED:
        return gettext(language, "This confirmation expired: run {command} again.").format(command="/forget")
    return stale(language)


async def forget_cancelled(update: Update, context: KoochContext) -> None:
    """The operator's "Cancel": nothing changes (the question's own pending action is closed)."""
    taken = await _take_answer(update, context, operator_forget.CANCEL_PREFIX, "cancelled")
    if taken is None:
        return
    query, language = taken
    user, kooch = query.from_user, context.kooch
    await query.answer(gettext(language, "Cancelled."))
    if query.message is not None:
        await context.bot.edit_message_text(
            forget_wording.kept(language), chat_id=query.message.chat.id, message_id=query.message.message_id
        )
    await kooch.audit.add(user.id, "forget", query.data or "", "cancelled: nothing deleted")


async def privacy(update: Update, context: KoochContext) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    config = context.config
    # Built from the config in force (retention, exports, operators), see kooch.subscribers.privacy.
    if config.is_operator(user.id):
        language = context.kooch.operator_languages.of(config, user.id, user.language_code)
        await message.reply_text(
            privacy_text(config, language, operator=True) + _arrival_links(context, language)
        )
        return
    language = config.language_for(user.language_code)
    await message.reply_text(privacy_text(config, language) + _arrival_links(context, language))


def _arrival_links(context: KoochContext, language: str) -> str:
    """/privacy's paragraph on move codes: what a personal link ties together (when they are on)."""
    config = context.config
    services = context.kooch.across.active(config)
    if not services:
        return ""
    names = [s.name(language, config.default_language) for s in services]
    return "\n\n" + across_wording.privacy_lines(names, language)


async def help_command(update: Update, context: KoochContext) -> None:
    """/help: the subscriber commands; operators also get theirs."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    config = context.config
    text = subscriber_help(config, config.language_for(user.language_code))
    if config.is_operator(user.id):
        language = context.kooch.operator_languages.of(config, user.id, user.language_code)
        text = operator_help(config, context.kooch.clock.now(), language) + "\n\n" + text
    await message.reply_text(text)


async def unknown(update: Update, context: KoochContext) -> None:
    """A command Kooch does not know (``/stat``, ``/آمار``): the nearest one this person may use,
    in their language, rather than silence."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.text is None:
        return
    typed = typed_command(message.text)
    if typed is None:
        return
    config = context.config
    if config.is_operator(user.id):
        language = context.kooch.operator_languages.of(config, user.id, user.language_code)
        allowed = commands_of("operator")
    else:
        language = config.language_for(user.language_code)
        allowed = commands_of("subscriber")
    suggestion = nearest(typed, allowed, meanings())
    await message.reply_text(unknown_command(typed, suggestion, language))


class _UnknownCommand(filters.MessageFilter):
    """Text starting with "/" whose command Kooch has no handler for (with or without Telegram's
    bot_command entity: a command in Persian letters may come without one)."""

    def filter(self, message: Message) -> bool:
        word = typed_command(message.text or "")
        return word is not None and word not in KNOWN


PRIVATE = filters.ChatType.PRIVATE

HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CallbackQueryHandler(ack, pattern=f"^{ACK_PREFIX}"),
    CallbackQueryHandler(preview_ack, pattern=f"^{PREVIEW_ACK_DATA}$"),
    CallbackQueryHandler(reminders_off, pattern=f"^{REMINDERS_OFF_DATA}$"),
    CommandHandler("start", start, filters=PRIVATE),
    CommandHandler("links", links, filters=PRIVATE),
    CommandHandler("forget", forget, filters=PRIVATE),
    CallbackQueryHandler(forget_confirmed, pattern=rf"^{operator_forget.CONFIRM_PREFIX}\d+$"),
    CallbackQueryHandler(forget_cancelled, pattern=rf"^{operator_forget.CANCEL_PREFIX}\d+$"),
    CommandHandler("privacy", privacy, filters=PRIVATE),
    CommandHandler("help", help_command, filters=PRIVATE),
]

#: Registered last (group 1, where only the first that matches runs): a command Kooch does not know
#: gets the nearest one (a known command, handled in group 0, never matches here), and plain text
#: in a private chat gets the links rather than silence.
FALLBACK: list[BaseHandler[Update, KoochContext, None]] = [
    MessageHandler(PRIVATE & filters.TEXT & _UnknownCommand(), unknown),
    MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, links),
]
