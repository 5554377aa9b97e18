"""Operator-facing wording (English): help, error explanations, confirmations, stats.

Plain functions of plain data, so the exact words operators read are unit-tested.
"""

from __future__ import annotations

from collections.abc import Sequence

from kooch.config import Channel, Config

OPERATOR_COMMANDS: dict[str, str] = {
    "preview": "/preview [channel] — the announcement exactly as it will be posted",
    "announce": "/announce [channel] — post the announcement (asks to confirm first)",
    "stats": "/stats — acknowledgements, starts and members per channel",
    # Reminder campaigns.
    "remind": "/remind [to:all] [channel:NAME] [lang:xx] text — remind who has not moved (asks to confirm)",
    "campaigns": "/campaigns — reminder campaigns and scheduled reminders; cancel them",
    # Operator insight (the /stats chart needs no entry of its own).
    "export": "/export [channel] [since] — acknowledgements and daily clicks as CSV (pseudonymised)",
    "audit": "/audit [N] — the last N operator actions (default 20)",
    # The living announcement.
    "schedule": "/announce [channel] at 2025-06-01T18:00 (or in 2h) — schedule it; /schedule lists, cancels",
    "status": "/status [channel] — each posted announcement: synced with the config or not; counter",
    "reload": "/reload — read config.yaml again now (changes to the file are also noticed by themselves)",
    "moved": "/moved [channel] — title suffix, links in the description, pin (asks first); /moved undo",
    "help": "/help — this list",
}

REFUSAL = "This command is for the channel's operators only."


def operator_help(config: Config) -> str:
    channels = ", ".join(c.label for c in config.channels)
    lines = ["Operator commands:", *OPERATOR_COMMANDS.values(), "", f"Channels: {channels}"]
    lines.append("Without a channel, a command acts on all of them.")
    return "\n".join(lines)


def channels_phrase(channels: Sequence[Channel], named: bool) -> str:
    labels = ", ".join(c.label for c in channels)
    return labels if named else f"all channels ({labels})"
