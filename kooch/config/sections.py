"""Readers of the small sections of ``config.yaml``: operators, timezone, storage, privacy, web, texts.

Each takes the top-level mapping and the :class:`Checker`, and returns the section's value (a
default where the section is wrong, so that the other sections are still checked).
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kooch.config.checker import MAX_TELEGRAM_ID, Checker, kind_of
from kooch.config.model import PrivacyConfig, WebConfig
from kooch.config.texts import DEFAULT_TEXTS, TEXT_KEYS, TOAST_KEYS
from kooch.i18n import SUPPORTED
from kooch.telegram import limits

STORAGE_KEYS = ("sqlite_path", "url")
#: The schemes of a PostgreSQL URL, as libpq and asyncpg read them.
POSTGRESQL_SCHEMES = ("postgresql", "postgres")
PRIVACY_KEYS = ("retention_days", "export_user_ids")
WEB_KEYS = ("listen", "public_url", "webhook", "max_connections", "access_log_details")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")


OPERATOR_KEYS = ("id", "language")


def read_operators(ck: Checker, top: dict[str, Any]) -> tuple[list[int], dict[int, str]]:
    """The operators' ids, and the language of those who chose one (``{id: 123, language: fa}``
    beside plain ids): it wins over their Telegram app's language."""
    value = top.get("operators")
    if value is None:
        ck.error(
            "operators",
            "is required: the Telegram user ids allowed to run operator commands",
            "operators_list",
        )
        return [], {}
    if not isinstance(value, list) or not value:
        ck.error("operators", "must be a non-empty list of Telegram user ids", "operators_list")
        return [], {}
    out: list[int] = []
    languages: dict[int, str] = {}
    for i, item in enumerate(value):
        path = f"operators[{i}]"
        language = None
        if isinstance(item, dict):
            entry = ck.mapping(item, path, OPERATOR_KEYS)
            if "id" not in entry:
                ck.error(path, "needs an id: {id: 123456789, language: fa}")
                continue
            item = entry["id"]
            path = f"{path}.id"
            language = read_operator_language(ck, entry, f"operators[{i}]")
        if isinstance(item, bool) or not isinstance(item, int) or item <= 0:
            ck.error(
                path, f"must be a positive numeric user id, not {item!r}", "not_user_id", value=repr(item)
            )
        elif item > MAX_TELEGRAM_ID:
            ck.error(path, f"{item} is too long for a Telegram user id (ids fit in 64 bits)")
        elif item in out:
            ck.error(path, f"{item} is listed twice", "listed_twice", value=str(item))
        else:
            out.append(item)
            if language is not None:
                languages[item] = language
    return out, languages


def read_operator_language(ck: Checker, entry: dict[str, Any], path: str) -> str | None:
    """An operator's chosen language: one Kooch has a catalog for."""
    raw = entry.get("language")
    if raw is None:
        return None
    value = raw.strip().lower() if isinstance(raw, str) else None
    if value not in SUPPORTED:
        shown = repr(raw) if not isinstance(raw, str) else f"'{raw}'"
        ck.error(
            f"{path}.language",
            f"{shown} is not a language Kooch speaks to operators; known: {', '.join(sorted(SUPPORTED))}",
        )
        return None
    return value


def read_timezone(ck: Checker, top: dict[str, Any]) -> str:
    tz = ck.string(top, "timezone", "", required=False) or "Asia/Tehran"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        ck.error(
            "timezone", f"'{tz}' is not a known time zone (e.g. Asia/Tehran, UTC)", "unknown_zone", value=tz
        )
        return "UTC"
    return tz


def read_storage(ck: Checker, top: dict[str, Any], base_dir: Path | None) -> tuple[Path, str | None]:
    """``storage.sqlite_path`` (the default database, and the folder of the bot's other files) and
    ``storage.url``, a PostgreSQL database without its password (KOOCH_DATABASE_URL carries one)."""
    storage = ck.mapping(top.get("storage") or {}, "storage", STORAGE_KEYS)
    raw = ck.string(storage, "sqlite_path", "storage", required=False) or "data/kooch.db"
    path = Path(raw)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    url = ck.string(storage, "url", "storage", required=False)
    if url is None:
        return path, None
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError as exc:
        ck.error("storage.url", f"is not a URL ({exc})")
        return path, None
    if parts.scheme not in POSTGRESQL_SCHEMES or not (parts.path.strip("/") or parts.hostname):
        ck.error("storage.url", "must be a PostgreSQL URL such as postgresql://kooch@db.example/kooch")
        return path, None
    if password is not None:
        # Whoever can read the config would read the password; and config.yaml is often in git.
        ck.error(
            "storage.url",
            "must not hold a password: set the whole URL, password included, in the environment "
            "variable KOOCH_DATABASE_URL instead (or use a ~/.pgpass file)",
        )
        return path, None
    return path, url


def read_privacy(ck: Checker, top: dict[str, Any]) -> PrivacyConfig:
    m = ck.mapping(top.get("privacy") or {}, "privacy", PRIVACY_KEYS)
    days = m.get("retention_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
        ck.error(
            "privacy.retention_days",
            f"must be a whole number of days (at least 1), or left out to keep data until /forget; "
            f"not {days!r}",
        )
        days = None
    return PrivacyConfig(
        retention_days=days,
        export_user_ids=ck.boolean(m, "export_user_ids", "privacy", False),
    )


#: Telegram's own Bot API server: it calls webhooks only over https.
TELEGRAM_API_HOST = "api.telegram.org"


def plain_http_refused(public_url: str, api_url: str) -> str | None:
    """Why an ``http://`` ``public_url`` cannot work, or None when it can: the host is loopback or a
    private address (a reverse proxy, a test, a self-hosted Bot API server beside Kooch), or
    Kooch talks to a Bot API server other than Telegram's (``--local`` mode accepts http)."""
    host = urlsplit(public_url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None and (address.is_loopback or address.is_private):
        return None
    if (urlsplit(api_url).hostname or "").lower() != TELEGRAM_API_HOST:
        return None
    return (
        f"'{public_url}' must be https://: Telegram's Bot API ({TELEGRAM_API_HOST}) calls webhooks "
        "only over https. http:// works only for a loopback or private address, or with a "
        "self-hosted Bot API server in --local mode (TELEGRAM_API_URL)"
    )


def read_web(ck: Checker, top: dict[str, Any], api_url: str) -> WebConfig | None:
    if "web" not in top:
        return None
    m = ck.mapping(top["web"] if top["web"] is not None else {}, "web", WEB_KEYS)
    listen = ck.string(m, "listen", "web", required=False) or "127.0.0.1:8080"
    host, port = _listen(ck, listen)
    public_url = ck.string(m, "public_url", "web", required=False)
    if public_url is not None:
        parsed = urlsplit(public_url)
        refused = plain_http_refused(public_url, api_url) if parsed.scheme == "http" else None
        if parsed.scheme not in ("https", "http") or not parsed.hostname or parsed.query or parsed.fragment:
            ck.error(
                "web.public_url",
                f"'{public_url}' must be the https:// address the world sees, e.g. "
                "https://kooch.example.org (Telegram calls webhooks only over https)",
            )
            public_url = None
        elif refused is not None:
            ck.error("web.public_url", refused)
            public_url = None
        elif any(c.isspace() for c in public_url):
            ck.error("web.public_url", f"'{public_url}' must not contain spaces")
            public_url = None
        else:
            public_url = public_url.rstrip("/")
    webhook = ck.boolean(m, "webhook", "web", False)
    if webhook and public_url is None and "public_url" not in m:
        ck.error("web.webhook", "needs web.public_url: the https address Telegram will call")
    max_connections = m.get("max_connections", 40)
    if (
        isinstance(max_connections, bool)
        or not isinstance(max_connections, int)
        or not (1 <= max_connections <= 100)
    ):
        ck.error("web.max_connections", "must be a number from 1 to 100 (Telegram's limit)")
        max_connections = 40
    return WebConfig(
        host=host,
        port=port,
        public_url=public_url,
        webhook=webhook,
        max_connections=max_connections,
        access_log_details=ck.boolean(m, "access_log_details", "web", False),
    )


def _listen(ck: Checker, listen: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:8080`` for IPv6); port 0 picks a free port (used by the tests)."""
    host, sep, port_text = listen.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        ck.error("web.listen", f"'{listen}' must be host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
        return "127.0.0.1", 8080
    return host, int(port_text)


def read_texts(ck: Checker, top: dict[str, Any]) -> dict[str, dict[str, str]]:
    out = {lang: dict(values) for lang, values in DEFAULT_TEXTS.items()}
    given = top.get("texts")
    if given is None:
        return out
    if not isinstance(given, dict):
        ck.error("texts", f"must be a mapping of languages, not {kind_of(given)}")
        return out
    for lang, values in given.items():
        path = f"texts.{lang}"
        if not isinstance(lang, str) or not LANGUAGE_RE.match(lang):
            ck.error(path, "language must be a two- or three-letter code such as fa or en")
            continue
        m = ck.mapping(values, path, TEXT_KEYS)
        base = out.setdefault(lang, {})
        for key in m:
            if key in TEXT_KEYS:
                text = ck.string(m, key, path)
                if text is not None:
                    base[key] = text
        missing = [k for k in TEXT_KEYS if k not in base]
        if missing:
            ck.error(path, f"a new language must give every text; missing: {', '.join(missing)}")
    for lang, values in out.items():
        for key in TOAST_KEYS:
            limit = limits.MAX_ANSWER_TEXT
            if key in values and len(values[key]) > limit:
                ck.error(
                    f"texts.{lang}.{key}",
                    f"is {len(values[key])} characters; Telegram shows at most {limit} in a toast",
                )
    return out
