"""Shared pieces for the web tests: a config with ``web:``, a served web app, raw HTTP, user agents."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kooch.config import load_config
from kooch.config.holder import ConfigHolder
from kooch.insight.clicks import ClickLog
from kooch.metrics import Metrics
from kooch.store import Store
from kooch.web.server import WebServer, WebState
from tests.kit import GAP_URL, SOROUSH_URL, base_config, write_config

if TYPE_CHECKING:
    from kooch.app.runner import App
    from kooch.simulator import BotAPISimulator

PUBLIC_URL = "https://kooch.example"
SOROUSH_ANDROID = "https://splus.ir/app/android"
SOROUSH_IOS = "https://apps.apple.com/app/soroush/id1234567"
SOROUSH_WEB = "https://web.splus.ir/kooch_demo"
#: Every destination a redirect may lead to in :func:`web_config`.
CONFIGURED_TARGETS = {SOROUSH_URL, SOROUSH_ANDROID, SOROUSH_IOS, SOROUSH_WEB, GAP_URL}


def web_config(tmp_path: Path, **web: Any) -> dict[str, Any]:
    """The tests' base config with a ``web:`` section and app links for Soroush."""
    config = base_config(tmp_path)
    soroush = config["services"][0]
    soroush.update(android=SOROUSH_ANDROID, ios=SOROUSH_IOS, web=SOROUSH_WEB, handle="@kooch_demo")
    config["web"] = {"listen": "127.0.0.1:0", "public_url": PUBLIC_URL, **web}
    return config


@dataclass
class Served:
    server: WebServer
    store: Store
    clicks: ClickLog
    metrics: Metrics
    holder: ConfigHolder

    @property
    def url(self) -> str:
        return self.server.url


@asynccontextmanager
async def serving(
    config: dict[str, Any], tmp_path: Path, *, flush_interval: float = 0.05
) -> AsyncIterator[Served]:
    """Kooch's web app alone (no bot) on 127.0.0.1, with a real store in ``tmp_path``."""
    path = write_config(tmp_path / "config.yaml", config)
    loaded = load_config(path)
    store = await Store.open(loaded.sqlite_path)
    clicks = ClickLog(store, flush_interval=flush_interval)
    clicks.start()
    metrics = Metrics()
    holder = ConfigHolder(loaded, path)
    server = WebServer(WebState(holder, store, clicks, metrics), "127.0.0.1", 0, access_log=False)
    await server.start()
    try:
        yield Served(server, store, clicks, metrics, holder)
    finally:
        await server.stop()
        await clicks.close()
        await store.close()


async def raw_get(
    port: int, target: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str]]:
    """GET ``target`` exactly as written (no client normalises ``..`` or ``//``); status and headers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"GET {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    await writer.drain()
    data = await reader.read()
    writer.close()
    await writer.wait_closed()
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    parsed = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        parsed[name.strip().lower()] = value.strip()
    return status, parsed


# Real User-Agent strings: (id, user agent, platform, is_bot).
USER_AGENTS = [
    (
        "android-chrome",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.6367.82 Mobile Safari/537.36",
        "android",
        False,
    ),
    (
        "android-samsung-internet",
        "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        "android",
        False,
    ),
    (
        "android-telegram-in-app",
        "Mozilla/5.0 (Linux; Android 12; SM-A525F Build/SP1A.210812.016; wv) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Version/4.0 Chrome/123.0.6312.118 Mobile Safari/537.36 "
        "Telegram-Android/10.11.1 (Samsung SM-A525F; Android 12; SDK 31; AVERAGE)",
        "android",
        False,
    ),
    (
        "android-cubot-phone",  # a phone brand ending in "bot": still a person
        "Mozilla/5.0 (Linux; Android 9; CUBOT X19) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/96.0.4664.104 Mobile Safari/537.36",
        "android",
        False,
    ),
    (
        "ios-safari",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4 Mobile/15E148 Safari/604.1",
        "ios",
        False,
    ),
    (
        "ios-telegram-in-app",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148",
        "ios",
        False,
    ),
    (
        "ios-chrome",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1",
        "ios",
        False,
    ),
    (
        "ipad-safari",
        "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/16.6 Mobile/15E148 Safari/604.1",
        "ios",
        False,
    ),
    (
        "desktop-chrome-windows",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36",
        "desktop",
        False,
    ),
    (
        "desktop-firefox-linux",
        "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "desktop",
        False,
    ),
    (
        "desktop-safari-mac",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4 Safari/605.1.15",
        "desktop",
        False,
    ),
    (
        "desktop-edge",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67",
        "desktop",
        False,
    ),
    ("telegram-link-preview", "TelegramBot (like TwitterBot)", "other", True),
    (
        "googlebot",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "other",
        True,
    ),
    (
        "googlebot-smartphone",
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.6367.82 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "android",
        True,
    ),
    ("bingbot", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "other", True),
    (
        "facebook-preview",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "other",
        True,
    ),
    ("whatsapp-preview", "WhatsApp/2.23.20.0 A", "other", True),
    ("curl", "curl/8.5.0", "other", True),
    ("python-requests", "python-requests/2.31.0", "other", True),
]


@asynccontextmanager
async def running_web_bot(
    sim: BotAPISimulator, tmp_path: Path, webhook_secret: str | None = None, **web: Any
) -> AsyncIterator[tuple[App, WebServer]]:
    """The real bot against the simulator with ``web:`` configured; yields (app, web server)."""
    from kooch.app.services import services_of
    from tests.kit import running_bot

    path = write_config(tmp_path / "config.yaml", web_config(tmp_path, **web))
    async with running_bot(path, sim.token, sim.url, poll_timeout=1, webhook_secret=webhook_secret) as app:
        server = services_of(app).web
        assert server is not None
        yield app, server
