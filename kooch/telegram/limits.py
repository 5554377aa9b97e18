"""Telegram's limits, from python-telegram-bot's constants (the reference to code against), for
the parts of Kooch that check input against them without importing ``telegram`` themselves."""

from telegram.constants import (
    CallbackQueryLimit,
    ChatLimit,
    InlineKeyboardButtonLimit,
    InlineKeyboardMarkupLimit,
    MessageLimit,
)

#: Characters of a message's text.
MAX_TEXT_LENGTH = int(MessageLimit.MAX_TEXT_LENGTH)
#: Bytes (UTF-8) of a callback button's data.
MAX_CALLBACK_DATA = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)
#: Buttons of one inline keyboard, all rows together.
MAX_BUTTONS = int(InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER)
#: Buttons of one row.
MAX_BUTTONS_PER_ROW = int(InlineKeyboardMarkupLimit.BUTTONS_PER_ROW)
#: Characters a copy_text button copies.
MAX_COPY_TEXT = int(InlineKeyboardButtonLimit.MAX_COPY_TEXT)
#: Characters of an answerCallbackQuery text (a toast).
MAX_ANSWER_TEXT = int(CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH)
#: Characters of a channel's title and description.
MAX_CHAT_TITLE = int(ChatLimit.MAX_CHAT_TITLE_LENGTH)
MAX_CHAT_DESCRIPTION = int(ChatLimit.CHAT_DESCRIPTION_LENGTH)
