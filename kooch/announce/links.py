"""Redirect links: how Kooch's ``/go/<service>`` URLs are written, and where they lead. Pure.

A link is ``<public_url>/go/<service>?c=<channel>&s=<source>``: the service key in the path, the
channel and the source (``post``, ``bot``, ``landing``, ``qr`` …) in the query. Only the service
and the channel choose the destination, and only among the configured ones: nothing in the URL
is ever used as a target.
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from kooch.config import Service

#: What a source may be (the same alphabet as a /start payload); anything else is stored as None.
SOURCE_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def redirect_path(service_key: str, channel_key: str | None, source: str | None) -> str:
    """The path and query of a redirect link, e.g. ``/go/soroush?c=demo&s=post``."""
    query = {k: v for k, v in (("c", channel_key), ("s", source)) if v}
    return f"/go/{service_key}" + (f"?{urlencode(query)}" if query else "")


def redirect_url(public_url: str, service_key: str, channel_key: str | None, source: str | None) -> str:
    return public_url.rstrip("/") + redirect_path(service_key, channel_key, source)


def best_target(service: Service, platform: str) -> str:
    """The service's app link for the visitor's platform (android, ios; web for desktops), else url."""
    chosen = {"android": service.android, "ios": service.ios, "desktop": service.web}.get(platform)
    return chosen or service.url


def clean_source(value: str | None) -> str | None:
    return value if value is not None and SOURCE_RE.match(value) else None
