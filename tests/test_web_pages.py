"""The "we moved" landing pages: language and direction, buttons, handles, QR codes, escaping,
and nothing loaded from another host."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from kooch.web.pages import qr_data_uri
from tests.web_kit import PUBLIC_URL, serving, web_config


async def get(tmp_path: Path, path: str, config: dict[str, Any] | None = None) -> httpx.Response:
    async with (
        serving(config or web_config(tmp_path), tmp_path) as web,
        httpx.AsyncClient(base_url=web.url) as client,
    ):
        return await client.get(path)


def external_references(html: str) -> list[str]:
    """Every src/href/url() that is not on this page's own host or a data: URI."""
    refs = re.findall(r'(?:src|href)="([^"]*)"', html) + re.findall(r"url\(([^)]*)\)", html)
    return [
        r for r in refs if not (r.startswith("/") and not r.startswith("//")) and not r.startswith("data:")
    ]


async def test_a_persian_channels_page_is_right_to_left_with_every_service(tmp_path: Path) -> None:
    r = await get(tmp_path, "/demo")
    assert r.status_code == 200
    html = r.text
    assert '<html lang="fa" dir="rtl">' in html
    assert "ما کوچ کرده‌ایم" in html
    assert "باز کردن در سروش" in html and "باز کردن در گپ" in html
    assert 'href="/go/soroush?c=demo&amp;s=landing"' in html
    assert 'href="/go/gap?c=demo&amp;s=landing"' in html
    assert "<code>@kooch_demo</code>" in html
    assert 'data-copy="@kooch_demo"' in html
    assert html.count('<img class="qr" src="data:image/svg+xml') == 2
    assert 'name="viewport"' in html
    assert external_references(html) == []


async def test_lang_overrides_the_channels_language(tmp_path: Path) -> None:
    html = (await get(tmp_path, "/demo?lang=en")).text
    assert '<html lang="en" dir="ltr">' in html
    assert "We have moved" in html
    assert "Open in Soroush" in html and "Open in Gap" in html
    assert 'href="/demo?lang=fa"' in html  # the way back to Persian
    unknown = (await get(tmp_path, "/demo?lang=xx")).text
    assert '<html lang="fa" dir="rtl">' in unknown


@pytest.mark.parametrize("path", ["/demo", "/"])
async def test_each_language_links_to_every_other_language_the_page_speaks(tmp_path: Path, path: str) -> None:
    names = {"fa": "فارسی", "en": "English", "ar": "العربية"}
    async with serving(web_config(tmp_path), tmp_path) as web, httpx.AsyncClient(base_url=web.url) as client:
        for lang in names:
            html = (await client.get(f"{path}?lang={lang}")).text
            links = re.findall(
                r'<a href="([^"]*)\?lang=(\w+)" hreflang="(\w+)" lang="(\w+)"[^>]*>([^<]*)</a>', html
            )
            assert links == [(path, o, o, o, names[o]) for o in names if o != lang], lang


async def test_the_qr_code_encodes_the_public_redirect_link(tmp_path: Path) -> None:
    html = (await get(tmp_path, "/demo")).text
    assert qr_data_uri(f"{PUBLIC_URL}/go/soroush?c=demo&s=qr") in html
    assert qr_data_uri(f"{PUBLIC_URL}/go/gap?c=demo&s=qr") in html


async def test_the_root_is_the_only_channels_page(tmp_path: Path) -> None:
    html = (await get(tmp_path, "/")).text
    assert '<html lang="fa" dir="rtl">' in html
    assert 'href="/go/soroush?c=demo&amp;s=landing"' in html


async def test_with_several_channels_the_root_lists_them_and_every_service(tmp_path: Path) -> None:
    config = web_config(tmp_path)
    config["channels"].append({"chat": "@kooch_news", "key": "news", "language": "en", "services": ["gap"]})
    html = (await get(tmp_path, "/", config)).text
    assert 'href="/go/soroush?s=landing"' in html and 'href="/go/gap?s=landing"' in html
    assert 'href="/demo"' in html and 'href="/news"' in html
    # Worded for several channels, in every language.
    assert "این کانال" not in html and "کانال‌های ما از تلگرام رفته‌اند" in html
    async with serving(config, tmp_path) as web, httpx.AsyncClient(base_url=web.url) as client:
        english = (await client.get("/?lang=en")).text
        arabic = (await client.get("/?lang=ar")).text
    assert "This channel" not in english and "Our channels have left Telegram." in english
    assert "هذه القناة" not in arabic and "غادرت قنواتنا تيليجرام." in arabic
    async with serving(config, tmp_path) as web, httpx.AsyncClient(base_url=web.url) as client:
        news = (await client.get("/news")).text
    assert '<html lang="en" dir="ltr">' in news
    assert "/go/gap?c=news" in news and "soroush" not in news


async def test_the_page_has_a_strict_content_security_policy(tmp_path: Path) -> None:
    r = await get(tmp_path, "/demo")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "img-src data:" in csp
    assert "script-src 'sha256-" in csp and "style-src 'sha256-" in csp
    assert "http" not in csp  # no other host is allowed anything
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


async def test_config_values_are_escaped(tmp_path: Path) -> None:
    config = web_config(tmp_path)
    config["services"][1]["name"] = {"fa": "<script>alert(1)</script>", "en": "Gap & <b>co</b>"}
    config["services"][1]["handle"] = '"><img src=x onerror=alert(1)>'
    html = (await get(tmp_path, "/demo", config)).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert external_references(html) == []


@pytest.mark.parametrize("path", ["/nochannel", "/a/b/c", "/favicon.ico"])
async def test_an_unknown_page_is_a_404_with_the_real_links(tmp_path: Path, path: str) -> None:
    r = await get(tmp_path, path)
    assert r.status_code == 404
    assert 'href="/go/soroush?s=notfound"' in r.text
    assert 'name="robots" content="noindex"' in r.text


async def test_robots_keep_crawlers_off_the_redirect_links(tmp_path: Path) -> None:
    r = await get(tmp_path, "/robots.txt")
    assert r.text == "User-agent: *\nDisallow: /go/\n"
