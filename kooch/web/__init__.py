"""Kooch's built-in HTTP server (aiohttp): redirect links that count clicks, the "we moved" landing
pages, the Bot API webhook, ``/healthz`` and ``/metrics``.

Modules: :mod:`links` (redirect URLs and targets, pure), :mod:`useragent` (platform and bot
detection, pure), :mod:`pages` (HTML, pure), :mod:`metrics` (Prometheus), :mod:`server` (routes
and lifecycle), :mod:`webhook` (setWebhook and the secret). Importing this package imports
nothing heavy, so :mod:`kooch.render` can use :mod:`links`.
"""
