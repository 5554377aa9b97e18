"""The landing page in a real browser: Debian's headless Chromium, driven over the DevTools protocol
(a websocket, with aiohttp) so the test sees what a person's browser does: the computed text
direction, the buttons, the QR images decoded, every request the page makes, and a screenshot
(saved under the test's tmp_path)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.web_kit import serving, web_config

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="needs Debian's chromium (apt-get install chromium; .ci/run installs it)",
)

#: Phone-sized viewport: the page must read well there.
VIEWPORT = {"width": 412, "height": 915, "deviceScaleFactor": 1, "mobile": True}
#: The same phone turned sideways: wider than a narrow screen, but a touch screen that cannot hover.
LANDSCAPE = {"width": 915, "height": 412, "deviceScaleFactor": 1, "mobile": True}
#: A desktop browser's window: the QR codes are for the phone beside it.
DESKTOP = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}

INSPECT = """
(() => {
  const qr = [...document.querySelectorAll("img.qr")];
  const go = [...document.querySelectorAll("a.go")];
  return {
    lang: document.documentElement.lang,
    dir: document.documentElement.dir,
    direction: getComputedStyle(document.body).direction,
    buttons: go.map(a => ({text: a.textContent, href: a.getAttribute("href"),
                           visible: a.getBoundingClientRect().width > 0})),
    copyButtons: [...document.querySelectorAll("button.copy")].filter(b => !b.hidden).length,
    qr: qr.map(i => ({loaded: i.complete && i.naturalWidth > 0, width: i.getBoundingClientRect().width})),
    qrShown: [...document.querySelectorAll("figure.qr")].map(
      f => getComputedStyle(f).display !== "none" && f.getBoundingClientRect().width > 0),
    languages: [...document.querySelectorAll("nav.lang a")].map(a => ({
      href: a.getAttribute("href"), lang: a.lang, text: a.textContent,
      visible: a.getBoundingClientRect().width > 0})),
    fitsWidth: document.documentElement.scrollWidth <= window.innerWidth,
  };
})()
"""


class DevTools:
    """A minimal Chrome DevTools Protocol client over one websocket (flattened sessions)."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            data = json.loads(msg.data)
            if "id" in data and data["id"] in self.waiting:
                self.waiting.pop(data["id"]).set_result(data)
            else:
                self.events.append(data)
                self.arrived.set()

    async def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> Any:
        message: dict[str, Any] = {"id": next(self.ids), "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[message["id"]] = future
        await self.ws.send_json(message)
        reply = await asyncio.wait_for(future, 20)
        assert "error" not in reply, reply
        return reply["result"]

    async def wait_event(self, method: str, session: str, timeout: float = 20) -> None:
        async with asyncio.timeout(timeout):
            while not any(e.get("method") == method and e.get("sessionId") == session for e in self.events):
                self.arrived.clear()
                await self.arrived.wait()


@contextlib.asynccontextmanager
async def chromium(tmp_path: Path) -> AsyncIterator[DevTools]:
    assert CHROMIUM is not None, "chromium is not installed (CI installs it in .ci/run)"
    proc = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--no-default-browser-check",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        # Nothing but loopback resolves: the browser itself cannot reach any other host either.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        ws_url = None
        async with asyncio.timeout(30):
            while ws_url is None:
                line = (await proc.stderr.readline()).decode(errors="replace")
                assert line, "chromium exited before opening DevTools"
                found = re.search(r"DevTools listening on (ws://\S+)", line)
                ws_url = found.group(1) if found else None
        drain = asyncio.create_task(proc.stderr.read())
        async with aiohttp.ClientSession() as http, http.ws_connect(ws_url, max_msg_size=0) as ws:
            tools = DevTools(ws)
            yield tools
            tools.reader.cancel()
        drain.cancel()
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def open_page(
    tools: DevTools, url: str, screenshot: Path, viewport: dict[str, Any] = VIEWPORT
) -> tuple[dict[str, Any], list[str]]:
    """Load ``url`` in a new tab (phone-sized unless ``viewport`` says otherwise, a touch screen
    when it is a mobile one); return what INSPECT saw and every URL it requested."""
    target = (await tools.send("Target.createTarget", {"url": "about:blank"}))["targetId"]
    session = (await tools.send("Target.attachToTarget", {"targetId": target, "flatten": True}))["sessionId"]
    await tools.send("Network.enable", session=session)
    await tools.send("Page.enable", session=session)
    await tools.send("Emulation.setDeviceMetricsOverride", viewport, session=session)
    if viewport["mobile"]:
        await tools.send(
            "Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5}, session=session
        )
    await tools.send("Page.navigate", {"url": url}, session=session)
    await tools.wait_event("Page.loadEventFired", session)
    result = await tools.send(
        "Runtime.evaluate", {"expression": INSPECT, "returnByValue": True}, session=session
    )
    shot = await tools.send(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session
    )
    await asyncio.to_thread(screenshot.write_bytes, base64.b64decode(shot["data"]))
    requested = [
        e["params"]["request"]["url"]
        for e in tools.events
        if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == session
    ]
    await tools.send("Target.closeTarget", {"targetId": target})
    return result["result"]["value"], requested


async def test_the_landing_page_in_persian_and_english_in_a_real_browser(tmp_path: Path) -> None:
    async with serving(web_config(tmp_path), tmp_path) as web, chromium(tmp_path) as tools:
        fa, fa_requests = await open_page(tools, f"{web.url}/demo", tmp_path / "landing-fa.png")
        en, en_requests = await open_page(tools, f"{web.url}/demo?lang=en", tmp_path / "landing-en.png")

    assert (fa["lang"], fa["dir"], fa["direction"]) == ("fa", "rtl", "rtl")
    assert (en["lang"], en["dir"], en["direction"]) == ("en", "ltr", "ltr")
    assert [b["text"] for b in fa["buttons"]] == ["باز کردن در سروش", "باز کردن در گپ"]
    assert [b["text"] for b in en["buttons"]] == ["Open in Soroush", "Open in Gap"]
    for page in (fa, en):
        assert [b["href"] for b in page["buttons"]] == [
            "/go/soroush?c=demo&s=landing",
            "/go/gap?c=demo&s=landing",
        ]
        assert all(b["visible"] for b in page["buttons"])
        assert page["copyButtons"] == 1  # the script ran (allowed by the CSP): Soroush has a handle
        assert len(page["qr"]) == 2 and all(q["loaded"] for q in page["qr"])
        assert page["qrShown"] == [False, False]  # for a second device: not on the phone itself
        assert page["fitsWidth"]  # no sideways scrolling on a phone
    for requested in (fa_requests, en_requests):
        hosts = {urlsplit(u).netloc for u in requested if not u.startswith("data:")}
        assert hosts == {urlsplit(web.url).netloc}, requested
    for name in ("landing-fa.png", "landing-en.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")


async def test_qr_codes_show_on_a_desktop_and_not_on_a_phone(tmp_path: Path) -> None:
    """The QR codes are for scanning from a second device: a desktop page shows them, a phone's
    (upright or sideways, a touch screen that cannot hover) does not."""
    async with serving(web_config(tmp_path), tmp_path) as web, chromium(tmp_path) as tools:
        desktop, _ = await open_page(tools, f"{web.url}/demo", tmp_path / "desktop-fa.png", DESKTOP)
        upright, _ = await open_page(tools, f"{web.url}/demo", tmp_path / "phone-fa.png", VIEWPORT)
        sideways, _ = await open_page(tools, f"{web.url}/demo", tmp_path / "sideways-fa.png", LANDSCAPE)
    assert desktop["qrShown"] == [True, True]
    assert all(q["loaded"] and q["width"] >= 100 for q in desktop["qr"])
    assert upright["qrShown"] == [False, False]
    assert sideways["qrShown"] == [False, False]
    for page in (desktop, upright, sideways):
        assert all(b["visible"] for b in page["buttons"])  # the buttons are there on every device


@pytest.mark.parametrize("path", ["/demo", "/"])
async def test_each_language_page_links_to_every_other_one(tmp_path: Path, path: str) -> None:
    config = web_config(tmp_path)
    config["channels"].append({"chat": "@kooch_news", "key": "news", "language": "en"})
    pages: dict[str, dict[str, Any]] = {}
    async with serving(config, tmp_path) as web, chromium(tmp_path) as tools:
        for lang in ("fa", "en", "ar"):
            pages[lang], _ = await open_page(
                tools, f"{web.url}{path}?lang={lang}", tmp_path / f"languages-{lang}.png"
            )
    names = {"fa": "فارسی", "en": "English", "ar": "العربية"}
    for lang, page in pages.items():
        assert page["lang"] == lang
        others = [o for o in names if o != lang]
        assert [(a["href"], a["lang"], a["text"]) for a in page["languages"]] == [
            (f"{path}?lang={o}", o, names[o]) for o in others
        ]
        assert all(a["visible"] for a in page["languages"])
