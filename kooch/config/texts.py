"""Built-in subscriber-facing texts, per language.

``config.yaml`` may override any of them under ``texts.<language>``; a language other than ``fa``
and ``en`` must give every key. Keeping the defaults built in means a minimal config still speaks
to subscribers in full sentences, and the example config shows admins what they can change. The
words themselves live in the gettext catalogs (:mod:`kooch.i18n`), where translators edit them.
"""

from __future__ import annotations

from functools import partial

from kooch.i18n import gettext

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


def builtin_texts(language: str) -> dict[str, str]:
    """Every subscriber text in ``language``, from the catalogs (English where one lacks it)."""
    _ = partial(gettext, language)
    return {
        "announcement": _(
            "📢 This channel stops here on Telegram.\n\n"
            "Follow us on the messengers below. Once you have joined, tap "
            '"I\'ve moved" so we know you made it.'
        ),
        "moved_button": _("✅ I've moved"),
        "thanks": _("Thank you! Your move is recorded."),
        "already_moved": _("Your move was already recorded."),
        "try_again": _("That did not go through, please tap again in a moment."),
        "welcome": _("Hello! The channel has moved to these messengers:"),
        "links_header": _("The channel's new addresses:"),
        "links_title": _("Links:"),
        "subscriber_help": _(
            "/links the channel's new addresses\n"
            "/privacy what we keep\n"
            "/forget delete everything we keep about you"
        ),
        "privacy": _(
            'When you tap "I\'ve moved" we keep only: your numeric Telegram id, first name, '
            "Telegram language, the time, the channel and where you came from. When you start "
            "the bot: id, language, time and source. Only the channel's operators see the "
            "figures. Send /forget to delete all of it."
        ),
        "forgotten": _("Everything we kept about you is deleted."),
        "nothing_to_forget": _("Nothing was stored about you."),
    }


#: The languages whose built-in texts every config starts from. Arabic has a catalog too, but a
#: config that speaks Arabic to subscribers still gives its own texts (it must name every key).
BUILTIN_LANGUAGES = ("fa", "en")

#: The built-in texts per language: a view of the catalogs, in the shape the config code reads.
DEFAULT_TEXTS: dict[str, dict[str, str]] = {lang: builtin_texts(lang) for lang in BUILTIN_LANGUAGES}
