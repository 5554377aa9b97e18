"""Redirect links: one click recorded per request, 302 to the configured target for the platform,
404 for anything not configured, and no way to redirect anywhere else."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from kooch.insight.clicks import Click
from kooch.web.useragent import classify
from tests.kit import GAP_URL, SOROUSH_URL
from tests.web_kit import (
    CONFIGURED_TARGETS,
    SOROUSH_ANDROID,
    SOROUSH_IOS,
    SOROUSH_WEB,
    USER_AGENTS,
    raw_get,
    serving,
    web_config,
)

EXPECTED_SOROUSH_TARGET = {
    "android": SOROUSH_ANDROID,
    "ios": SOROUSH_IOS,
    "desktop": SOROUSH_WEB,
    "other": SOROUSH_URL,
}


@pytest.mark.parametrize(
    ("ua", "platform", "is_bot"), [u[1:] for u in USER_AGENTS], ids=[u[0] for u in USER_AGENTS]
)
def test_user_agent_classification(ua: str, platform: str, is_bot: bool) -> None:
    visitor = classify(ua)
    assert (visitor.platform, visitor.is_bot) == (platform, is_bot)


def test_an_empty_user_agent_is_a_script() -> None:
    assert classify("") == classify(None)
    assert classify(None).is_bot


async def test_every_user_agent_is_redirected_to_its_platforms_target_and_recorded(tmp_path: Path) -> None:
    async with serving(web_config(tmp_path), tmp_path) as web:
        async with httpx.AsyncClient(base_url=web.url) as client:
            for _, ua, platform, _ in USER_AGENTS:
                r = await client.get(
                    "/go/soroush", params={"c": "demo", "s": "post"}, headers={"User-Agent": ua}
                )
                assert r.status_code == 302, ua
                assert r.headers["location"] == EXPECTED_SOROUSH_TARGET[platform], ua
                assert r.headers["cache-control"] == "no-store"
        await web.clicks.flush()
        clicks = await web.clicks.all_clicks()
    assert [(c.service, c.channel, c.source, c.platform, c.is_bot) for c in clicks] == [
        ("soroush", "demo", "post", platform, is_bot) for _, _, platform, is_bot in USER_AGENTS
    ]


async def test_a_service_without_app_links_always_goes_to_its_url(tmp_path: Path) -> None:
    async with serving(web_config(tmp_path), tmp_path) as web, httpx.AsyncClient(base_url=web.url) as client:
        for _, ua, _, _ in USER_AGENTS:
            r = await client.get("/go/gap?c=demo", headers={"User-Agent": ua})
            assert (r.status_code, r.headers["location"]) == (302, GAP_URL)


async def test_a_link_without_channel_or_with_a_strange_source_still_counts(tmp_path: Path) -> None:
    async with serving(web_config(tmp_path), tmp_path) as web, httpx.AsyncClient(base_url=web.url) as client:
        assert (await client.get("/go/gap")).status_code == 302
        assert (await client.get("/go/gap?c=demo&s=<script>")).status_code == 302
        await web.clicks.flush()
        clicks = await web.clicks.all_clicks()
    assert [(c.channel, c.source) for c in clicks] == [(None, None), ("demo", None)]


@pytest.mark.parametrize(
    "path",
    [
        "/go/whatsapp?c=demo",  # not a configured service
        "/go/bale?c=demo",  # disabled service
        "/go/soroush?c=nochannel",  # unknown channel
        "/go/SOROUSH?c=demo",  # keys are exact
        "/go/",
        "/go/soroush/extra",
    ],
)
async def test_unknown_service_or_channel_gets_a_404_page_with_the_real_links(
    tmp_path: Path, path: str
) -> None:
    config = web_config(tmp_path)
    config["services"].append({"key": "bale", "name": "Bale", "url": "https://ble.ir/x", "enabled": False})
    async with serving(config, tmp_path) as web, httpx.AsyncClient(base_url=web.url) as client:
        r = await client.get(path)
        await web.clicks.flush()
        assert await web.clicks.all_clicks() == []
    assert r.status_code == 404
    assert "location" not in r.headers
    assert r.headers["content-type"].startswith("text/html")
    assert 'href="/go/soroush?s=notfound"' in r.text
    assert 'href="/go/gap?s=notfound"' in r.text
    assert 'href="/demo"' in r.text
    assert "ble.ir" not in r.text  # a disabled service is not offered


async def test_a_service_not_in_the_channels_selection_is_not_found(tmp_path: Path) -> None:
    config = web_config(tmp_path)
    config["channels"][0]["services"] = ["gap"]
    async with serving(config, tmp_path) as web, httpx.AsyncClient(base_url=web.url) as client:
        assert (await client.get("/go/soroush?c=demo")).status_code == 404
        assert (await client.get("/go/gap?c=demo")).status_code == 302
        assert (await client.get("/go/soroush")).status_code == 302  # outside a channel: all services


OPEN_REDIRECT_ATTEMPTS = [
    "//evil.example",
    "//evil.example/go/soroush",
    "/%2F%2Fevil.example",
    "/\\evil.example",
    "/go//evil.example",
    "/go/%2F%2Fevil.example",
    "/go/https%3A%2F%2Fevil.example",
    "/go/https://evil.example",
    "/go/..%2F..%2Fevil.example",
    "/go/soroush/..%2F..%2F%2F%2Fevil.example",
    "/go/soroush%2F..%2F..%2Fevil.example",
    "/go/soroush/../../evil.example",
    "/go/soroush@evil.example",
    "/go/soroush?c=https://evil.example",
    "/go/soroush?c=demo&url=https://evil.example&next=//evil.example&to=%2F%2Fevil.example",
    "/go/soroush?c=demo&s=https%3A%2F%2Fevil.example",
    "/go/soroush#https://evil.example",
    "/go/soroush%0d%0aLocation:%20https://evil.example",
    "/demo?lang=//evil.example",
    "/https://evil.example",
]


@pytest.mark.parametrize("target", OPEN_REDIRECT_ATTEMPTS)
async def test_nothing_in_the_request_can_choose_the_destination(tmp_path: Path, target: str) -> None:
    async with serving(web_config(tmp_path), tmp_path) as web:
        status, headers = await raw_get(web.server.port, target, {"User-Agent": "curl/8.5.0"})
    assert status in (200, 302, 400, 404), status
    if "location" in headers:
        assert status == 302
        assert headers["location"] in CONFIGURED_TARGETS
    assert "evil.example" not in headers.get("location", "")


async def test_clicks_are_written_in_batches_and_none_is_lost_at_shutdown(tmp_path: Path) -> None:
    # A flush interval far longer than the test: only the batch size and close() write.
    async with serving(web_config(tmp_path), tmp_path, flush_interval=3600) as web:
        web.clicks.max_batch = 100
        commits_before = web.store.commits
        async with httpx.AsyncClient(base_url=web.url) as client:
            for _ in range(250):
                assert (await client.get("/go/gap?c=demo&s=post")).status_code == 302
        await web.clicks.close()  # what a clean shutdown does before closing the store
        stored = await web.clicks.all_clicks()
        commits = web.store.commits - commits_before
    assert len(stored) == 250
    assert commits <= 4  # 100 + 100 by batch size (maybe split by timing) + the rest at close


async def test_a_failed_flush_keeps_the_clicks_and_writes_them_later(tmp_path: Path) -> None:
    async with serving(web_config(tmp_path), tmp_path, flush_interval=3600) as web:
        web.clicks.record(Click(1.0, "gap", "demo", "post", "android", False))
        await web.store._writer.execute("PRAGMA query_only = 1")  # every write now fails
        assert await web.clicks.flush() == 0
        assert web.clicks.pending == 1
        await web.store._writer.execute("PRAGMA query_only = 0")
        assert await web.clicks.flush() == 1
        assert [c.service for c in await web.clicks.all_clicks()] == ["gap"]
