"""Subscribers in a private chat: /start (with and without a deep-link payload, fa and en),
/links, /forget, /privacy, /help, and plain text."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest

from kooch.app.runner import App
from kooch.config.texts import DEFAULT_TEXTS
from kooch.i18n.bidi import strip_controls
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from tests.bidi_kit import plain
from tests.kit import GAP_URL, SOROUSH_URL, announce, press, say

LINK_ROW = [{"text": "سروش", "url": SOROUSH_URL}, {"text": "گپ", "url": GAP_URL}]
LINK_ROW_EN = [{"text": "Soroush", "url": SOROUSH_URL}, {"text": "Gap", "url": GAP_URL}]


async def subscriber_rows(path: Path) -> list[tuple[int, str, str | None]]:
    async with aiosqlite.connect(path) as db:
        cursor = await db.execute("SELECT user_id, language, source FROM subscribers ORDER BY user_id")
        return [(int(r[0]), str(r[1]), r[2]) for r in await cursor.fetchall()]


@pytest.mark.parametrize(
    ("language_code", "text", "payload", "source", "row"),
    [
        ("fa", "/start", None, None, LINK_ROW),
        ("fa-IR", "/start", "from_site", "from_site", LINK_ROW),
        ("en", "/start", None, None, LINK_ROW_EN),
        ("en-GB", "/start", "ad-2026", "ad-2026", LINK_ROW_EN),
        ("de", "/start", None, None, LINK_ROW),  # no German texts: the default language, fa
    ],
    ids=["fa", "fa-with-payload", "en", "en-with-payload", "unknown-language-falls-back"],
)
async def test_start_welcomes_in_the_users_language_and_records_the_source(
    sim: BotAPISimulator,
    bot: App,
    tmp_path: Path,
    language_code: str,
    text: str,
    payload: str | None,
    source: str | None,
    row: list[dict[str, str]],
) -> None:
    user = sim.add_user("Sara", language_code)
    reply = await say(sim, user, f"{text} {payload}" if payload else text)
    lang = "en" if language_code.startswith("en") else "fa"
    assert reply.text is not None
    assert plain(reply.text).startswith(DEFAULT_TEXTS[lang]["welcome"])
    assert SOROUSH_URL in plain(reply.text)
    assert reply.buttons == [row]
    assert await subscriber_rows(tmp_path / "kooch.db") == [(user.id, lang, source)]


async def test_a_malformed_payload_is_not_stored(
    sim: BotAPISimulator,
    bot: App,
    tmp_path: Path,
) -> None:
    user = sim.add_user("Sara", "fa")
    await say(sim, user, "/start <script>")
    assert await subscriber_rows(tmp_path / "kooch.db") == [(user.id, "fa", None)]


async def test_links_and_plain_text_get_the_links(sim: BotAPISimulator, bot: App) -> None:
    user = sim.add_user("Reza", "en")
    for text in ("/links", "where did you go?"):
        reply = await say(sim, user, text)
        assert reply.text is not None
        assert plain(reply.text).startswith(DEFAULT_TEXTS["en"]["links_header"])
        assert reply.buttons == [LINK_ROW_EN]


async def test_forget_deletes_acks_and_start_then_says_nothing_is_left(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    tmp_path: Path,
) -> None:
    await announce(sim, operator)
    post = sim.messages(channel.id)[0]
    user, other = sim.add_user("Nima", "fa"), sim.add_user("Mina", "fa")
    for u in (user, other):
        await say(sim, u, "/start x")
        await press(sim, u, channel.id, post, "ack:demo")

    reply = await say(sim, user, "/forget")
    assert plain(reply.text) == plain(DEFAULT_TEXTS["fa"]["forgotten"])
    async with aiosqlite.connect(tmp_path / "kooch.db") as db:
        for table in ("acks", "subscribers"):
            cursor = await db.execute(f"SELECT user_id FROM {table}")
            assert [r[0] for r in await cursor.fetchall()] == [other.id], table
    again = await say(sim, user, "/forget")
    assert plain(again.text) == plain(DEFAULT_TEXTS["fa"]["nothing_to_forget"])
    # After forgetting, a new tap counts as a first one again.
    answer = await press(sim, user, channel.id, post, "ack:demo")
    assert plain(answer.text) == plain(DEFAULT_TEXTS["fa"]["thanks"])


async def test_privacy_says_what_is_kept(sim: BotAPISimulator, bot: App) -> None:
    reply = await say(sim, sim.add_user("Ali", "en"), "/privacy")
    # Built from the config in force (tests/test_insight_privacy.py has the variations).
    assert reply.text is not None
    assert plain(reply.text).startswith("What Kooch keeps about you, and for how long:")
    assert "How long: until you send /forget." in plain(reply.text)


async def test_help_for_subscribers_and_operators(
    sim: BotAPISimulator,
    operator: SimUser,
    bot: App,
) -> None:
    plain = await say(sim, sim.add_user("Ali", "en"), "/help")
    assert plain.text is not None
    # The subscriber's /help in full: tests/test_menus.py.
    assert strip_controls(plain.text).startswith("ℹ️ Kooch: the new addresses of @kooch_demo")
    full = await say(sim, operator, "/help")
    assert full.text is not None
    assert full.text.startswith("Operator commands:\n/preview [channel]")
    assert "/announce [channel]" in full.text
    assert full.text.endswith(plain.text)
