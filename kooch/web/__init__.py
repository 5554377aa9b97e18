"""Kooch's built-in HTTP server (aiohttp): redirect links that count clicks, the "we moved" landing
pages, the Bot API webhook's endpoint, ``/healthz`` and ``/metrics``.

Modules: :mod:`useragent` (platform and bot detection, pure), :mod:`pages` (HTML, pure),
:mod:`cache` (each page rendered once per config version), :mod:`limits` (deadlines and the
connection cap), :mod:`logs` (access log and short protocol errors), :mod:`server` (routes and
lifecycle). The redirect URLs themselves are the announcement's
(:mod:`kooch.announce.links`); the Telegram side of the webhook is :mod:`kooch.telegram.webhook`.
"""
