"""A campaign's preview is what each group receives: one preview per recipient language with that
language's buttons, the readers who get a text not in their language counted in the confirmation,
an honest duration; the reminders' links go through /go/ and their clicks count for the campaign.

End to end: the real bot against the Bot API simulator (an English operator and a Persian one),
a real SQLite file, the web server for the clicks; the pure parts as plain functions.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kooch.app.services import services_of
from kooch.campaigns.model import Audience
from kooch.campaigns.preview import (
    campaign_of_source,
    campaign_source,
    preview_groups,
    render_reminder,
    written_in,
)
from kooch.campaigns.store import CampaignStore
from kooch.campaigns.wording import duration_line, fallback_lines, preview_label
from kooch.config import Config, parse_config
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from kooch.store import Store
from kooch.store.db import Database
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import OPERATOR_ID, base_config, callback_of, press, running_bot, say, write_config
from tests.web_kit import PUBLIC_URL, USER_AGENTS, running_web_bot

FA_OPERATOR_ID = 4343
FA_TEXT = "یادآوری: ما کوچ کرده‌ایم."
UA = {name: ua for name, ua, _, _ in USER_AGENTS}


def config_of(tmp_path: Path) -> dict[str, Any]:
    config = base_config(tmp_path)
    config["operators"] = [OPERATOR_ID, {"id": FA_OPERATOR_ID, "language": "fa"}]
    config["campaigns"] = {"rate_per_s": 400, "progress_every_s": 1}
    return config


@pytest.fixture
def fa_operator(sim: BotAPISimulator) -> SimUser:
    return sim.add_user("Parisa", "fa", user_id=FA_OPERATOR_ID, started=True)


async def readers(sim: BotAPISimulator, fa: int, en: int) -> tuple[list[SimUser], list[SimUser]]:
    """Subscribers who started the bot, in Persian and in English."""
    groups = (
        [sim.add_user(f"F{i}", "fa") for i in range(fa)],
        [sim.add_user(f"E{i}", "en") for i in range(en)],
    )
    for user in [*groups[0], *groups[1]]:
        await say(sim, user, "/start")
    return groups


async def ask(sim: BotAPISimulator, operator: SimUser, command: str) -> list[SimMessage]:
    """/remind …: every message up to the confirmation question (which is last)."""
    sent = await sim.send_text(operator, command)
    question = await sim.wait_for_message(
        operator.id,
        lambda m: any(d.startswith("remind:confirm:") for _, d in m.callback_buttons()),
        after=sent.message_id,
        timeout=10,
    )
    shown = [
        m
        for m in sim.messages(operator.id)
        if m.from_bot and sent.message_id < m.message_id <= question.message_id
    ]
    assert_reads_right([m.text or "" for m in shown])
    return shown


def labels(post: SimMessage) -> list[list[str]]:
    return [[b["text"] for b in row] for row in plain(post.buttons)]


@pytest.fixture
async def kooch(
    sim: BotAPISimulator, operator: SimUser, fa_operator: SimUser, channel: SimChat, tmp_path: Path
) -> AsyncIterator[None]:
    path = write_config(tmp_path / "config.yaml", config_of(tmp_path))
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        yield


async def test_one_preview_per_language_with_its_buttons_and_the_readers_without_their_language(
    sim: BotAPISimulator, operator: SimUser, kooch: None
) -> None:
    fa, en = await readers(sim, 3, 2)
    fa_label, fa_preview, en_label, en_preview, question = await ask(sim, operator, f"/remind {FA_TEXT}")
    assert plain(fa_label.text) == "👁 What 3 Persian readers get:"
    assert plain(fa_preview.text) == FA_TEXT
    assert labels(fa_preview) == [["سروش", "گپ"], ["✅ کوچ کردم"]]
    assert plain(en_label.text) == "👁 What 2 English readers get:"
    assert plain(en_preview.text) == FA_TEXT
    assert labels(en_preview) == [["Soroush", "Gap"], ["✅ I've moved"]]
    # Tapping "I've moved" in a preview records nothing.
    assert [d for _, d in en_preview.callback_buttons()] == ["preview:ack"]
    lines = plain(question.text or "").splitlines()
    assert lines[0].startswith("Send the reminder above to 5 recipients")
    assert "At 400 messages/s it takes under a minute." in lines
    assert "⚠️ 2 English readers will get the Persian text." in lines

    await press(sim, operator, operator.id, question, callback_of(question, "remind:confirm:"))

    def reminded(user: SimUser) -> bool:
        return any(m.from_bot and plain(m.text or "") == FA_TEXT for m in sim.messages(user.id))

    await sim.wait_until(lambda: all(reminded(u) for u in fa + en), timeout=10, what="every reader reminded")
    # Each group received what its preview showed.
    for users, preview in ((fa, fa_preview), (en, en_preview)):
        for user in users:
            got = [m for m in sim.messages(user.id) if m.from_bot and plain(m.text or "") == FA_TEXT]
            assert len(got) == 1
            assert labels(got[0]) == labels(preview)
            assert [d for _, d in got[0].callback_buttons()] == ["ack:demo"]


async def test_a_persian_operator_previews_lang_en_with_english_buttons_in_persian_words(
    sim: BotAPISimulator, fa_operator: SimUser, kooch: None
) -> None:
    await readers(sim, 2, 2)
    label, preview, question = await ask(sim, fa_operator, "/remind lang:en We have moved: join us.")
    assert plain(label.text) == "👁 آنچه ۲ خوانندهٔ انگلیسی می‌گیرند:"
    assert labels(preview) == [["Soroush", "Gap"], ["✅ I've moved"]]
    text = plain(question.text or "")
    assert "⚠️" not in text  # English readers, an English text
    assert "با ۴۰۰ پیام در ثانیه کمتر از یک دقیقه طول می‌کشد." in text.splitlines()


async def test_a_persian_operator_is_told_which_readers_get_another_language(
    sim: BotAPISimulator, fa_operator: SimUser, kooch: None
) -> None:
    await readers(sim, 1, 3)
    shown = await ask(sim, fa_operator, "/remind Hello, we have moved.")
    assert [plain(m.text) for m in shown[0::2][:2]] == [
        "👁 آنچه ۳ خوانندهٔ انگلیسی می‌گیرند:",
        "👁 آنچه ۱ خوانندهٔ فارسی می‌گیرد:",
    ]
    assert "⚠️ به ۱ خوانندهٔ فارسی متن انگلیسی می‌رسد." in plain(shown[-1].text or "").splitlines()


async def test_a_reminder_click_through_go_is_counted_for_its_campaign(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    async with running_web_bot(sim, tmp_path) as (app, web), httpx.AsyncClient() as client:
        (reader,), _ = await readers(sim, 1, 0)
        *_, preview, question = await ask(sim, operator, f"/remind {FA_TEXT}")
        # The preview's links count as a preview's, not the campaign's.
        assert [b["url"] for row in preview.buttons for b in row if "url" in b] == [
            f"{PUBLIC_URL}/go/soroush?c=demo&s=preview",
            f"{PUBLIC_URL}/go/gap?c=demo&s=preview",
        ]
        await press(sim, operator, operator.id, question, callback_of(question, "remind:confirm:"))
        got = await sim.wait_for_message(reader.id, lambda m: plain(m.text or "") == FA_TEXT, timeout=10)
        urls = [b["url"] for row in got.buttons for b in row if "url" in b]
        assert urls == [
            f"{PUBLIC_URL}/go/soroush?c=demo&s=campaign-1",
            f"{PUBLIC_URL}/go/gap?c=demo&s=campaign-1",
        ]
        for url, who in (
            (urls[0], "android-chrome"),
            (urls[1], "ios-telegram-in-app"),
            (urls[0], "googlebot"),
        ):
            response = await client.get(url.replace(PUBLIC_URL, web.url), headers={"User-Agent": UA[who]})
            assert response.status_code == 302
        await services_of(app).clicks.flush()
        await sim.wait_for_message(
            operator.id, lambda m: not m.edits and "🏁 finished" in (m.text or ""), timeout=10
        )  # the final tally, sent after the progress message's last edit
        listed = plain((await say(sim, operator, "/campaigns")).text or "")
    line = next((line for line in listed.splitlines() if line.startswith("#1 ")), listed)
    assert line.endswith(", clicks on its links 2")  # people only: the crawler is left out


# ---------------------------------------------------------------------------------------------
# The pure parts


@pytest.mark.parametrize(
    ("recipients", "rate", "said"),
    [
        (1, 25, "At 25 messages/s it takes under a minute."),
        (1, 0.5, "At 0.5 messages/s it takes under a minute."),
        (1475, 25, "At 25 messages/s it takes under a minute."),
        (1501, 25, "At 25 messages/s it takes about 2 min."),
        (1000, 5, "At 5 messages/s it takes about 4 min."),
        (30000, 5, "At 5 messages/s it takes about 1 h 40 min."),
    ],
    ids=["one", "slow-one", "59-seconds", "just-over-a-minute", "minutes", "hours"],
)
def test_the_duration_is_never_about_zero_and_rounds_up(recipients: int, rate: float, said: str) -> None:
    assert plain(duration_line(recipients, rate, "en")) == said


def test_the_duration_in_persian() -> None:
    assert plain(duration_line(1000, 5, "fa")) == "با ۵ پیام در ثانیه، نزدیک به ۴ دقیقه طول می‌کشد."
    assert_reads_right([duration_line(30000, 5, "fa"), duration_line(3, 25, "fa")])


def parsed(tmp_path: Path) -> Config:
    import yaml

    return parse_config(yaml.safe_dump(config_of(tmp_path), allow_unicode=True), "config.yaml", tmp_path)


def test_readers_of_a_language_without_texts_read_the_default_one(tmp_path: Path) -> None:
    config = parsed(tmp_path)
    groups = preview_groups(config, {"*": FA_TEXT}, {"fa": 2, None: 1, "de": 4, "en": 5}, "demo")
    assert [(g.language, g.readers, g.text_language) for g in groups] == [("fa", 7, "fa"), ("en", 5, "fa")]
    assert [g.in_their_language for g in groups] == [True, False]


def test_per_language_texts_are_each_groups_own(tmp_path: Path) -> None:
    config = parsed(tmp_path)
    groups = preview_groups(config, {"fa": FA_TEXT, "en": "We moved."}, {"fa": 1, "en": 1}, None)
    assert [(g.language, plain(g.post.text), g.in_their_language) for g in groups] == [
        ("en", "We moved.", True),
        ("fa", FA_TEXT, True),
    ]


def test_the_language_of_one_text_for_everyone(tmp_path: Path) -> None:
    config = parsed(tmp_path)
    assert written_in(FA_TEXT, config) == "fa"
    assert written_in("We moved: https://ble.ir/x", config) == "en"
    # Without Arabic texts in the config, a right-to-left text is taken for the default language.
    assert written_in("لقد انتقلنا", config, hint="ar") == "fa"
    assert written_in("🚀 123", config) is None


def test_a_campaigns_source_names_it() -> None:
    assert campaign_source(42) == "campaign-42"
    assert campaign_of_source("campaign-42") == 42
    assert campaign_of_source("post") is None


async def test_the_store_counts_readers_per_language_and_each_campaigns_clicks(store: Store) -> None:
    """On SQLite and PostgreSQL alike."""

    async def op(db: Database) -> None:
        await db.executemany(
            "INSERT INTO subscribers (user_id, language, source, started_at, last_seen_at)"
            " VALUES (?, ?, NULL, 0, 0)",
            [(1, "fa"), (2, "fa"), (3, "en"), (4, None)],
        )
        await db.executemany(
            "INSERT INTO clicks (at, service, channel, source, platform, is_bot) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (1.0, "gap", "demo", "campaign-1", "android", 0),
                (2.0, "soroush", None, "campaign-1", "ios", 0),
                (3.0, "gap", "demo", "campaign-1", "other", 1),  # a link preview: not a person
                (4.0, "gap", "demo", "campaign-2", "android", 0),
                (5.0, "gap", "demo", "post", "android", 0),
            ],
        )

    await store.write(op)
    campaigns = CampaignStore(store)
    assert await campaigns.count_by_language(Audience()) == {"fa": 2, "en": 1, None: 1}
    assert await campaigns.count_by_language(Audience(language="en")) == {"en": 1}
    assert await campaigns.clicks([1, 2, 3]) == {1: 2, 2: 1}
    assert await campaigns.clicks([]) == {}


@pytest.mark.parametrize("reader", ["en", "fa", "ar"])
def test_the_labels_and_warnings_read_right_in_each_language(reader: str, tmp_path: Path) -> None:
    config = parsed(tmp_path)
    groups = preview_groups(config, {"*": FA_TEXT}, {"fa": 1, "en": 40}, "demo")
    lines = [preview_label(g, reader) for g in groups] + fallback_lines(groups, reader)
    assert len(lines) == 3
    assert_reads_right(lines)
    if reader == "en":
        assert plain(lines) == [
            "👁 What 40 English readers get:",
            "👁 What 1 Persian reader gets:",
            "⚠️ 40 English readers will get the Persian text.",
        ]
    if reader == "ar":
        assert plain(lines[2]) == "⚠️ سيتلقى ٤٠ قارئًا باللغة الإنجليزية النص باللغة الفارسية."


def test_a_reminders_links_name_the_channel_only_for_the_services_it_lists(tmp_path: Path) -> None:
    import yaml

    raw = config_of(tmp_path)
    raw["channels"][0]["services"] = ["soroush"]
    raw["web"] = {"listen": "127.0.0.1:0", "public_url": PUBLIC_URL}
    config = parse_config(yaml.safe_dump(raw, allow_unicode=True), "config.yaml", tmp_path)
    post = render_reminder(config, {"*": FA_TEXT}, "fa", "demo", source=campaign_source(7))
    assert [b.url for row in post.buttons for b in row if b.url] == [
        f"{PUBLIC_URL}/go/soroush?c=demo&s=campaign-7",
        f"{PUBLIC_URL}/go/gap?s=campaign-7",  # /go/gap?c=demo would be refused: demo lists soroush only
    ]
