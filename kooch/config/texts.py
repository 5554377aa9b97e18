"""Built-in subscriber-facing texts, per language.

``config.yaml`` may override any of them under ``texts.<language>``; a language other than ``fa``
and ``en`` must give every key. Keeping the defaults in code means a minimal config still speaks
to subscribers in full sentences, and the example config shows admins what they can change.
"""

from __future__ import annotations

#: Every text key, with what it is for (shown by ``bot.py check`` and used in error messages).
TEXT_KEYS: dict[str, str] = {
    "announcement": "the final announcement posted to the channel",
    "moved_button": 'the "I\'ve moved" button under the announcement',
    "thanks": "toast after a first tap on the moved button (at most 200 characters)",
    "already_moved": "toast after a repeated tap (at most 200 characters)",
    "try_again": "toast when the tap could not be stored (at most 200 characters)",
    "welcome": "reply to /start in a private chat, above the links",
    "links_header": "reply to /links, above the links",
    "links_title": "heading of the links list appended to the announcement",
    "subscriber_help": "reply to /help for subscribers",
    "privacy": "reply to /privacy",
    "forgotten": "reply to /forget once the data is deleted",
    "nothing_to_forget": "reply to /forget when nothing was stored",
}

#: Texts that end up in answerCallbackQuery, whose text Telegram caps at 200 characters.
TOAST_KEYS = frozenset({"thanks", "already_moved", "try_again"})

DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "fa": {
        "announcement": (
            "📢 این کانال در تلگرام ادامه نمی‌دهد.\n\n"
            "از این پس ما را در پیام‌رسان‌های زیر دنبال کنید. "
            "پس از پیوستن، دکمهٔ «کوچ کردم» را بزنید تا بدانیم رسیده‌اید."
        ),
        "moved_button": "✅ کوچ کردم",
        "thanks": "ممنون! کوچ شما ثبت شد.",
        "already_moved": "کوچ شما پیش‌تر ثبت شده است.",
        "try_again": "ثبت نشد، لطفاً چند لحظهٔ دیگر دوباره بزنید.",
        "welcome": "سلام! کانال به پیام‌رسان‌های زیر کوچ کرده است:",
        "links_header": "نشانی‌های تازهٔ کانال:",
        "links_title": "نشانی‌ها:",
        "subscriber_help": (
            "/links نشانی‌های تازهٔ کانال\n/privacy چه چیزی نگه می‌داریم\n/forget پاک کردن همهٔ داده‌های شما"
        ),
        "privacy": (
            "وقتی «کوچ کردم» را می‌زنید، فقط این‌ها نگه داشته می‌شود: شناسهٔ عددی تلگرام، "
            "نام کوچک، زبان تلگرام، زمان، کانال و منبع. وقتی ربات را آغاز می‌کنید: شناسه، زبان، "
            "زمان و منبع. فقط گردانندگان کانال آمار را می‌بینند. با /forget همه را پاک کنید."
        ),
        "forgotten": "همهٔ داده‌های شما پاک شد.",
        "nothing_to_forget": "داده‌ای از شما نگه داشته نشده بود.",
    },
    "en": {
        "announcement": (
            "📢 This channel stops here on Telegram.\n\n"
            "Follow us on the messengers below. Once you have joined, tap "
            '"I\'ve moved" so we know you made it.'
        ),
        "moved_button": "✅ I've moved",
        "thanks": "Thank you! Your move is recorded.",
        "already_moved": "Your move was already recorded.",
        "try_again": "That did not go through, please tap again in a moment.",
        "welcome": "Hello! The channel has moved to these messengers:",
        "links_header": "The channel's new addresses:",
        "links_title": "Links:",
        "subscriber_help": (
            "/links the channel's new addresses\n"
            "/privacy what we keep\n"
            "/forget delete everything we keep about you"
        ),
        "privacy": (
            'When you tap "I\'ve moved" we keep only: your numeric Telegram id, first name, '
            "Telegram language, the time, the channel and where you came from. When you start "
            "the bot: id, language, time and source. Only the channel's operators see the "
            "figures. Send /forget to delete all of it."
        ),
        "forgotten": "Everything we kept about you is deleted.",
        "nothing_to_forget": "Nothing was stored about you.",
    },
}
