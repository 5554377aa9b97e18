"""The pages of the config in force, each rendered once, in a worker thread.

A QR code takes milliseconds to draw (about 6 ms each here), and the event loop that serves the
pages also answers the subscribers' taps: drawn per request, a thousand visitors at once stalled
the bot for seconds. A page depends on nothing but the config, the page's channel and its
language, so it is rendered once per config version and served from memory after that; a new
version drops the old pages. The first request for a page starts its rendering off the loop and
every request arriving meanwhile waits for that same rendering.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from kooch.web.pages import qr_data_uri

#: What tells one page from another: (kind, the channel key in the path or None, language).
#: Every part comes from the config or a fixed list, never from the request as it was written, so
#: the cache holds a bounded number of pages.
PageKey = tuple[str, str | None, str]


class PageCache:
    """The rendered pages (UTF-8 bytes) and QR codes of one config version."""

    def __init__(self) -> None:
        self._version: str | None = None
        self._pages: dict[PageKey, asyncio.Future[bytes]] = {}
        self._qr: dict[str, str] = {}
        self._qr_lock = threading.Lock()
        #: Pages rendered since the start (a counter for tests and benchmarks).
        self.renders = 0
        #: QR codes drawn since the start.
        self.qr_renders = 0

    async def page(self, version: str, key: PageKey, render: Callable[[], str]) -> bytes:
        """The page ``key`` of config ``version``: ``render()`` runs once, in a worker thread."""
        if version != self._version:
            self._version = version
            self._pages.clear()
            with self._qr_lock:
                self._qr.clear()
        pending = self._pages.get(key)
        if pending is None:
            self.renders += 1
            pending = asyncio.ensure_future(asyncio.to_thread(lambda: render().encode()))
            self._pages[key] = pending
        try:
            # Shielded: one visitor going away must not cancel the page the others wait for.
            return await asyncio.shield(pending)
        except Exception:
            if self._pages.get(key) is pending:  # a failed rendering is retried by the next request
                del self._pages[key]
            raise

    def qr(self, target: str) -> str:
        """The QR code of ``target`` as a data URI, drawn once (pages in several languages share
        it). Called from the rendering threads."""
        with self._qr_lock:
            uri = self._qr.get(target)
        if uri is None:
            uri = qr_data_uri(target)
            with self._qr_lock:
                self._qr[target] = uri
                self.qr_renders += 1
        return uri
