"""Operator wording of the sync engine: the notices when a posted announcement is gone or an edit
is refused."""

from __future__ import annotations

from collections.abc import Callable

from kooch.announce.store import (
    PostedAnnouncement,
)
from kooch.config import Channel
from kooch.i18n import gettext, isolate, paragraph, to_digits


def gone_notice(label: str, row: PostedAnnouncement, channel: Channel | None) -> Callable[[str], str]:
    """What operators are told when the announcement was deleted from the channel (in their words)."""

    def say(language: str) -> str:
        text = gettext(
            language,
            "⚠️ The announcement in {channel} (message {id}) was deleted from the channel. "
            "Kooch no longer keeps it in sync.",
        ).format(channel=isolate(label), id=to_digits(str(row.message_id), language))
        if channel is not None:
            text += " " + gettext(language, "/announce {key} posts a new one.").format(key=channel.key)
        return paragraph(text, language)

    return say


def refused_notice(label: str, message_id: int, description: str, language: str) -> str:
    """What operators are told when Telegram refused an edit of the announcement."""
    text = gettext(
        language,
        "⚠️ Kooch could not update the announcement in {channel} (message {id}) to match the config: "
        "Telegram said: {error}. It tries again when the config changes; /status shows the state.",
    )
    shown = text.format(channel=isolate(label), id=to_digits(str(message_id), language), error=description)
    return paragraph(shown, language)
