"""Operator-facing wording shared by every feature: help, the refusal, channel phrases.

Plain functions of plain data, each taking the reader's language: the words come from the
catalogs (:mod:`kooch.i18n`), so the exact words operators read are unit-tested in each language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

from kooch.config import Channel, Config
from kooch.i18n import gettext, isolate, paragraph, to_digits
from kooch.i18n.dates import typed_example


def operator_commands(language: str, now: float, tz: str) -> dict[str, str]:
    """Each operator command with its arguments and what it does, in ``language``; the example
    date is tomorrow as of ``now``, in the reader's calendar and the config's zone ``tz``."""
    _ = partial(gettext, language)
    return {
        "preview": _("/preview [channel] — the announcement exactly as it will be posted"),
        "announce": _("/announce [channel] — post the announcement (asks to confirm first)"),
        "stats": _("/stats — acknowledgements, starts and members per channel"),
        # Reminder campaigns.
        "remind": _(
            "/remind [to:all] [channel:NAME] [lang:xx] text — remind who has not moved (asks to confirm)"
        ),
        "campaigns": _("/campaigns — reminder campaigns and scheduled reminders; cancel them"),
        # Operator insight (the /stats chart needs no entry of its own).
        "export": _("/export [channel] [since] — acknowledgements and daily clicks as CSV (pseudonymised)"),
        "audit": _("/audit [N] — the last N operator actions (default 20)"),
        # The living announcement.
        "schedule": _(
            "/announce [channel] at {example} (or in 2h) — schedule it; /schedule lists, cancels"
        ).format(example=typed_example(now, tz, language)),
        "status": _("/status [channel] — each posted announcement: synced with the config or not; counter"),
        "reload": _(
            "/reload — read config.yaml again now (changes to the file are also noticed by themselves)"
        ),
        "moved": _(
            "/moved [channel] — title suffix, links in the description, pin (asks first); /moved undo"
        ),
        "help": _("/help — this list"),
    }


def operator_name(user_id: int, names: Mapping[int, str], language: str) -> str:
    """An operator as the other operators read them: their Telegram name (from their latest
    update, :class:`kooch.operators.languages.OperatorLanguages`), kept in its own direction;
    «گردانندهٔ ۱۲۳» / ``operator 123`` when Kooch has not seen one since it started."""
    name = names.get(user_id)
    if name:
        return isolate(name)
    return gettext(language, "operator {id}").format(id=to_digits(str(user_id), language))


def refusal(language: str) -> str:
    """What someone who is not an operator is told when they try an operator command."""
    return gettext(language, "This command is for the channel's operators only.")


REFUSAL = refusal("en")


def channel_list(channels: Sequence[Channel], language: str) -> str:
    """``@kooch_demo، news (-1001234)``: labels kept whole inside ``language``'s sentence."""
    comma = gettext(language, ", ")
    return comma.join(isolate(c.label) for c in channels)


def operator_help(config: Config, now: float, language: str = "en") -> str:
    """/help for an operator: the commands (a date example computed from ``now``) and channels."""
    _ = partial(gettext, language)
    lines = [
        _("Operator commands:"),
        *operator_commands(language, now, config.timezone).values(),
        "",
        _("Channels: {channels}").format(channels=channel_list(config.channels, language)),
        _("Without a channel, a command acts on all of them."),
    ]
    return "\n".join(paragraph(line, language) if line else line for line in lines)


def channels_phrase(channels: Sequence[Channel], named: bool, language: str = "en") -> str:
    labels = channel_list(channels, language)
    return labels if named else gettext(language, "all channels ({channels})").format(channels=labels)
