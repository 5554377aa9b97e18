"""Telegram's error descriptions, said in plain words with the fix, for operators."""

from __future__ import annotations

from functools import partial

from kooch.i18n import gettext


def explain_telegram_error(description: str, language: str = "en") -> str:
    """Telegram's error description, said in plain words with the fix, in ``language`` (Telegram's
    own words, the last resort, stay as Telegram wrote them)."""
    _ = partial(gettext, language)
    d = description.lower()
    if "bot is not a member" in d or "bot was kicked" in d:
        return _(
            "the bot is not a member of this channel. Add it as an administrator "
            "with the right “Post messages” (and “Edit messages of others” to pin)."
        )
    if "need administrator rights" in d or "not enough rights to send" in d:
        return _(
            "the bot is not an administrator allowed to post here. In the channel's "
            "administrators, give the bot the right “Post messages”."
        )
    if "not enough rights to manage pinned messages" in d:
        return _("the bot may not pin here: give it the right “Edit messages of others”.")
    if "chat not found" in d:
        return _(
            "Telegram does not know this chat. Check channels[].chat in the config (the "
            "@username or the -100… id) and that the bot has been added to the channel."
        )
    if "too many requests" in d or "retry after" in d:
        return _("Telegram is rate-limiting the bot; try again in a minute.")
    return _("Telegram said: {description}").format(description=description)
