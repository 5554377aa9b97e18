"""Arrivals: the member counts of the destination channels (Bale, Soroush+) beside the Telegram
channel's, end to end — the real bot against the Bot API simulator, and a second and third
simulator standing in for Bale's and Soroush+'s bot APIs (same protocol, their own tokens and
channels), with a manual clock moved instead of waiting out the interval."""

from __future__ import annotations

import asyncio
import re
import warnings
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.arrivals.client import Destination, DestinationClient, DestinationFailed
from kooch.arrivals.service import ArrivalsWatcher
from kooch.arrivals.store import ArrivalsStore, CountSeries
from kooch.cli.check import check
from kooch.clock import ManualClock
from kooch.config import ArrivalsTarget, Config, ConfigInvalid, parse_config
from kooch.config.arrivals import missing_tokens
from kooch.config.holder import ConfigHolder
from kooch.i18n import embed
from kooch.insight.charts import (
    ARRIVALS_HEIGHT_IN,
    DPI,
    HEIGHT_IN,
    WIDTH_IN,
    build_chart_data,
    chart_labels,
    render_png,
)
from kooch.insight.store import ChartSlots
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from kooch.store import Store
from kooch.telegram.gateway import Refused
from tests.bidi_kit import plain
from tests.kit import (
    OPERATOR_ID,
    announce,
    base_config,
    committed,
    press,
    query,
    running_bot,
    say,
    say_and_collect,
    write_config,
)
from tests.test_insight_charts import drawn_strings, harfbuzz_glyphs, matplotlib_glyphs, png_size

BALE_ENV = "KOOCH_TEST_BALE_TOKEN"
SPLUS_ENV = "KOOCH_TEST_SPLUS_TOKEN"
INTERVAL = 600.0
#: Rounds of readings after the one at start-up (four hours at INTERVAL).
ROUNDS = 24
ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")


# --------------------------------------------------------------------------------------------
# The config


def config_with(tmp_path: Path, arrivals: Any, **top: Any) -> str:
    raw = base_config(tmp_path)
    raw["services"][0]["arrivals"] = arrivals
    raw.update(top)
    return yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)


GOOD = {"api": "https://tapi.bale.ai/", "chat": "@kooch_demo", "token_env": "BALE_BOT_TOKEN"}


def test_a_destination_is_read_from_the_config(tmp_path: Path) -> None:
    config = parse_config(config_with(tmp_path, GOOD), base_dir=tmp_path)
    assert config.services[0].arrivals == ArrivalsTarget(
        "https://tapi.bale.ai", "@kooch_demo", "BALE_BOT_TOKEN", "bale"
    )
    assert config.services[1].arrivals is None
    assert config.arrivals_interval_s == 600.0
    assert [s.key for s in config.arrivals_services] == ["soroush"]
    local = {"api": "http://127.0.0.1:8081", "chat": -1001234, "token_env": "T"}
    config = parse_config(config_with(tmp_path, local, arrivals_interval_s=60), base_dir=tmp_path)
    assert config.services[0].arrivals == ArrivalsTarget("http://127.0.0.1:8081", -1001234, "T")
    assert config.arrivals_interval_s == 60.0


@pytest.mark.parametrize(
    ("arrivals", "top", "path", "words"),
    [
        pytest.param(
            {**GOOD, "token": "123456:ABCDEFGHIJKLMNOP"},
            {},
            "services[0].arrivals.token",
            "a token never goes in the config file",
            id="literal-token",
        ),
        pytest.param(
            {**GOOD, "token_env": "123456:ABCDEFGHIJKLMNOP"},
            {},
            "services[0].arrivals.token_env",
            "looks like a bot token itself",
            id="token-as-env-name",
        ),
        pytest.param(
            {**GOOD, "token_env": "BALE TOKEN"},
            {},
            "services[0].arrivals.token_env",
            "is not an environment variable name",
            id="bad-env-name",
        ),
        pytest.param(
            {**GOOD, "api": "http://tapi.bale.ai"},
            {},
            "services[0].arrivals.api",
            "must use https: the bot token travels in the address",
            id="plain-http",
        ),
        pytest.param(
            {**GOOD, "api": "ftp://tapi.bale.ai"},
            {},
            "services[0].arrivals.api",
            "must be the bot API's https:// address",
            id="other-scheme",
        ),
        pytest.param(
            {**GOOD, "api": "https://user:pw@tapi.bale.ai"},
            {},
            "services[0].arrivals.api",
            "must be a plain address",
            id="credentials-in-url",
        ),
        pytest.param(
            {**GOOD, "chat": "kooch demo"},
            {},
            "services[0].arrivals.chat",
            'must be "@name"',
            id="bad-chat",
        ),
        pytest.param(
            {"api": "https://tapi.bale.ai", "chat": "@kooch_demo"},
            {},
            "services[0].arrivals.token_env",
            "is required",
            id="no-token-env",
        ),
        pytest.param(
            {**GOOD, "tokenenv": "X"},
            {},
            "services[0].arrivals.tokenenv",
            "did you mean 'token_env'",
            id="typo",
        ),
        pytest.param(
            GOOD, {"arrivals_interval_s": 5}, "arrivals_interval_s", "from 60 to 86400", id="too-often"
        ),
        pytest.param(
            GOOD, {"arrivals_interval_s": 10**6}, "arrivals_interval_s", "from 60 to 86400", id="too-rarely"
        ),
    ],
)
def test_a_wrong_destination_is_refused_with_its_key_path(
    tmp_path: Path, arrivals: Any, top: dict[str, Any], path: str, words: str
) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(config_with(tmp_path, arrivals, **top), base_dir=tmp_path)
    errors = [e for e in caught.value.errors if e.path == path]
    assert errors, caught.value.errors
    assert words in errors[0].message
    assert errors[0].line is not None
    # A refused token is not repeated back.
    assert "ABCDEFGHIJKLMNOP" not in str(caught.value)


def test_an_unset_token_variable_is_said_by_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config_path = tmp_path / "config.yaml"
    config_path.write_text(config_with(tmp_path, GOOD), encoding="utf-8")
    config = parse_config(config_path.read_text(encoding="utf-8"), base_dir=tmp_path)
    assert missing_tokens(config, {"BALE_BOT_TOKEN": "1:x"}) == []
    [(where, message)] = missing_tokens(config, {})
    assert where == "services[0].arrivals.token_env"
    assert "BALE_BOT_TOKEN is not set in the environment" in message

    monkeypatch.delenv("BALE_BOT_TOKEN", raising=False)
    assert check(config_path) == 0  # the file is valid; the machine lacks the token
    err = capsys.readouterr().err
    assert "⚠ services[0].arrivals.token_env: BALE_BOT_TOKEN is not set in the environment" in err


# --------------------------------------------------------------------------------------------
# The client


@pytest.fixture
async def bale() -> AsyncIterator[BotAPISimulator]:
    """Bale's bot API: the simulator again, with its own bot, token and channel."""
    async with BotAPISimulator(token="777000:BALE-secret-token", bot_username="kooch_bale_bot") as simulator:
        yield simulator


@pytest.fixture
async def splus() -> AsyncIterator[BotAPISimulator]:
    async with BotAPISimulator(
        token="888000:SPLUS-secret-token", bot_username="kooch_splus_bot"
    ) as simulator:
        yield simulator


@pytest.fixture
async def client() -> AsyncIterator[DestinationClient]:
    c = DestinationClient(timeout_s=2.0)
    await c.start()
    yield c
    await c.close()


async def test_the_client_reads_the_count_and_says_errors_without_the_token(
    bale: BotAPISimulator, client: DestinationClient
) -> None:
    channel = bale.add_channel(username="kooch_bale", member_count=321)
    target = ArrivalsTarget(bale.url, "@kooch_bale", BALE_ENV)
    assert await client.member_count(Destination(target, bale.token)) == 321
    channel.member_count = 400
    assert await client.member_count(Destination(target, bale.token)) == 400
    calls = bale.calls_of("getChatMemberCount")
    assert [c.params["chat_id"] for c in calls] == ["@kooch_bale", "@kooch_bale"]

    bale.inject_fault("getChatMemberCount", error_code=500, description=f"Internal error for {bale.token}")
    with pytest.raises(DestinationFailed) as failed:
        await client.member_count(Destination(target, bale.token))
    assert str(failed.value).startswith("error 500: Internal error for")
    assert bale.token not in str(failed.value)

    with pytest.raises(DestinationFailed, match="error 401: Unauthorized"):
        await client.member_count(Destination(target, "777000:wrong"))
    with pytest.raises(DestinationFailed, match="error 400"):
        await client.member_count(Destination(ArrivalsTarget(bale.url, "@nobody_here", BALE_ENV), bale.token))


@pytest.fixture
async def odd_server() -> AsyncIterator[str]:
    """A server answering what a bot API should not: a redirect, a huge body, HTML, silence."""
    hit: list[str] = []

    async def redirect(request: web.Request) -> web.StreamResponse:
        hit.append(request.path)
        raise web.HTTPFound("http://127.0.0.1:9/elsewhere")

    async def huge(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"{" + b" " * 2_000_000 + b"}", content_type="application/json")

    async def html(request: web.Request) -> web.StreamResponse:
        return web.Response(text="<html>maintenance</html>", status=503, content_type="text/html")

    async def silent(request: web.Request) -> web.StreamResponse:
        await asyncio.Event().wait()  # never answers; the client's time-out ends it
        raise AssertionError("unreachable")

    app = web.Application()
    app.router.add_get("/redirect/bot{token}/getChatMemberCount", redirect)
    app.router.add_get("/huge/bot{token}/getChatMemberCount", huge)
    app.router.add_get("/html/bot{token}/getChatMemberCount", html)
    app.router.add_get("/silent/bot{token}/getChatMemberCount", silent)
    runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}"
    await runner.cleanup()


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("redirect", "answered a redirect (HTTP 302), which Kooch does not follow"),
        ("huge", "answered more than 1,048,576 bytes"),
        ("html", "answered HTTP 503 with something that is not JSON"),
        ("silent", "no answer within 0.3 s"),
    ],
)
async def test_the_client_fetches_only_the_configured_url_and_caps_what_it_reads(
    odd_server: str, path: str, words: str
) -> None:
    client = DestinationClient(timeout_s=0.3)
    await client.start()
    try:
        with pytest.raises(DestinationFailed) as failed:
            await client.member_count(
                Destination(ArrivalsTarget(f"{odd_server}/{path}", "@x_chan", "T"), "1:x")
            )
    finally:
        await client.close()
    assert words in str(failed.value)


async def test_a_closed_port_is_a_count_failure(client: DestinationClient) -> None:
    with pytest.raises(DestinationFailed, match="cannot reach it"):
        await client.member_count(Destination(ArrivalsTarget("http://127.0.0.1:9", "@x_chan", "T"), "1:x"))


# --------------------------------------------------------------------------------------------
# The running bot


def arrivals_config(tmp_path: Path, bale: BotAPISimulator, splus: BotAPISimulator | None = None) -> Path:
    raw = base_config(tmp_path)
    raw["services"].append(
        {
            "key": "bale",
            "name": {"fa": "بله", "en": "Bale"},
            "url": "https://ble.ir/kooch_bale",
            "arrivals": {"api": bale.url, "chat": "@kooch_bale", "token_env": BALE_ENV},
        }
    )
    if splus is not None:
        raw["services"][0]["arrivals"] = {"api": splus.url, "chat": "@kooch_splus", "token_env": SPLUS_ENV}
    raw["arrivals_interval_s"] = INTERVAL
    return write_config(tmp_path / "config.yaml", raw)


def from_bot(sim: BotAPISimulator, user: SimUser, prefix: str) -> list[SimMessage]:
    return [m for m in sim.messages(user.id) if m.from_bot and plain(m.text or "").startswith(prefix)]


async def next_round(clock: ManualClock, app: App) -> None:
    clock.advance(INTERVAL)
    await services_of(app).arrivals.wait_idle()


async def test_counts_over_time_are_stored_shown_by_stats_and_drawn(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bale: BotAPISimulator,
    splus: BotAPISimulator,
    tmp_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    on_bale = bale.add_channel(username="kooch_bale", title="Kooch on Bale", member_count=10)
    on_splus = splus.add_channel(username="kooch_splus", title="Kooch on Soroush+", member_count=40)
    monkeypatch.setenv(BALE_ENV, bale.token)
    monkeypatch.setenv(SPLUS_ENV, splus.token)
    clock = ManualClock(now=1_800_000_000.0)
    start = clock.now()
    config_path = arrivals_config(tmp_path, bale, splus)
    async with running_bot(config_path, sim.token, sim.url, poll_timeout=1, clock=clock) as app:
        await services_of(app).arrivals.wait_idle()  # the reading at start-up
        await announce(sim, operator)
        users = [sim.add_user(f"U{i}", "fa") for i in range(6)]
        post = sim.messages(channel.id)[0]
        # Four hours of the move, every 10 minutes: Telegram empties, the destinations fill.
        for step in range(1, ROUNDS + 1):
            channel.member_count = 1000 - 10 * step - (100 if step > 16 else 0)
            on_bale.member_count = 10 + 12 * step + step * step // 2
            on_splus.member_count = 40 + 2 * step
            await next_round(clock, app)
            if step % 4 == 0:
                await press(sim, users[step // 4 - 1], channel.id, post, "ack:demo")

        rows = query(tmp_path / "kooch.db", "SELECT kind, source, at, members FROM member_counts ORDER BY at")
        # One reading per source per round, the first at start-up.
        assert len(rows) == (ROUNDS + 1) * 3
        assert sorted(rows[:3]) == [
            ("channel", "demo", start, 1000),
            ("service", "bale", start, 10),
            ("service", "soroush", start, 40),
        ]
        assert [m for k, s, _, m in rows if s == "bale"][:4] == [10, 22, 36, 50]
        last = {(k, s): m for k, s, at, m in rows if at == start + ROUNDS * INTERVAL}
        assert last == {("channel", "demo"): 660, ("service", "bale"): 586, ("service", "soroush"): 88}
        # Each platform was asked with its own token, for its own channel, once a round.
        assert len(bale.calls_of("getChatMemberCount")) == ROUNDS + 1
        assert {c.params["chat_id"] for c in bale.calls_of("getChatMemberCount")} == {"@kooch_bale"}
        assert len(splus.calls_of("getChatMemberCount")) == ROUNDS + 1

        text, chart = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
        assert text.text is not None
        lines = text.text.splitlines()
        assert (
            "  👥 members: 660 (−340 since the announcement); moved ≥ 0.9% "
            "(a lower bound: only those who tapped are counted)"
        ) in lines
        at = lines.index("🛬 Arrivals: members of each destination channel")
        assert plain(lines[at + 1 : at + 3]) == plain(
            [
                "  • Soroush (@kooch_splus): 88 members (+48 since the announcement)",
                "  • Bale (@kooch_bale): 586 members (+576 since the announcement)",
            ]
        )
        assert chart.photo is not None
        png_en = chart.photo.data
        assert png_size(png_en) == (int(WIDTH_IN * DPI), int((HEIGHT_IN + ARRIVALS_HEIGHT_IN) * DPI))

        operator.language_code = "fa"
        text_fa, chart_fa = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
        lines_fa = plain(text_fa.text or "").splitlines()
        members_fa = "  👥 اعضا: ۶۶۰ (−۳۴۰ از زمان اعلان)؛ کوچ‌کرده ≥ ۰٫۹٪ "
        assert any(line.startswith(members_fa) for line in lines_fa)
        at = lines_fa.index("🛬 تازه‌واردها: اعضای هر کانال مقصد")
        assert plain(lines_fa[at + 1 : at + 3]) == [
            "  • سروش (@kooch_splus): ۸۸ عضو (+۴۸ از زمان اعلان)",
            "  • بله (@kooch_bale): ۵۸۶ عضو (+۵۷۶ از زمان اعلان)",
        ]
        assert chart_fa.photo is not None
        png_fa = chart_fa.photo.data
    folder = tmp_path_factory.getbasetemp() / "arrivals"
    folder.mkdir(exist_ok=True)
    (folder / "stats-arrivals-en.png").write_bytes(png_en)
    (folder / "stats-arrivals-fa.png").write_bytes(png_fa)
    assert png_fa != png_en


async def test_a_failing_destination_is_reported_once_and_once_when_it_recovers(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bale: BotAPISimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    on_bale = bale.add_channel(username="kooch_bale", member_count=10)
    monkeypatch.setenv(BALE_ENV, bale.token)
    clock = ManualClock(now=1_800_000_000.0)
    async with running_bot(
        arrivals_config(tmp_path, bale), sim.token, sim.url, poll_timeout=1, clock=clock
    ) as app:
        await say(sim, operator, "/help")  # the operator started the bot: it may write to them
        await services_of(app).arrivals.wait_idle()
        bale.inject_fault("getChatMemberCount", count=5, error_code=502)
        for _ in range(5):
            await next_round(clock, app)
        alerts = from_bot(sim, operator, "⚠️ Arrivals")
        assert len(alerts) == 1
        assert plain(alerts[0].text) == (
            plain(
                "⚠️ Arrivals: the member count of Bale (@kooch_bale) cannot be read: error 502: Bad Gateway.\n"
                "Kooch keeps trying every 10 minutes and tells you once it answers again; "
                "/stats shows the last count read."
            )
        )
        # Meanwhile /stats shows the last count read and why the last reading failed.
        text, _ = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
        assert text.text is not None
        assert "  • Bale (@kooch_bale): 10 members; last read failed: error 502: Bad Gateway" in plain(
            text.text
        )
        # A Persian operator reads the same line in Persian (Bale's own words kept as they are).
        operator.language_code = "fa"
        text_fa, _ = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
        assert plain(text_fa.text or "").endswith(
            "🛬 تازه‌واردها: اعضای هر کانال مقصد\n"
            "  • بله (@kooch_bale): ۱۰ عضو؛ "
            "آخرین خواندن ناموفق بود: خطای ۵۰۲: Bad Gateway"
        )
        operator.language_code = "en"
        await say(sim, operator, "/status")  # the notices that follow are read in English again

        on_bale.member_count = 25
        for _ in range(3):
            await next_round(clock, app)
        recovered = from_bot(sim, operator, "✅ Arrivals")
        assert [plain(m.text) for m in recovered] == [
            "✅ Arrivals: Bale (@kooch_bale) answers again: 25 members."
        ]
        assert len(from_bot(sim, operator, "⚠️ Arrivals")) == 1
        # The failed rounds stored nothing for Bale; the Telegram channel was read every round.
        rows = query(tmp_path / "kooch.db", "SELECT kind, members FROM member_counts ORDER BY at")
        assert [m for k, m in rows if k == "service"] == [10, 25, 25, 25]
        assert len([k for k, _ in rows if k == "channel"]) == 9
    assert not [m for m in sim.messages(OPERATOR_ID) if bale.token in plain(m.text or "")]


async def test_an_unset_token_is_told_once_and_nothing_is_fetched(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bale: BotAPISimulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bale.add_channel(username="kooch_bale", member_count=10)
    monkeypatch.delenv(BALE_ENV, raising=False)
    clock = ManualClock(now=1_800_000_000.0)
    operator.started = True  # in an earlier run: the alert of the start-up round reaches them
    async with running_bot(
        arrivals_config(tmp_path, bale), sim.token, sim.url, poll_timeout=1, clock=clock
    ) as app:
        await next_round(clock, app)
        await next_round(clock, app)
        [alert] = from_bot(sim, operator, "⚠️ Arrivals")
        assert f"{BALE_ENV} is not set in the environment" in plain(alert.text or "")
        text, _ = await say_and_collect(sim, operator, "/stats", 2, timeout=30)
        assert text.text is not None and "  • Bale (@kooch_bale): no count yet (" in plain(text.text)
    assert bale.calls_of("getChatMemberCount") == []


# --------------------------------------------------------------------------------------------
# The panel, in Persian and Arabic as HarfBuzz shapes it


def panel_data(tmp_path: Path, language: str) -> Any:
    raw = base_config(tmp_path)
    raw["services"][0]["arrivals"] = {"api": "https://api.splus.ir", "chat": "@kooch_demo", "token_env": "T"}
    config = parse_config(yaml.safe_dump(raw, allow_unicode=True), base_dir=tmp_path)
    t0 = 1_800_000_000.0
    times = tuple(t0 + i * INTERVAL for i in range(12))
    series = [
        CountSeries("channel", "demo", times, tuple(1000 - 30 * i for i in range(12))),
        CountSeries("service", "soroush", times, tuple(5 + 40 * i for i in range(12))),
    ]
    slots = ChartSlots(False, t0, (), {})
    return build_chart_data(
        config, list(config.channels), slots, {}, {"demo": 670}, times[-1], language, False, series, t0
    )


@pytest.mark.parametrize("language", ["fa", "ar"])
def test_the_panel_labels_are_drawn_as_harfbuzz_shapes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    data = panel_data(tmp_path, language)
    labels = chart_labels(language)
    assert [(m.values[-1], m.destination) for m in data.members] == [(670, False), (445, True)]
    assert data.members[0].label == labels["telegram"].format(channel=embed("@kooch_demo", language))
    assert data.members[1].label == "سروش"  # no Arabic name: the default language's
    drawn = drawn_strings(data, monkeypatch)
    texts = [text for text, _ in drawn]
    assert chart_labels(language)["arrivals"] in texts
    rtl = [(text, lang) for text, lang in drawn if ARABIC_SCRIPT.search(text)]
    assert rtl
    for text, lang in rtl:
        assert matplotlib_glyphs(text, lang) == harfbuzz_glyphs(text, lang), text


@pytest.mark.parametrize("language", ["fa", "en"])
def test_the_panel_renders_without_missing_glyphs(tmp_path: Path, language: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = render_png(panel_data(tmp_path, language))
    assert png_size(png) == (int(WIDTH_IN * DPI), int((HEIGHT_IN + ARRIVALS_HEIGHT_IN) * DPI))


async def test_the_watcher_reads_nothing_without_a_destination_and_tells_only_of_destinations(
    tmp_path: Path, store: Store
) -> None:
    """Without a destination nothing is fetched (not even Telegram's count); with one, a Telegram
    channel that cannot be read is logged, not told: posting and /stats already say why."""
    asked: list[int | str] = []
    told: list[str] = []

    async def failing(chat: int | str) -> int:
        asked.append(chat)
        raise Refused("Bad Request: chat not found")

    async def tell(words: Callable[[str], str]) -> None:
        told.append(words("en"))  # what an English-reading operator gets

    async def rounds(config: Config) -> None:
        watcher = ArrivalsWatcher(
            ArrivalsStore(store),
            ConfigHolder(config, tmp_path),
            failing,
            tell,
            environ={},
            clock=ManualClock(),
        )
        await watcher.client.start()
        try:
            await watcher.read_round(config, 1.0)
            await watcher.read_round(config, 2.0)
        finally:
            await watcher.client.close()

    await rounds(parse_config(yaml.safe_dump(base_config(tmp_path), allow_unicode=True), base_dir=tmp_path))
    assert asked == []
    assert told == []

    await rounds(parse_config(config_with(tmp_path, GOOD), base_dir=tmp_path))
    assert asked == ["@kooch_demo", "@kooch_demo"]
    assert len(told) == 1
    assert "BALE_BOT_TOKEN is not set in the environment" in told[0]
    assert await committed(store, "SELECT COUNT(*) FROM member_counts") == [(0,)]
