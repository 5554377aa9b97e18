"""The words of operator help and the shared phrases (kooch.operators.wording).

Every wording function with fixed inputs and the full text expected, so a change of wording is
a change of this file too."""

from __future__ import annotations

from typing import Any

import pytest

from kooch.operators.wording import channels_phrase, operator_help
from tests.bidi_kit import plain
from tests.wording_kit import BOTH, CONFIG, DEMO, NEWS, NOW

# kooch.operators.wording


def test_operator_help_lists_every_command_and_the_channels() -> None:
    assert plain(operator_help(CONFIG, NOW)) == plain(
        "\n".join(
            [
                "Operator commands:",
                "/preview [channel] — the announcement exactly as it will be posted",
                "/announce [channel] — post the announcement (asks to confirm first)",
                "/stats — acknowledgements, starts and members per channel",
                "/remind [to:all] [channel:NAME] [lang:xx] text — remind who has not moved (asks to confirm)",
                "/campaigns — reminder campaigns and scheduled reminders; cancel them",
                "/export [channel] [since] — acknowledgements and daily clicks as CSV (pseudonymised)",
                "/audit [N] — the last N operator actions (default 20)",
                # The example is tomorrow at 18:00 (NOW is 2025-06-15 18:30 in Tehran).
                "/announce [channel] at 2025-06-16 18:00 (or in 2h) — schedule it; /schedule lists, cancels",
                "/status [channel] — each posted announcement: synced with the config or not; counter",
                "/reload — read config.yaml again now (changes to the file are also noticed by themselves)",
                "/moved [channel] — title suffix, links in the description, pin (asks first); /moved undo",
                "/help — this list",
                "",
                "Channels: @kooch_demo, news (-1001234)",
                "Without a channel, a command acts on all of them.",
            ]
        )
    )


@pytest.mark.parametrize(
    ("channels", "named", "expected"),
    [
        ([DEMO], True, "@kooch_demo"),
        ([DEMO, NEWS], False, BOTH),
        ([NEWS], False, "all channels (news (-1001234))"),
    ],
    ids=["named", "all", "all-of-one"],
)
def test_channels_phrase(channels: list[Any], named: bool, expected: str) -> None:
    assert plain(channels_phrase(channels, named)) == plain(expected)
