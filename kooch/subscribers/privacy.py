"""The /privacy text, built from the config in force: what is kept, for how long, who sees it.

Pure functions of the config, so the reply changes the moment an admin changes
``privacy.retention_days``, ``privacy.export_user_ids`` or the operators, and never says
something the bot does not do. An admin's own ``texts.<lang>.privacy`` (when it differs from the
built-in one) is kept and shown first: a contact address, a legal notice.
"""

from __future__ import annotations

from functools import partial

from kooch.config import Config
from kooch.config.texts import DEFAULT_TEXTS
from kooch.i18n import format_number, gettext, ngettext, paragraph


def privacy_text(config: Config, language: str, operator: bool = False) -> str:
    """The reply to /privacy in ``language`` (English facts for a language Kooch has no words in);
    an ``operator`` also learns what their /forget keeps."""
    _ = partial(gettext, language)
    privacy = config.privacy
    n = len(config.operators)
    operators = ngettext(language, "operator", "{n} operators", n).format(n=format_number(n, language))
    days = privacy.retention_days
    if days is None:
        keep = _("How long: until you send /forget.")
    else:
        keep = ngettext(
            language,
            "How long: {days} day, then it is deleted automatically (send /forget to delete it sooner).",
            "How long: {days} days, then it is deleted automatically (send /forget to delete it sooner).",
            days,
        ).format(days=format_number(days, language))
    if privacy.export_user_ids:
        export = _(
            "They can export the list of moves for the new channels' admins, with your Telegram id in it."
        )
    else:
        export = _(
            "They can export the list of moves for the new channels' admins: in it you appear as a "
            "code, not your id (the same code every time, so duplicates can be removed); the code "
            "cannot be turned back into your id."
        )
    lines = [
        _("What Kooch keeps about you, and for how long:"),
        _(
            '• When you tap "I\'ve moved": your numeric Telegram id, first name, Telegram language, '
            "the time, the channel and where you came from."
        ),
        _("• When you start the bot: your id, language, the time and where you came from."),
        _(
            "• Clicks on the channel's links: only the service, channel, source, time and kind of device; "
            "never who clicked."
        ),
        _(
            "• Joining or leaving the channel, and reactions to the announcement: only how many "
            "each day; never who."
        ),
        _('• "No reminders": that you chose it, kept with your start.'),
        "",
        keep,
        _("Counts (how many moved each day) are kept without anything that identifies you."),
        "",
        _("Who sees it: only the channel's {operators} in this bot.").format(operators=operators),
        export,
        "",
        _(
            "Send /forget to delete all of it now; after that no reminder from this bot reaches you "
            "and you are in no later export. Lists already exported cannot be called back."
        ),
    ]
    if operator:
        lines += [
            "",
            _(
                "You are an operator: after /forget, what you did on the channels stays in the audit, "
                "under a code instead of your id, because the operators answer for what happens on "
                "the channels. /forget asks you first, and tells the other operators."
            ),
        ]
    text = "\n".join(lines)
    own = config.texts.get(language, {}).get("privacy")
    if own and own != DEFAULT_TEXTS.get(language, {}).get("privacy"):
        text = f"{own}\n\n{text}"
    return paragraph(text, language)
