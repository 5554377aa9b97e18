"""What subscribers see: the announcement and the /start and /links replies, as plain data."""

from __future__ import annotations

import pytest

from kooch.announce.render import PREVIEW_ACK_DATA, describe_post, render_announcement, render_links
from kooch.config import Config, parse_config
from kooch.telegram.post import Button, Post
from tests.bidi_kit import plain

SERVICES = """\
services:
  - key: soroush
    name: {fa: سروش, en: Soroush}
    url: https://splus.ir/demo
    handle: "@demo"
  - key: gap
    name: {fa: گپ, en: Gap}
    url: https://gap.im/demo
  - key: bale
    name: {fa: بله, en: Bale}
    url: https://ble.ir/demo
  - key: eitaa
    name: Eitaa
    url: https://eitaa.com/demo
  - key: rubika
    name: {fa: روبیکا, en: Rubika}
    url: https://rubika.ir/demo
  - key: hidden
    name: Hidden
    url: https://hidden.example/demo
    enabled: false
"""

#: (name in English, url) of the enabled services, in the file's order.
EN_LINKS = [
    ("Soroush", "https://splus.ir/demo"),
    ("Gap", "https://gap.im/demo"),
    ("Bale", "https://ble.ir/demo"),
    ("Eitaa", "https://eitaa.com/demo"),
    ("Rubika", "https://rubika.ir/demo"),
]

EN_ANNOUNCEMENT = (
    "📢 This channel stops here on Telegram.\n\n"
    "Follow us on the messengers below. Once you have joined, tap "
    '"I\'ve moved" so we know you made it.'
)


#: The ways into the bot and the copy buttons are tests/test_reach_render.py's: left out here.
NO_REACH = "reach: {start_button: false, copy_buttons: false}\n"


def make_config(channel: str) -> Config:
    """A config with the services above and one channel, given as its YAML lines."""
    head = f"operators: [111]\n{NO_REACH}{SERVICES}"
    return parse_config(f'{head}channels:\n  - chat: "@kooch_demo"\n{channel}')


def rows(post: Post) -> list[list[tuple[str, str | None, str | None]]]:
    return [[(b.text, b.url, b.callback_data) for b in row] for row in post.buttons]


def link(name: str, url: str) -> tuple[str, str | None, str | None]:
    return (name, url, None)


EN_ACK = ("✅ I've moved", None, "ack:kooch_demo")


@pytest.mark.parametrize(
    ("per_row", "expected"),
    [
        pytest.param(
            1,
            [[link(*EN_LINKS[0])], [link(*EN_LINKS[1])], [link(*EN_LINKS[2])], [link(*EN_LINKS[3])],
             [link(*EN_LINKS[4])]],
            id="one-per-row",
        ),
        pytest.param(
            2,
            [[link(*EN_LINKS[0]), link(*EN_LINKS[1])], [link(*EN_LINKS[2]), link(*EN_LINKS[3])],
             [link(*EN_LINKS[4])]],
            id="two-per-row",
        ),
        pytest.param(
            3,
            [[link(*EN_LINKS[0]), link(*EN_LINKS[1]), link(*EN_LINKS[2])],
             [link(*EN_LINKS[3]), link(*EN_LINKS[4])]],
            id="three-per-row",
        ),
        pytest.param(5, [[link(*pair) for pair in EN_LINKS]], id="all-in-one-row"),
    ],
)  # fmt: skip
def test_buttons_per_row_then_ack_alone(
    per_row: int, expected: list[list[tuple[str, str | None, str | None]]]
) -> None:
    config = make_config(f"    language: en\n    buttons_per_row: {per_row}\n")

    post = render_announcement(config, config.channels[0])

    assert rows(post) == [*expected, [EN_ACK]]


def test_preview_ack_is_never_recorded() -> None:
    config = make_config("    language: en\n")

    post = render_announcement(config, config.channels[0], preview=True)

    assert post.buttons[-1] == (Button("✅ I've moved", callback_data=PREVIEW_ACK_DATA),)
    assert PREVIEW_ACK_DATA == "preview:ack"
    # Everything else is what the channel gets.
    real = render_announcement(config, config.channels[0])
    assert post.text == real.text
    assert post.buttons[:-1] == real.buttons[:-1]


def test_links_in_text() -> None:
    config = make_config("    language: en\n")

    post = render_announcement(config, config.channels[0])

    assert plain(post.text) == (
        plain(
            EN_ANNOUNCEMENT + "\n\nLinks:\n"
            "• Soroush (@demo): https://splus.ir/demo\n"
            "• Gap: https://gap.im/demo\n"
            "• Bale: https://ble.ir/demo\n"
            "• Eitaa: https://eitaa.com/demo\n"
            "• Rubika: https://rubika.ir/demo"
        )
    )
    assert "hidden" not in post.text.lower()


def test_links_not_in_text() -> None:
    config = make_config("    language: en\n    links_in_text: false\n")

    post = render_announcement(config, config.channels[0])

    assert post.text == EN_ANNOUNCEMENT
    assert len(post.buttons) == 4  # the links are still there, as buttons


def test_per_channel_announcement_and_selection() -> None:
    config = make_config(
        "    language: en\n"
        "    services: [rubika, soroush, hidden]\n"
        "    announcement: |\n"
        "      We moved!\n"
        "\n"
        "      Come along.\n"
    )

    post = render_announcement(config, config.channels[0])

    assert plain(post.text) == (
        plain(
            "We moved!\n\nCome along.\n\nLinks:\n"
            "• Rubika: https://rubika.ir/demo\n"
            "• Soroush (@demo): https://splus.ir/demo"
        )
    )
    assert rows(post) == [
        [link("Rubika", "https://rubika.ir/demo"), link("Soroush", "https://splus.ir/demo")],
        [EN_ACK],
    ]


def test_announcement_override_in_texts() -> None:
    config = parse_config(
        f'operators: [111]\n{SERVICES}channels:\n  - chat: "@kooch_demo"\n    language: en\n'
        "    links_in_text: false\n"
        "texts:\n  en:\n    announcement: Bye Telegram.\n    moved_button: Done\n"
    )

    post = render_announcement(config, config.channels[0])

    assert post.text == "Bye Telegram."
    assert post.buttons[-1] == (Button("Done", callback_data="ack:kooch_demo"),)


@pytest.mark.parametrize(
    ("language", "title", "first_line", "names", "ack_text"),
    [
        pytest.param(
            "fa",
            "نشانی‌ها:",
            "📢 این کانال در تلگرام ادامه نمی‌دهد.",
            ["سروش", "گپ", "بله", "Eitaa", "روبیکا"],
            "✅ کوچ کردم",
            id="fa",
        ),
        pytest.param(
            "en",
            "Links:",
            "📢 This channel stops here on Telegram.",
            ["Soroush", "Gap", "Bale", "Eitaa", "Rubika"],
            "✅ I've moved",
            id="en",
        ),
    ],
)
def test_channel_language(
    language: str, title: str, first_line: str, names: list[str], ack_text: str
) -> None:
    config = make_config(f"    language: {language}\n    buttons_per_row: 8\n")

    post = render_announcement(config, config.channels[0])

    assert plain(post.text.splitlines()[0]) == plain(first_line)
    assert plain(title) in plain(post.text.splitlines())
    assert [b.text for b in post.buttons[0]] == names
    assert plain(post.buttons[-1]) == plain((Button(ack_text, callback_data="ack:kooch_demo"),))


def test_channel_with_numeric_id_acks_with_its_key() -> None:
    config = parse_config(
        f"operators: [111]\n{SERVICES}channels:\n  - chat: -1001234567890\n    key: private\n"
    )

    post = render_announcement(config, config.channels[0])

    assert post.buttons[-1][0].callback_data == "ack:private"


@pytest.mark.parametrize(
    ("language", "header_key", "header"),
    [
        pytest.param("en", "links_header", "The channel's new addresses:", id="links-en"),
        pytest.param("en", "welcome", "Hello! The channel has moved to these messengers:", id="welcome-en"),
        pytest.param("fa", "links_header", "نشانی‌های تازهٔ کانال:", id="links-fa"),
        pytest.param("de", "links_header", "نشانی‌های تازهٔ کانال:", id="unknown-language-gets-default"),
    ],
)
def test_render_links_text(language: str, header_key: str, header: str) -> None:
    config = make_config("")

    post = render_links(config, language, header_key)

    lines = plain(post.text).split("\n")
    assert lines[:2] == [header, ""]
    assert len(lines) == 2 + 5
    assert lines[2].startswith("• ")
    assert lines[2].endswith(" (@demo): https://splus.ir/demo")


def test_render_links_buttons_two_per_row_no_ack() -> None:
    config = make_config("    services: [gap]\n")

    post = render_links(config, "en")

    # Every enabled service, whatever the channels select; no "I've moved" button in a private chat.
    assert rows(post) == [
        [link(*EN_LINKS[0]), link(*EN_LINKS[1])],
        [link(*EN_LINKS[2]), link(*EN_LINKS[3])],
        [link(*EN_LINKS[4])],
    ]
    assert plain(post.text) == (
        plain(
            "The channel's new addresses:\n\n"
            "• Soroush (@demo): https://splus.ir/demo\n"
            "• Gap: https://gap.im/demo\n"
            "• Bale: https://ble.ir/demo\n"
            "• Eitaa: https://eitaa.com/demo\n"
            "• Rubika: https://rubika.ir/demo"
        )
    )


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        pytest.param(Post("Hello"), "Hello\n", id="no-buttons"),
        pytest.param(
            Post(
                "Hi\nthere",
                (
                    (Button("A", url="https://a.example"), Button("B", url="tg://resolve?domain=b")),
                    (Button("✅ Done", callback_data="ack:demo"),),
                ),
            ),
            "Hi\nthere\n\n[A → https://a.example] [B → tg://resolve?domain=b]\n[✅ Done → callback ack:demo]",
            id="links-and-ack",
        ),
    ],
)
def test_describe_post(post: Post, expected: str) -> None:
    assert describe_post(post) == expected


def test_describe_rendered_announcement() -> None:
    config = make_config("    language: en\n    services: [gap, eitaa]\n    links_in_text: false\n")

    text = describe_post(render_announcement(config, config.channels[0]))

    assert text == (
        f"{EN_ANNOUNCEMENT}\n\n"
        "[Gap → https://gap.im/demo] [Eitaa → https://eitaa.com/demo]\n"
        "[✅ I've moved → callback ack:kooch_demo]"
    )
