"""Checking the destination links: fetch every configured URL and give it a verdict.

Only the URLs of the config are fetched: :func:`configured_links` takes a :class:`Config` and
nothing else, and nothing a user sends can name a URL. Each fetch follows redirects by hand (at
most :data:`MAX_REDIRECTS`, so the final host can be compared with the configured one), verifies
TLS, gives up after a timeout, reads at most :data:`BODY_CAP` bytes, sends no cookie, no
credentials (a ``user:password@`` in a URL is dropped) and no proxy settings from the
environment, and names itself with a plain User-Agent.
"""

from __future__ import annotations

import asyncio
import enum
import errno
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from yarl import URL

from kooch.config import Config
from kooch.version import version


def user_agent() -> str:
    """What the link checks call themselves: Kooch's version (pyproject.toml's, :mod:`kooch.version`)."""
    return f"Kooch-link-check/{version()}"


#: Redirects followed before giving up: enough for http → https → www → the page.
MAX_REDIRECTS = 5
#: Seconds for one URL, redirects included.
TIMEOUT_S = 10.0
#: Bytes of a body read at most: enough to know the page answers, too little to exhaust anything.
BODY_CAP = 64 * 1024
#: URLs fetched at once. A post lists about ten services with up to four links each: all of them
#: at once, so a preview waits about one timeout at worst, not one per hung link
#: (bench/link_checks.py: ceil(links / CONCURRENCY) × timeout is the bound).
CONCURRENCY = 32
#: The fields of a service that hold a link, in the order operators see them.
LINK_FIELDS = ("url", "android", "ios", "web")
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})


class Kind(enum.StrEnum):
    OK = "ok"
    REDIRECTED = "redirected"
    HTTP_ERROR = "http_error"
    TLS_ERROR = "tls_error"
    DNS_FAILURE = "dns_failure"
    TIMEOUT = "timeout"
    REFUSED = "refused"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    #: Any other failure to get an answer (a reset connection, a malformed response).
    FAILED = "failed"


@dataclass(frozen=True)
class Verdict:
    kind: Kind
    #: The last HTTP status received (None: no answer at all).
    status: int | None = None
    #: Where the redirects ended (only when that is not the configured URL).
    final_url: str | None = None
    #: What went wrong, in the library's words (for the operators' "why").
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.kind is Kind.OK


@dataclass(frozen=True)
class Link:
    """One configured URL: which service, which field."""

    service: str
    field: str
    url: str


@dataclass(frozen=True)
class LinkResult:
    link: Link
    verdict: Verdict


def configured_links(config: Config) -> list[Link]:
    """Every link of every enabled service, in the config's order (the only URLs ever fetched)."""
    links = []
    for service in config.services_for(None):
        for field in LINK_FIELDS:
            url = getattr(service, field)
            # tg:// links open Telegram itself: nothing to fetch.
            if isinstance(url, str) and url.startswith(("http://", "https://")):
                links.append(Link(service.key, field, url))
    return links


def _same_host(configured: str, final: str) -> bool:
    """A redirect from ``splus.ir`` to ``www.splus.ir`` (or back) stays on the same site."""

    def bare(host: str) -> str:
        host = host.lower().rstrip(".")
        return host[4:] if host.startswith("www.") else host

    return bare(configured) == bare(final)


def _without_credentials(url: URL) -> URL:
    return url.with_user(None) if url.user or url.password else url


async def _fetch(session: aiohttp.ClientSession, url: str, ssl_context: ssl.SSLContext | bool) -> Verdict:
    start = _without_credentials(URL(url))
    current = start
    for _hop in range(MAX_REDIRECTS + 1):
        async with session.get(current, allow_redirects=False, ssl=ssl_context) as response:
            status = response.status
            if status in REDIRECT_CODES and "Location" in response.headers:
                target = current.join(URL(response.headers["Location"]))
                if target.scheme not in ("http", "https"):
                    # An app's own scheme (intent://, market://): the web stops here, elsewhere.
                    return Verdict(Kind.REDIRECTED, status, str(target))
                current = _without_credentials(target)
                continue
            await response.content.read(BODY_CAP)
        final = None if current == start else str(current)
        if status >= 400:
            return Verdict(Kind.HTTP_ERROR, status, final)
        if not _same_host(start.host or "", current.host or ""):
            return Verdict(Kind.REDIRECTED, status, final)
        return Verdict(Kind.OK, status, final)
    return Verdict(Kind.TOO_MANY_REDIRECTS, None, str(current), f"more than {MAX_REDIRECTS} redirects")


def _refused(exc: aiohttp.ClientConnectorError) -> bool:
    error = exc.os_error
    return isinstance(error, ConnectionRefusedError) or error.errno == errno.ECONNREFUSED


async def check_url(
    session: aiohttp.ClientSession,
    url: str,
    *,
    timeout: float = TIMEOUT_S,
    ssl_context: ssl.SSLContext | bool = True,
) -> Verdict:
    """The verdict on one URL (never raises for what a network can do)."""
    try:
        async with asyncio.timeout(timeout):
            return await _fetch(session, url, ssl_context)
    except TimeoutError:
        return Verdict(Kind.TIMEOUT, detail=f"no answer within {timeout:g} s")
    except aiohttp.ClientConnectorDNSError as exc:
        return Verdict(Kind.DNS_FAILURE, detail=str(exc.os_error))
    except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as exc:
        return Verdict(Kind.TLS_ERROR, detail=str(exc))
    except aiohttp.ClientConnectorError as exc:
        if _refused(exc):
            return Verdict(Kind.REFUSED, detail=str(exc.os_error))
        return Verdict(Kind.FAILED, detail=str(exc))
    except (aiohttp.ClientError, ValueError) as exc:
        # ValueError: a Location header that is not a URL.
        return Verdict(Kind.FAILED, detail=f"{type(exc).__name__}: {exc}")


async def check_links(
    links: Sequence[Link],
    *,
    timeout: float = TIMEOUT_S,
    ssl_context: ssl.SSLContext | bool = True,
) -> list[LinkResult]:
    """Every link's verdict, in the given order; a URL listed twice is fetched once."""
    unique = list(dict.fromkeys(link.url for link in links))
    limit = asyncio.Semaphore(CONCURRENCY)
    async with aiohttp.ClientSession(
        headers={"User-Agent": user_agent()},
        cookie_jar=aiohttp.DummyCookieJar(),
        # No proxy, no .netrc credentials from the environment: the request is exactly the URL.
        trust_env=False,
        # asyncio.timeout above bounds the whole URL; these only stop aiohttp's own 5-minute default.
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout),
    ) as session:

        async def one(url: str) -> Verdict:
            async with limit:
                return await check_url(session, url, timeout=timeout, ssl_context=ssl_context)

        verdicts = dict(zip(unique, await asyncio.gather(*(one(u) for u in unique)), strict=True))
    return [LinkResult(link, verdicts[link.url]) for link in links]


async def check_config(
    config: Config, *, timeout: float = TIMEOUT_S, ssl_context: ssl.SSLContext | bool = True
) -> list[LinkResult]:
    """The verdict on every link the config names."""
    return await check_links(configured_links(config), timeout=timeout, ssl_context=ssl_context)


def broken(results: Sequence[LinkResult]) -> list[LinkResult]:
    return [r for r in results if not r.verdict.ok]
