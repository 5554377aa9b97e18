"""The pages under forged headers and floods: nothing from a request's headers reaches a page or
its QR codes (so a caching proxy cannot be poisoned), every response says how it may be cached,
and each page is rendered once per config version, however many ask for it at once."""

from __future__ import annotations

import asyncio
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from kooch.config import load_config
from kooch.web.cache import PageCache
from kooch.web.pages import qr_data_uri
from tests.hostile.kit import SECRET, Client, config_without_public_url, fetch, hostile_server
from tests.kit import GAP_URL, SOROUSH_URL, write_config
from tests.web_kit import PUBLIC_URL, web_config

FORGED = [
    {"Host": "evil.example"},
    {"Host": "evil.example:8080", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"},
    {"Forwarded": "host=evil.example;proto=http", "X-Forwarded-Host": "evil.example"},
]
PAGES = ["/", "/demo", "/demo?lang=en", "/kooch_demo", "/nochannel", "/go/nosuchservice"]


def qr_images(html: str) -> list[str]:
    return re.findall(r'<img class="qr" src="([^"]*)"', html)


async def forged_get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    host = headers.get("Host", "127.0.0.1")
    extra = {k: v for k, v in headers.items() if k != "Host"}
    return await fetch(port, path, host=host, extra=extra)


@pytest.mark.parametrize("headers", FORGED, ids=["host", "host-and-x-forwarded", "forwarded"])
@pytest.mark.parametrize("public_url", [None, PUBLIC_URL], ids=["no-public-url", "public-url"])
async def test_no_header_chooses_a_link_or_a_qr_code(
    tmp_path: Path, headers: dict[str, str], public_url: str | None
) -> None:
    config = web_config(tmp_path) if public_url else config_without_public_url(tmp_path)
    if public_url:
        expected_qr = {qr_data_uri(f"{PUBLIC_URL}/go/{s}?c=demo&s=qr") for s in ("soroush", "gap")}
    else:  # no address to count a scan with: the QR code leads straight to the service
        expected_qr = {qr_data_uri(SOROUSH_URL), qr_data_uri(GAP_URL)}
    async with hostile_server(tmp_path, config) as web:
        for path in PAGES:
            status, response_headers, body = await forged_get(web.server.port, path, headers)
            html = body.decode()
            assert status in (200, 404), path
            assert "evil.example" not in html and "evil.example" not in str(response_headers), path
            assert re.findall(r'href="(?:https?:)?//', html) == [], path  # every link is relative
            if path.startswith("/demo") or path == "/kooch_demo" or path == "/":
                assert set(qr_images(html)) == expected_qr, path
            # The same bytes as without the forged headers: one page for everyone.
            assert (await fetch(web.server.port, path))[2] == body, path


CACHING = [
    # (method, path, status, Cache-Control)
    ("GET", "/", 200, "public, max-age=60"),
    ("GET", "/demo", 200, "public, max-age=60"),
    ("GET", "/demo?lang=en", 200, "public, max-age=60"),
    ("HEAD", "/demo", 200, "public, max-age=60"),
    ("GET", "/nochannel", 404, "no-store"),
    ("GET", "/go/soroush?c=demo", 302, "no-store"),
    ("GET", "/go/soroush?c=nochannel", 404, "no-store"),
    ("GET", "/healthz", 200, "no-store"),
    ("GET", "/metrics", 200, "no-store"),
    ("GET", "/robots.txt", 200, "public, max-age=86400"),
    ("POST", "/demo", 405, "no-store"),
    ("POST", "/telegram-webhook", 403, "no-store"),
    ("POST", "/telegram-webhook?secret", 400, "no-store"),
]


async def test_every_response_says_how_it_may_be_cached(tmp_path: Path) -> None:
    async def deliver(update: dict[str, Any]) -> None:
        pass

    async with hostile_server(tmp_path, deliver=deliver) as web:
        for method, path, status, cache_control in CACHING:
            client = await Client.connect(web.server.port)
            secret = f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n" if path.endswith("?secret") else ""
            await client.send(
                f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{secret}Content-Length: 2\r\n"
                "Connection: close\r\n\r\n{{".encode()
            )
            if method == "HEAD":
                head = (await client.rest()).decode("latin-1")
                got_status = int(head.split()[1])
                got = re.search(r"(?im)^cache-control: (.*?)\r$", head)
                assert got is not None
                got_cache = got.group(1)
            else:
                got_status, headers, _body = await client.response()
                got_cache = headers.get("cache-control", "")
            await client.close()
            assert (got_status, got_cache) == (status, cache_control), (method, path)


async def test_each_page_is_rendered_once_per_config_version(tmp_path: Path) -> None:
    config = web_config(tmp_path)
    async with hostile_server(tmp_path, config) as web:
        pages = web.server.state.pages
        port = web.server.port

        async def flood(path: str, n: int = 30) -> set[bytes]:
            answers = await asyncio.gather(*(fetch(port, path) for _ in range(n)))
            return {body for _status, _headers, body in answers}

        renders = [
            # (path, pages rendered so far, QR codes drawn so far)
            ("/demo", 1, 2),
            ("/demo", 1, 2),
            ("/demo?lang=en", 2, 2),  # the other language shares the QR codes
            ("/kooch_demo", 2, 2),  # the channel by its username: the same page as /demo
            ("/", 3, 2),  # the only channel's page, with a language link to "/"
            ("/nochannel", 4, 2),
            ("/no/such/page", 4, 2),  # one not-found page per language, whatever the path
            ("/demo?lang=xx", 4, 2),
        ]
        for path, expected_pages, expected_qr in renders:
            assert len(await flood(path)) == 1, path  # every visitor got the same bytes
            assert (pages.renders, pages.qr_renders) == (expected_pages, expected_qr), path

        # A new config version: the pages are rendered anew, once, and show the change.
        config["services"][1]["name"] = {"fa": "گپ تازه", "en": "New Gap"}
        new = load_config(write_config(tmp_path / "config.yaml", config))
        assert new.version != web.holder.current.version
        web.holder.replace(new)
        bodies = await flood("/demo?lang=en")
        assert len(bodies) == 1 and "Open in New Gap" in next(iter(bodies)).decode()
        assert (pages.renders, pages.qr_renders) == (5, 4)


async def test_a_page_is_rendered_off_the_event_loop_once_and_a_failure_is_retried() -> None:
    cache = PageCache()
    threads: list[int] = []
    failures = [RuntimeError("a bug in a template")]

    def render() -> str:
        threads.append(threading.get_ident())
        if failures:
            raise failures.pop()
        return "<p>page</p>"

    with pytest.raises(RuntimeError):
        await cache.page("v1", ("landing", None, "fa"), render)
    bodies = await asyncio.gather(*(cache.page("v1", ("landing", None, "fa"), render) for _ in range(20)))
    assert set(bodies) == {b"<p>page</p>"}
    assert cache.renders == 2  # the failed one, then one for all twenty
    assert threading.get_ident() not in threads  # never on the loop that answers the taps
