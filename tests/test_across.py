"""Across (issue 27): arrivals confirmed person by person on the destinations, end to end.

The real bot against the Bot API simulator, and a second and a third simulator acting as Bale and
Soroush+ (their own tokens, bots, channels and users): a Telegram subscriber taps, gets a personal
link, "opens" it (``/start <code>`` from a Bale user at the Bale simulator), is welcomed there, and
/stats counts the arrival. Real SQLite files throughout.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from kooch.across.mirror import Mirror
from kooch.across.model import (
    DEEP_LINKS,
    MirrorBody,
    Redeemed,
    deep_link,
    mirror_body,
    start_payload,
    verified_services,
)
from kooch.across.store import AcrossStore, MirrorStore
from kooch.app.leadership import Leadership
from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.arrivals.client import DestinationClient
from kooch.clock import ManualClock
from kooch.config import ConfigInvalid, parse_config
from kooch.config.holder import ConfigHolder
from kooch.insight.charts import build_chart_data, render_png
from kooch.insight.store import ChartSlots
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from kooch.store import open_store
from kooch.store.leader import PgLeader
from kooch.subscribers.store import SubscriberStore
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import (
    OPERATOR_ID,
    announce,
    base_config,
    press,
    query,
    running_bot,
    say,
    say_and_collect,
    start_bot_process,
    write_config,
)
from tests.test_campaigns import start_campaign
from tests.test_insight_bot import csv_rows
from tests.test_insight_charts import NOW, picture_of
from tests.test_insight_export import run_export

BALE_ENV = "KOOCH_TEST_BALE_TOKEN"
SPLUS_ENV = "KOOCH_TEST_SPLUS_TOKEN"
BALE_URL = "https://ble.ir/kooch_bale"
DAY_S = 86400.0
CODE_IN_LINK = re.compile(r"\?start=([A-Za-z0-9_-]+)$")


@pytest.fixture
async def bale() -> AsyncIterator[BotAPISimulator]:
    """Bale's bot API: the simulator again, with its own bot, token, channel and users."""
    async with BotAPISimulator(token="777000:BALE-secret-token", bot_username="kooch_bale_bot") as simulator:
        simulator.add_channel(username="kooch_bale", title="Kooch on Bale", member_count=10)
        yield simulator


def across_config(tmp_path: Path, bale: BotAPISimulator, **top: Any) -> Path:
    raw = base_config(tmp_path)
    raw["services"].append(
        {
            "key": "bale",
            "name": {"fa": "بله", "en": "Bale"},
            "url": BALE_URL,
            "arrivals": {"api": bale.url, "chat": "@kooch_bale", "token_env": BALE_ENV, "platform": "bale"},
        }
    )
    raw["verify_arrivals"] = True
    raw.update(top)
    return write_config(tmp_path / "config.yaml", raw)


# --------------------------------------------------------------------------------------------
# The link forms and the config


@pytest.mark.parametrize(
    ("platform", "link"),
    [
        pytest.param("bale", "https://ble.ir/kooch_bale_bot?start=Abc_123-x", id="bale"),
        pytest.param("soroush", "https://splus.ir/kooch_bale_bot?start=Abc_123-x", id="soroush"),
    ],
)
def test_each_platform_has_one_link_form(platform: str, link: str) -> None:
    assert deep_link(platform, "@kooch_bale_bot", "Abc_123-x") == link
    assert set(DEEP_LINKS) == {"bale", "soroush"}


@pytest.mark.parametrize(
    ("text", "payload"),
    [
        ("/start abc", "abc"),
        ("/start@kooch_bale_bot abc", "abc"),
        ("/start", ""),
        ("hello", None),
        (None, None),
    ],
)
def test_the_start_payload_is_read_from_the_message(text: str | None, payload: str | None) -> None:
    assert start_payload(text) == payload


def test_verify_arrivals_and_the_platform_are_read_and_checked(tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    raw["services"][0]["arrivals"] = {"api": "https://api.splus.ir", "chat": "@kooch_demo", "token_env": "T"}
    raw["verify_arrivals"] = True
    raw["verify_code_ttl_s"] = 3600
    config = parse_config(yaml.safe_dump(raw), base_dir=tmp_path)
    assert config.verify_arrivals and config.verify_code_ttl_s == 3600
    assert config.services[0].arrivals is not None and config.services[0].arrivals.platform == "soroush"
    raw["services"][0]["arrivals"]["platform"] = "eitaa"
    with pytest.raises(ConfigInvalid, match=r"services\[0\]\.arrivals\.platform"):
        parse_config(yaml.safe_dump(raw), base_dir=tmp_path)
    assert parse_config(yaml.safe_dump(base_config(tmp_path)), base_dir=tmp_path).verify_arrivals is False
    # A self-hosted API: the link form cannot be guessed from its host.
    raw["services"][0]["arrivals"] = {"api": "http://127.0.0.1:8081", "chat": "@kooch_demo", "token_env": "T"}
    with pytest.raises(ConfigInvalid, match="is required with verify_arrivals"):
        parse_config(yaml.safe_dump(raw), base_dir=tmp_path)


# --------------------------------------------------------------------------------------------
# The running bot


async def personal_link(sim: BotAPISimulator, user: SimUser, text: str = "/links") -> SimMessage:
    """Ask Kooch (``/links``, ``/start demo``) and return the message with the personal links."""
    sent = await sim.send_text(user, text)
    return await sim.wait_for_message(
        user.id,
        lambda m: any("ble.ir" in url for _, url in m.url_buttons() if "?start=" in url),
        after=sent.message_id,
        timeout=10,
    )


def code_of(message: SimMessage) -> str:
    [url] = [
        url for _, url in message.url_buttons() if url.startswith("https://ble.ir/kooch_bale_bot?start=")
    ]
    found = CODE_IN_LINK.search(url)
    assert found is not None
    return found.group(1)


async def open_at_bale(bale: BotAPISimulator, app: App, who: SimUser, code: str) -> SimMessage:
    """The person opens the link: Bale's app sends ``/start <code>`` to the bot there."""
    return await open_at(bale, app, who, code)


async def test_a_subscriber_taps_opens_the_bale_link_and_stats_count_one_arrival(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bale: BotAPISimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(BALE_ENV, bale.token)
    async with running_bot(across_config(tmp_path, bale), sim.token, sim.url, poll_timeout=1) as app:
        await announce(sim, operator)
        post = sim.messages(channel.id)[0]
        reader = sim.add_user("Sara", "fa")
        # The tap opens Kooch's chat with /start moved_demo (thanked there, as reach's
        # open_bot_after_tap does), where the personal link waits.
        answer = await press(sim, reader, channel.id, post, "ack:demo")
        assert answer.url == f"https://t.me/{sim.bot.username}?start=moved_demo"
        links = await personal_link(sim, reader, "/start moved_demo")
        assert_reads_right([links.text or ""])
        assert plain(links.text or "").startswith("🛬 به آن سو رسیدید؟")
        code = code_of(links)
        # The same link again in /links (one code until it is used).
        assert code_of(await personal_link(sim, reader)) == code

        on_bale = bale.add_user("Sara on Bale", "fa", user_id=55_500_001)
        welcome = await open_at_bale(bale, app, on_bale, code)
        assert_reads_right([welcome.text or ""])
        assert BALE_URL in plain(welcome.text or "")
        assert plain(welcome.text or "").startswith("به ")  # Persian, the subscriber's language

        # Stored: "arrived on Bale at T" against the Telegram user, nothing about the Bale account.
        rows = query(tmp_path / "kooch.db", "SELECT channel, service, user_id FROM service_arrivals")
        assert rows == [("demo", "bale", reader.id)]
        dump = "\n".join(map(str, query(tmp_path / "kooch.db", "SELECT * FROM move_codes")))
        assert str(on_bale.id) not in dump and "Sara on Bale" not in dump

        operator.language_code = "en"
        text, _chart = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
        assert "  🛬 arrived on Bale: 1 (of 1 who tapped)" in plain(text.text or "").splitlines()
        # /export: the tap's row says where its person arrived.
        acks_doc, _clicks = await say_and_collect(sim, operator, "/export", 2, timeout=30)
        [row] = csv_rows(acks_doc)
        assert row["arrived_on"] == "bale"
        operator.language_code = "fa"
        text_fa, _chart = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
        [line] = [x for x in (text_fa.text or "").splitlines() if "🛬" in x and "بله" in x]
        assert_reads_right([line])


async def test_a_used_an_expired_and_an_unknown_code_get_a_clear_answer_and_change_nothing(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bale: BotAPISimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(BALE_ENV, bale.token)
    clock = ManualClock(now=1_800_000_000.0)
    config = across_config(tmp_path, bale, verify_code_ttl_s=3600)
    async with running_bot(config, sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        first, second = sim.add_user("Reza", "en"), sim.add_user("Mina", "fa")
        used_code = code_of(await personal_link(sim, first))
        late_code = code_of(await personal_link(sim, second))
        at_bale = bale.add_user("Reza on Bale", "en", user_id=55_500_001)
        other = bale.add_user("Someone else", "en", user_id=55_500_002)
        late = bale.add_user("Mina on Bale", "fa", user_id=55_500_003)

        assert plain((await open_at_bale(bale, app, at_bale, used_code)).text or "").startswith(
            "Welcome to Bale!"
        )
        # The same code again, from another account: said, not counted twice.
        again = await open_at_bale(bale, app, other, used_code)
        assert plain(again.text or "") == (
            f"This link was used already: your arrival is counted once.\nThe channel is here: {BALE_URL}"
        )
        # A code past its time, read in Persian (its owner's language).
        clock.advance(3601)
        expired = await open_at_bale(bale, app, late, late_code)
        assert_reads_right([expired.text or ""])
        assert plain(expired.text or "").startswith("این پیوند منقضی شده است.")
        # A code Kooch never gave, and a bare /start.
        unknown = await open_at_bale(bale, app, other, "not-a-code-of-ours")
        assert plain(unknown.text or "") == (
            "This link is not one Kooch gave. Open the bot on Telegram (/links) for your personal link."
        )
        bare = await open_at_bale(bale, app, other, "")
        assert bare.text == unknown.text
        assert query(tmp_path / "kooch.db", "SELECT user_id FROM service_arrivals") == [(first.id,)]
        # An expired code is replaced by a new one in the next message.
        assert code_of(await personal_link(sim, second)) != late_code


async def test_forget_removes_the_codes_and_the_arrival(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bale: BotAPISimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(BALE_ENV, bale.token)
    async with running_bot(across_config(tmp_path, bale), sim.token, sim.url, poll_timeout=1) as app:
        reader = sim.add_user("Reza", "en")
        code = code_of(await personal_link(sim, reader))
        await open_at_bale(bale, app, bale.add_user("Reza on Bale", "en", user_id=55_500_001), code)
        assert len(query(tmp_path / "kooch.db", "SELECT * FROM service_arrivals")) == 1
        privacy = await say(sim, reader, "/privacy")
        assert "Kooch stores only that you arrived there and when" in plain(privacy.text or "")
        reply = await say(sim, reader, "/forget")
        assert reply.text is not None
        assert query(tmp_path / "kooch.db", "SELECT * FROM service_arrivals") == []
        assert query(tmp_path / "kooch.db", "SELECT * FROM move_codes") == []


@pytest.mark.slow
async def test_kill_9_between_the_bale_update_and_its_confirmation_loses_no_arrival(tmp_path: Path) -> None:
    async with (
        BotAPISimulator() as sim,
        BotAPISimulator(token="777000:BALE-secret-token", bot_username="kooch_bale_bot") as bale,
    ):
        bale.add_channel(username="kooch_bale", title="Kooch on Bale", member_count=10)
        sim.add_user("Operator", "en", user_id=OPERATOR_ID)
        sim.add_channel(username="kooch_demo")
        path = across_config(tmp_path, bale)
        env = dict(
            os.environ, TELEGRAM_BOT_TOKEN=sim.token, TELEGRAM_API_URL=sim.url, **{BALE_ENV: bale.token}
        )
        reader = sim.add_user("Reza", "en")
        at_bale = bale.add_user("Reza on Bale", "en", user_id=55_500_001)

        first = await start_bot_process(path, env)
        try:
            sent = await sim.send_text(reader, "/links")
            links = await sim.wait_for_message(
                reader.id,
                lambda m: bool(m.url_buttons()) and "?start=" in m.url_buttons()[-1][1],
                after=sent.message_id,
                timeout=60,
            )
            code = code_of(links)
            # Kooch takes the update and stores the arrival; its answer hangs: killed right there.
            bale.hold("sendMessage")
            await bale.send_text(at_bale, f"/start {code}")
            await bale.wait_until(lambda: bale.held == 1, timeout=30, what="the answer in flight")
            first.send_signal(signal.SIGKILL)
            await first.wait()
        finally:
            if first.returncode is None:
                first.kill()
                await first.wait()
        assert bale.pending_updates == 1  # never confirmed to Bale
        bale.release("sendMessage")

        second = await start_bot_process(path, env)
        try:
            await bale.wait_until(lambda: bale.pending_updates == 0, timeout=60, what="the update confirmed")
            await bale.wait_for_message(
                at_bale.id,
                lambda m: plain(m.text or "").startswith("Welcome to Bale!"),
                timeout=30,
            )
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 30)
        assert query(tmp_path / "kooch.db", "SELECT user_id FROM service_arrivals") == [(reader.id,)]
        last = [m for m in bale.messages(at_bale.id) if m.from_bot][-1]
        assert plain(last.text or "").startswith("Welcome to Bale!")  # the same update, the same answer


# --------------------------------------------------------------------------------------------
# The mirror

PHOTO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001a5f645400000000049454e44ae426082"
)


def mirror_config(tmp_path: Path, bale: BotAPISimulator, **mirror: Any) -> Path:
    return across_config(
        tmp_path,
        bale,
        verify_arrivals=False,
        mirror={"until": "30d", "services": ["bale"], "per_minute": 600, **mirror},
    )


def on_bale(bale: BotAPISimulator) -> list[SimMessage]:
    return [m for m in bale.messages("@kooch_bale") if m.from_bot]


async def test_posts_and_an_edit_appear_on_bale_once_each_and_the_announcement_does_not(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bale: BotAPISimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(BALE_ENV, bale.token)
    async with running_bot(mirror_config(tmp_path, bale), sim.token, sim.url, poll_timeout=1) as app:
        mirror = services_of(app).mirror
        await announce(sim, operator)  # Kooch's own post: no update reaches any bot, not mirrored
        text = await sim.post_in_channel(channel.id, "سلام از کانال، به زودی در بله")
        await sim.post_in_channel(channel.id, photo=PHOTO, caption="عکس امروز")
        await sim.post_in_channel(channel.id, document=("guide.pdf", b"%PDF-1.4 guide"), caption="راهنما")
        await mirror.wait_done("bale", 3)
        copies = on_bale(bale)
        assert [(m.text, m.caption) for m in copies] == [
            ("سلام از کانال، به زودی در بله", None),
            (None, "عکس امروز"),
            (None, "راهنما"),
        ]
        assert copies[1].photo is not None and copies[1].photo.data == PHOTO
        assert copies[2].document is not None and copies[2].document.data == b"%PDF-1.4 guide"
        # An edit follows; the same post delivered again is not sent twice.
        await sim.edit_channel_post(channel.id, text.message_id, "سلام از کانال: ویرایش شد")
        await mirror.wait_done("bale", 4)
        assert on_bale(bale)[0].text == "سلام از کانال: ویرایش شد"
        assert not await mirror.take("demo", text.message_id, {"text": "again"}, edited=False)
        assert len(on_bale(bale)) == 3

        operator.language_code = "en"
        status = await say(sim, operator, "/status")
        assert "  • Bale: 3 mirrored, 0 pending, 0 failed" in plain(status.text or "").splitlines()
        operator.language_code = "fa"
        status_fa = await say(sim, operator, "/status")
        lines = [x for x in (status_fa.text or "").splitlines() if "بله" in x and "۳" in x]
        assert lines, status_fa.text
        assert_reads_right(lines)


async def test_bale_answering_429_then_failing_then_recovering_gets_every_post_once(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bale: BotAPISimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(BALE_ENV, bale.token)
    async with running_bot(mirror_config(tmp_path, bale), sim.token, sim.url, poll_timeout=1) as app:
        mirror = services_of(app).mirror
        await say(sim, operator, "/help")  # the operator started the bot: it may write to them
        bale.inject_fault("sendMessage", count=1, error_code=429, retry_after=1)
        await sim.post_in_channel(channel.id, "first")
        await mirror.wait_done("bale", 1)
        bale.inject_fault("sendMessage", count=2, error_code=502)
        await sim.post_in_channel(channel.id, "second")
        await sim.post_in_channel(channel.id, "third")
        await mirror.wait_done("bale", 3)
        assert [m.text for m in on_bale(bale)] == ["first", "second", "third"]
        failing = [m for m in sim.messages(operator.id) if m.from_bot and "⚠️ Mirror" in (m.text or "")]
        recovered = [m for m in sim.messages(operator.id) if m.from_bot and "✅ Mirror" in (m.text or "")]
        assert len(failing) == 1 and len(recovered) == 1
        assert "error 502: Bad Gateway" in plain(failing[0].text or "")
        assert bale.token not in (failing[0].text or "")


@pytest.mark.slow
async def test_kooch_killed_mid_mirror_resumes_with_no_duplicate(tmp_path: Path) -> None:
    async with (
        BotAPISimulator() as sim,
        BotAPISimulator(token="777000:BALE-secret-token", bot_username="kooch_bale_bot") as bale,
    ):
        bale.add_channel(username="kooch_bale", title="Kooch on Bale", member_count=10)
        sim.add_user("Operator", "en", user_id=OPERATOR_ID)
        channel = sim.add_channel(username="kooch_demo")
        path = mirror_config(tmp_path, bale)
        env = dict(
            os.environ, TELEGRAM_BOT_TOKEN=sim.token, TELEGRAM_API_URL=sim.url, **{BALE_ENV: bale.token}
        )

        first = await start_bot_process(path, env)
        try:
            bale.hold("sendMessage")  # the first copy hangs at Bale: Kooch is killed with it in flight
            for n in range(3):
                await sim.post_in_channel(channel.id, f"post {n}")
            await bale.wait_until(lambda: bale.held == 1, timeout=60, what="a copy in flight")
            first.send_signal(signal.SIGKILL)
            await first.wait()
        finally:
            if first.returncode is None:
                first.kill()
                await first.wait()
        # The call cut off with its connection was never answered: Bale kept nothing of it.
        await bale.wait_until(lambda: bale.held == 0, timeout=30, what="the cut-off call dropped")
        bale.release("sendMessage")
        assert on_bale(bale) == []

        second = await start_bot_process(path, env)
        try:
            await bale.wait_until(lambda: len(on_bale(bale)) >= 3, timeout=60, what="the three copies")
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 30)
        assert [m.text for m in on_bale(bale)] == ["post 0", "post 1", "post 2"]
        assert query(tmp_path / "kooch.db", "SELECT DISTINCT state FROM mirror_posts") == [("sent",)]


async def test_two_replicas_mirror_each_post_once(
    postgresql_url: str, bale: BotAPISimulator, tmp_path: Path
) -> None:
    path = mirror_config(tmp_path, bale)
    holder = ConfigHolder(parse_config(path.read_text(encoding="utf-8"), base_dir=tmp_path), path)

    async def no_file(file_id: str) -> bytes:
        raise AssertionError("text posts only")

    async def tell(words: Any) -> None:
        return None

    async def never(channel: str) -> float | None:
        return None

    replicas = []
    for i in range(2):
        store = await open_store(tmp_path / f"replica-{i}" / "kooch.db", postgresql_url)
        mirror = Mirror(
            holder,
            MirrorStore(store),
            DestinationClient(),
            environ={BALE_ENV: bale.token},
            download=no_file,
            tell=tell,
            announced_at=never,
            poll_s=0.1,
        )
        leadership = Leadership(PgLeader(postgresql_url, f"replica-{i}", retry_s=0.05))
        await leadership.add("mirror", mirror.start, mirror.stop)
        await leadership.start()
        replicas.append((leadership, mirror, store))
    try:
        # Each post reaches both replicas (a webhook's redelivery lands on the other one).
        for n in range(4):
            for _, mirror, _ in replicas:
                await mirror.take("demo", 100 + n, {"text": f"post {n}"}, edited=False)
        await bale.wait_until(lambda: len(on_bale(bale)) >= 4, timeout=30, what="four copies")
        leader = next(r for r in replicas if r[0].role == "leader")
        other = next(r for r in replicas if r is not leader)
        await leader[0].close()  # the leader goes: the other takes the mirror over
        for n in range(4, 6):
            await other[1].take("demo", 100 + n, {"text": f"post {n}"}, edited=False)
        await bale.wait_until(lambda: len(on_bale(bale)) >= 6, timeout=30, what="six copies")
        assert [m.text for m in on_bale(bale)] == [f"post {n}" for n in range(6)]
    finally:
        for leadership, _, store in replicas:
            await leadership.close()
            await store.close()


async def test_a_reminder_carries_the_recipients_personal_link(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bale: BotAPISimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(BALE_ENV, bale.token)
    async with running_bot(across_config(tmp_path, bale), sim.token, sim.url, poll_timeout=1):
        reader = sim.add_user("Reza", "en")
        code = code_of(await personal_link(sim, reader, "/start"))
        await start_campaign(sim, operator, "/remind Come over, we are on Bale now")
        reminder = await sim.wait_for_message(reader.id, lambda m: "Come over" in (m.text or ""), timeout=30)
        # Under the reminder: its buttons, then the person's own link (the same code until used).
        assert code_of(reminder) == code
        assert plain([text for text, _ in reminder.url_buttons()][-1]) == "✅ I'm on Bale: confirm"


@pytest.mark.parametrize("language", ["en", "fa"])
def test_the_charts_funnel_has_a_bar_per_service_people_arrived_on(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, language: str
) -> None:
    raw = base_config(tmp_path)
    raw["services"][0]["arrivals"] = {"api": "https://api.splus.ir", "chat": "@kooch_splus", "token_env": "T"}
    raw["verify_arrivals"] = True
    config = parse_config(yaml.safe_dump(raw, allow_unicode=True), base_dir=tmp_path)
    slots = ChartSlots(False, NOW - DAY_S / 2, (("demo", NOW - 900, 40),), {"demo": 40})
    data = build_chart_data(
        config,
        list(config.channels),
        slots,
        {},
        {"demo": 100},
        NOW,
        language,
        arrived={("demo", "soroush"): 12},
        verified=verified_services(config),
    )
    drawn = picture_of(data)
    assert drawn.bars["acks:@kooch_demo"] == 40
    name = "Soroush" if language == "en" else "سروش"
    assert drawn.bars[f"arrived:{name}:@kooch_demo"] == 12
    folder = tmp_path_factory.getbasetemp() / "across"  # to look at: the funnel as drawn
    folder.mkdir(exist_ok=True)
    (folder / f"funnel-{language}.png").write_bytes(render_png(data))


@pytest.fixture
async def splus() -> AsyncIterator[BotAPISimulator]:
    """Soroush+'s bot API: a third simulator, its own bot, token, channel and users."""
    async with BotAPISimulator(
        token="888000:SPLUS-secret-token", bot_username="kooch_splus_bot"
    ) as simulator:
        simulator.add_channel(username="kooch_splus", title="Kooch on Soroush+", member_count=40)
        yield simulator


async def test_arrivals_are_counted_per_service_on_bale_and_soroush_plus(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bale: BotAPISimulator,
    splus: BotAPISimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(BALE_ENV, bale.token)
    monkeypatch.setenv(SPLUS_ENV, splus.token)
    path = across_config(tmp_path, bale)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["services"][0]["arrivals"] = {
        "api": splus.url,
        "chat": "@kooch_splus",
        "token_env": SPLUS_ENV,
        "platform": "soroush",
    }
    write_config(path, raw)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1) as app:
        await announce(sim, operator)
        post = sim.messages(channel.id)[0]
        people = [sim.add_user(f"Reader {n}", "en") for n in range(3)]
        links = []
        for person in people:
            await press(sim, person, channel.id, post, "ack:demo")
            links.append(await personal_link(sim, person, "/start demo"))
        # One link per service, in the platform's own form.
        assert [url.split("?")[0] for _, url in links[0].url_buttons() if "?start=" in url] == [
            "https://splus.ir/kooch_splus_bot",
            "https://ble.ir/kooch_bale_bot",
        ]
        splus_codes = [
            CODE_IN_LINK.search(url).group(1)  # type: ignore[union-attr]
            for message in links
            for _, url in message.url_buttons()
            if url.startswith("https://splus.ir/")
        ]
        # Two arrive on Soroush+, one of them on Bale too; a Bale code means nothing at Soroush+.
        await open_at(splus, app, splus.add_user("A", "en", user_id=66_600_001), splus_codes[0])
        await open_at(splus, app, splus.add_user("B", "en", user_id=66_600_002), splus_codes[1])
        await open_at_bale(bale, app, bale.add_user("A", "en", user_id=55_500_001), code_of(links[0]))
        wrong = await open_at(splus, app, splus.add_user("C", "en", user_id=66_600_003), code_of(links[2]))
        assert plain(wrong.text or "").startswith("This link is not one Kooch gave.")

        text, _chart = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
        lines = plain(text.text or "").splitlines()
        assert "  🛬 arrived on Soroush: 2 (of 3 who tapped)" in lines
        assert "  🛬 arrived on Bale: 1 (of 3 who tapped)" in lines


async def open_at(destination: BotAPISimulator, app: App, who: SimUser, code: str) -> SimMessage:
    """``/start <code>`` from ``who`` at a destination's bot; Kooch's answer there."""
    handled = services_of(app).across.handled
    sent = await destination.send_text(who, f"/start {code}")
    await services_of(app).across.wait_handled(handled + 1)
    return await destination.wait_for_message(who.id, after=sent.message_id, timeout=10)


@pytest.mark.parametrize(
    ("message", "body"),
    [
        pytest.param({"text": "hello"}, MirrorBody("text", "hello"), id="text"),
        pytest.param(
            {
                "photo": [
                    {"file_id": "small", "width": 90, "height": 90},
                    {"file_id": "large", "width": 1280, "height": 720},
                ],
                "caption": "c",
                "media_group_id": "g1",
            },
            MirrorBody("photo", "c", "large", None, "g1"),
            id="photo-in-an-album",
        ),
        pytest.param(
            {"video": {"file_id": "v", "file_name": "clip.mp4"}, "caption": "v"},
            MirrorBody("video", "v", "v", "clip.mp4"),
            id="video",
        ),
        pytest.param(
            {"document": {"file_id": "d", "file_name": "a.pdf"}},
            MirrorBody("document", None, "d", "a.pdf"),
            id="document",
        ),
        pytest.param({"sticker": {"file_id": "s"}}, None, id="sticker-not-mirrored"),
    ],
)
def test_what_the_mirror_copies_of_a_post(message: dict[str, Any], body: MirrorBody | None) -> None:
    assert mirror_body(message) == body
    if body is not None:
        assert MirrorBody.from_json(body.to_json()) == body


def test_the_mirror_runs_until_its_date_or_for_its_duration_after_the_announcement(tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    raw["services"][0]["arrivals"] = {"api": "https://api.splus.ir", "chat": "@kooch_demo", "token_env": "T"}
    raw["mirror"] = {"until": "2d", "services": ["soroush"]}
    mirror = parse_config(yaml.safe_dump(raw), base_dir=tmp_path).mirror
    assert mirror is not None and mirror.services == ("soroush",) and mirror.per_minute == 20
    assert mirror.active(NOW, None)  # not announced yet: the duration has not begun
    assert mirror.active(NOW + DAY_S, NOW) and not mirror.active(NOW + 2 * DAY_S, NOW)
    raw["mirror"] = {"until": "2031-03-01T09:00", "services": ["soroush"]}
    dated = parse_config(yaml.safe_dump(raw), base_dir=tmp_path).mirror
    assert dated is not None and dated.until_at is not None
    assert dated.active(dated.until_at - 1, None) and not dated.active(dated.until_at, None)
    raw["mirror"] = {"until": "soon", "services": ["gap"]}
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(yaml.safe_dump(raw), base_dir=tmp_path)
    assert {e.path for e in caught.value.errors} == {"mirror.until", "mirror.services[0]"}


async def test_a_post_the_destination_refuses_is_failed_with_its_reason_in_status(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bale: BotAPISimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(BALE_ENV, bale.token)
    async with running_bot(mirror_config(tmp_path, bale), sim.token, sim.url, poll_timeout=1) as app:
        mirror = services_of(app).mirror
        bale.inject_fault("sendMessage", count=1, error_code=400, description="Bad Request: chat not found")
        await sim.post_in_channel(channel.id, "refused")
        await sim.post_in_channel(channel.id, "sent")
        await mirror.wait_done("bale", 1)
        assert [m.text for m in on_bale(bale)] == ["sent"]
        status = await say(sim, operator, "/status")
        assert (
            "  • Bale: 1 mirrored, 0 pending, 1 failed; last error: error 400: Bad Request: chat not found"
            in plain(status.text or "").splitlines()
        )


async def export_where_people_arrived(tmp_path: Path, url: str | None) -> dict[str, str]:
    store = await open_store(tmp_path / "kooch.db", url)
    try:
        subscribers, across = SubscriberStore(store), AcrossStore(store)
        for user_id in (1, 2, 3):
            await subscribers.add_ack("demo", user_id, None, "fa", "post")
        for service in ("soroush", "bale"):
            code = await across.code_for(1, "demo", service, 3600)
            assert (await across.redeem(code, service, 7)).outcome is Redeemed.ARRIVED
        code = await across.code_for(2, "demo", "bale", 3600)
        await across.redeem(code, "bale", 8)
        acks, _clicks, _result = await asyncio.to_thread(run_export, store, tmp_path / "out", user_ids=True)
    finally:
        await store.close()
    return {row["user_id"]: row["arrived_on"] for row in acks}


async def test_the_export_says_where_each_person_arrived(tmp_path: Path) -> None:
    assert await export_where_people_arrived(tmp_path, None) == {"1": "bale soroush", "2": "bale", "3": ""}


async def test_the_export_says_where_each_person_arrived_on_postgresql(
    postgresql_url: str, tmp_path: Path
) -> None:
    assert await export_where_people_arrived(tmp_path, postgresql_url) == {
        "1": "bale soroush",
        "2": "bale",
        "3": "",
    }


async def test_an_album_goes_as_an_album_or_item_by_item_where_albums_are_refused(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bale: BotAPISimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(BALE_ENV, bale.token)
    async with running_bot(mirror_config(tmp_path, bale), sim.token, sim.url, poll_timeout=1) as app:
        mirror = services_of(app).mirror
        for n in range(3):
            await sim.post_in_channel(channel.id, photo=PHOTO, caption=f"album {n}", media_group_id="a1")
        await mirror.wait_done("bale", 3)
        [call] = bale.calls_of("sendMediaGroup")
        assert call.ok and not bale.calls_of("sendPhoto")
        assert [m.caption for m in on_bale(bale)] == ["album 0", "album 1", "album 2"]
        assert all(m.photo is not None and m.photo.data == PHOTO for m in on_bale(bale))

        # A destination without albums: the next one's items go one by one, each once.
        bale.inject_fault("sendMediaGroup", error_code=404, description="Not Found: method not found")
        for n in range(2):
            await sim.post_in_channel(channel.id, photo=PHOTO, caption=f"second {n}", media_group_id="a2")
        await mirror.wait_done("bale", 5)
        assert [m.caption for m in on_bale(bale)][3:] == ["second 0", "second 1"]
        assert len(bale.calls_of("sendPhoto")) == 2
        assert query(tmp_path / "kooch.db", "SELECT DISTINCT state FROM mirror_posts") == [("sent",)]
