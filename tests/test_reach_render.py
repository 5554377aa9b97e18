"""Reach (issue 26) as plain data: the config's ``reach:`` (top level, overridden per channel), the
post's way into the bot, the copy buttons beside the links (post, /start, /links, reminders) and
Telegram's limits on them checked at config load, with the key and the line."""

from __future__ import annotations

import pytest

from kooch.announce.checks import parse_checked_config
from kooch.announce.render import (
    render_announcement,
    render_channel_links,
    render_links,
    render_moved_start,
)
from kooch.campaigns.preview import render_reminder
from kooch.config import ConfigInvalid, Reach
from kooch.telegram.post import Button, Post

SERVICES = """\
services:
  - {key: soroush, name: {fa: سروش, en: Soroush}, url: "https://splus.ir/demo", handle: "@demo_s"}
  - {key: gap, name: {fa: گپ, en: Gap}, url: "https://gap.im/demo"}
  - {key: bale, name: {fa: بله, en: Bale}, url: "https://ble.ir/demo", handle: "@demo_b"}
"""


def config_of(top: str = "", channel: str = "") -> str:
    return f'operators: [111]\n{top}{SERVICES}channels:\n  - chat: "@kooch_demo"\n    language: en\n{channel}'


def kinds(post: Post) -> list[list[str]]:
    """Each button as ``url:…``, ``copy:…``, ``start:…`` or ``callback:…``."""

    def kind(b: Button) -> str:
        if b.start is not None:
            return f"start:{b.start}"
        if b.copy_text is not None:
            return f"copy:{b.copy_text}"
        return f"url:{b.url}" if b.url is not None else f"callback:{b.callback_data}"

    return [[kind(b) for b in row] for row in post.buttons]


def test_reach_defaults_and_a_channels_own_over_the_top_levels() -> None:
    plain = parse_checked_config(config_of())
    assert plain.reach == Reach() and plain.channels[0].reach == Reach()
    assert (Reach().start_button, Reach().open_bot_after_tap, Reach().copy_buttons) == (True, False, True)
    config = parse_checked_config(
        config_of(
            "reach: {copy_buttons: false, open_bot_after_tap: true}\n",
            "    reach: {copy_buttons: true, moved_style: success}\n",
        )
    )
    assert config.reach == Reach(copy_buttons=False, open_bot_after_tap=True)
    assert config.channels[0].reach == Reach(
        copy_buttons=True, open_bot_after_tap=True, moved_style="success"
    )


def test_the_post_copy_buttons_beside_their_links_then_the_way_in_then_moved() -> None:
    config = parse_checked_config(config_of())
    post = render_announcement(config, config.channels[0])
    assert kinds(post) == [
        ["url:https://splus.ir/demo", "copy:@demo_s", "url:https://gap.im/demo"],
        ["url:https://ble.ir/demo", "copy:@demo_b"],
        ["start:kooch_demo"],
        ["callback:ack:kooch_demo"],
    ]
    assert post.buttons[0][1].text == "📋 @demo_s"
    assert post.buttons[2][0].text == "🔔 Links and reminders in private"


def test_the_private_replies_and_reminders_carry_the_copy_buttons_too() -> None:
    config = parse_checked_config(config_of())
    channel = config.channels[0]
    expected = [
        ["url:https://splus.ir/demo", "copy:@demo_s", "url:https://gap.im/demo"],
        ["url:https://ble.ir/demo", "copy:@demo_b"],
    ]
    assert kinds(render_links(config, "fa", "welcome")) == expected
    assert kinds(render_channel_links(config, channel, "fa", "h", "f"))[:2] == expected
    assert kinds(render_moved_start(config, channel, "fa", "h")) == [*expected, ["callback:reminders:off"]]
    reminder = render_reminder(config, {"*": "Still here?"}, "fa", "kooch_demo")
    assert kinds(reminder) == [*expected, ["callback:ack:kooch_demo"]]


def test_no_copy_buttons_and_no_way_in_when_the_config_says_so() -> None:
    config = parse_checked_config(config_of("reach: {copy_buttons: false, start_button: false}\n"))
    assert kinds(render_announcement(config, config.channels[0])) == [
        ["url:https://splus.ir/demo", "url:https://gap.im/demo"],
        ["url:https://ble.ir/demo"],
        ["callback:ack:kooch_demo"],
    ]
    assert kinds(render_links(config, "en", "welcome")) == [
        ["url:https://splus.ir/demo", "url:https://gap.im/demo"],
        ["url:https://ble.ir/demo"],
    ]


def test_the_moved_button_takes_its_style_from_the_config() -> None:
    config = parse_checked_config(config_of("reach: {moved_style: primary}\n"))
    (ack,) = render_announcement(config, config.channels[0]).buttons[-1]
    assert ack.style == "primary"


@pytest.mark.parametrize(
    ("top", "channel", "path", "words", "line"),
    [
        (
            "",
            "    buttons_per_row: 5\n",
            "channels[0].buttons_per_row",
            "has 9 buttons in a row (each service with its copy button); Telegram allows 8",
            11,
        ),
        ("reach: {moved_style: green}\n", "", "reach.moved_style", "must be one of success", 2),
        ("reach: {copy_button: true}\n", "", "reach.copy_button", "did you mean 'copy_buttons'", 2),
        ("", "    reach: {start_button: 1}\n", "channels[0].reach.start_button", "true or false", 9),
    ],
    ids=["copy-buttons-over-8-a-row", "unknown-style", "misspelt-key", "not-a-boolean"],
)
def test_reach_errors_name_the_key_and_the_line(
    top: str, channel: str, path: str, words: str, line: int
) -> None:
    text = config_of(top, channel)
    if "buttons_per_row: 5" in channel:
        # Two more services with handles, five to a row: nine buttons in the first row.
        text = text.replace(
            "services:\n",
            "services:\n"
            + "".join(
                f'  - {{key: s{i}, name: S{i}, url: "https://s.example/{i}", handle: "@s{i}_demo"}}\n'
                for i in range(2)
            ),
            1,
        )
    with pytest.raises(ConfigInvalid) as caught:
        parse_checked_config(text)
    errors = [e for e in caught.value.errors if e.path == path]
    assert errors, caught.value.errors
    assert words in errors[0].message
    assert errors[0].line == line


def test_copy_buttons_off_lets_the_same_row_fit() -> None:
    services = "".join(
        f'  - {{key: s{i}, name: S{i}, url: "https://s.example/{i}", handle: "@s{i}_demo"}}\n'
        for i in range(5)
    )
    channel = '  - chat: "@kooch_demo"\n    buttons_per_row: 5\n'
    text = f"operators: [111]\nreach: {{copy_buttons: false}}\nservices:\n{services}channels:\n{channel}"
    config = parse_checked_config(text)
    assert [len(row) for row in render_announcement(config, config.channels[0]).buttons] == [5, 1, 1]
