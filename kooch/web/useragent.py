"""Who opened a redirect link: the platform, and whether a person did, from the User-Agent alone.

A pure function, so the table of real User-Agent strings in the tests is the specification.
Telegram's in-app browsers send the system WebView's User-Agent (Android: Chrome WebView with
``; wv)``; iOS: Safari's WebKit), so they land on android/ios like the system browsers.
Telegram's link-preview fetcher says ``TelegramBot (like TwitterBot)``: it opens every link in a
post without a person, so it is a bot and never counts as a click.

iPadOS 13+ Safari asks for desktop pages and sends a Macintosh User-Agent: it counts as desktop.
Nothing here can tell; the ``web`` target is the right one for such a visitor anyway.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

#: Crawlers, link-preview fetchers and HTTP tools, matched case-insensitively anywhere in the UA.
_BOT_TOKENS = (
    "telegrambot",
    "twitterbot",
    "facebookexternalhit",
    "facebookcatalog",
    "meta-externalagent",
    "whatsapp/",
    "slackbot",
    "slack-imgproxy",
    "discordbot",
    "linkedinbot",
    "skypeuripreview",
    "vkshare",
    "pinterest",
    "redditbot",
    "embedly",
    "quora link preview",
    "googlebot",
    "google-inspectiontool",
    "googleother",
    "adsbot-google",
    "mediapartners-google",
    "feedfetcher-google",
    "apis-google",
    "bingbot",
    "bingpreview",
    "msnbot",
    "yandex",
    "baiduspider",
    "duckduckbot",
    "duckassistbot",
    "slurp",
    "applebot",
    "petalbot",
    "bytespider",
    "ahrefsbot",
    "semrushbot",
    "mj12bot",
    "dotbot",
    "gptbot",
    "chatgpt-user",
    "oai-searchbot",
    "claudebot",
    "claude-web",
    "perplexitybot",
    "ccbot",
    "ia_archiver",
    "archive.org_bot",
    "headlesschrome",
    "phantomjs",
    "lighthouse",
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp/",
    "go-http-client",
    "okhttp",
    "java/",
    "libwww-perl",
    "httpie",
    "postmanruntime",
    "node-fetch",
    "axios/",
)
_BOT_TOKENS_RE = re.compile("|".join(re.escape(t) for t in _BOT_TOKENS), re.IGNORECASE)
#: Generic crawler words followed by a version or a contact URL ("FooBot/2.1", "+http://...").
_GENERIC_BOT = re.compile(r"(?:bot|crawler|spider|crawl|preview)/\d|\+https?://|\bbot\b", re.IGNORECASE)

_ANDROID = re.compile(r"\bandroid\b", re.IGNORECASE)
_IOS = re.compile(r"\b(?:iphone|ipad|ipod)\b|\bios\b|cfnetwork/.*darwin", re.IGNORECASE)
_DESKTOP = re.compile(
    r"windows nt|macintosh|mac os x|\bx11\b|\bcros\b|linux x86_64|linux i686", re.IGNORECASE
)


@dataclass(frozen=True)
class Visitor:
    platform: str  # android, ios, desktop or other (the values the clicks table allows)
    is_bot: bool


@functools.lru_cache(maxsize=4096)
def classify(user_agent: str | None) -> Visitor:
    """The visitor's platform and whether it is a bot, a link preview or a script.

    Cached: a campaign's visitors share a few hundred User-Agent strings, and a redirect should
    not pay for a dozen regular expressions each time.
    """
    ua = (user_agent or "").strip()
    if not ua:
        # Browsers always send a User-Agent; an empty one is a script.
        return Visitor("other", True)
    is_bot = bool(_BOT_TOKENS_RE.search(ua) or _GENERIC_BOT.search(ua))
    return Visitor(_platform(ua), is_bot)


def _platform(ua: str) -> str:
    if _ANDROID.search(ua):
        return "android"
    if _IOS.search(ua):
        return "ios"
    if _DESKTOP.search(ua):
        return "desktop"
    return "other"
