"""Clicks end to end: the posted buttons lead through Kooch's redirect links, and /stats shows
clicks per service (people, bots beside) and each channel's funnel."""

from __future__ import annotations

from pathlib import Path

import httpx

from kooch.app.services import services_of
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from tests.kit import GAP_URL, SOROUSH_URL, announce, base_config, eventually, press, say, write_config
from tests.web_kit import PUBLIC_URL, USER_AGENTS, running_web_bot

UA = {name: ua for name, ua, _, _ in USER_AGENTS}


async def test_clicks_on_the_posted_buttons_show_in_stats(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    async with running_web_bot(sim, tmp_path) as (_app, web):
        await announce(sim, operator)
        post = sim.messages(channel.id)[0]
        urls = [b["url"] for row in post.buttons for b in row if "url" in b]
        assert urls == [f"{PUBLIC_URL}/go/soroush?c=demo&s=post", f"{PUBLIC_URL}/go/gap?c=demo&s=post"]
        assert post.text is not None
        assert SOROUSH_URL in post.text and GAP_URL in post.text  # the text keeps the durable links

        visits = [
            (urls[0], "android-chrome"),
            (urls[0], "android-telegram-in-app"),
            (urls[0], "ios-telegram-in-app"),
            (urls[0], "telegram-link-preview"),
            (urls[0], "googlebot"),
            (urls[1], "desktop-firefox-linux"),
            (urls[1], "telegram-link-preview"),
        ]
        async with httpx.AsyncClient() as client:
            for url, who in visits:
                r = await client.get(url.replace(PUBLIC_URL, web.url), headers={"User-Agent": UA[who]})
                assert r.status_code == 302

        await press(sim, sim.add_user("Mover", "fa"), channel.id, post, "ack:demo")
        stats = (await say(sim, operator, "/stats")).text

    assert stats is not None
    assert "🔻 funnel: 1,000 members → 4 clicks → 1 moved" in stats
    assert "🔗 Clicks per service (people; bots and link previews beside):" in stats
    assert "  • Soroush: 3 (+2 bots)" in stats
    assert "  • Gap: 1 (+1 bots)" in stats


async def test_without_public_url_buttons_go_straight_to_the_services(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    config = base_config(tmp_path)
    config["web"] = {"listen": "127.0.0.1:0"}  # health and metrics only
    path = write_config(tmp_path / "config.yaml", config)
    from tests.kit import running_bot

    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        await announce(sim, operator)
        post = sim.messages(channel.id)[0]
        stats = (await say(sim, operator, "/stats")).text
    assert stats is not None
    assert [b["url"] for row in post.buttons for b in row if "url" in b] == [SOROUSH_URL, GAP_URL]
    assert "Per-service figures need click counting: set web.public_url" in stats
    assert "funnel" not in stats


async def test_clicks_in_the_buffer_are_stored_when_the_bot_stops(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    from kooch.insight.clicks import ClickLog
    from kooch.store import Store

    async with running_web_bot(sim, tmp_path) as (app, web), httpx.AsyncClient(base_url=web.url) as client:
        clicks = services_of(app).clicks
        clicks.flush_interval = 3600  # from now on only the shutdown writes them
        clicks._wake.set()  # restart the flusher's wait with the new interval
        # Once it cleared the wake-up it waits with the new interval (it tells nobody: re-read at
        # each turn of the loop, no time needs to pass).
        await eventually(lambda: not clicks._wake.is_set(), "the flusher waiting again", every=0)
        for _ in range(30):
            assert (await client.get("/go/gap?c=demo&s=post")).status_code == 302
        assert clicks.pending == 30
    store = await Store.open(tmp_path / "kooch.db")
    try:
        stored = await ClickLog(store).all_clicks()
    finally:
        await store.close()
    assert len(stored) == 30
