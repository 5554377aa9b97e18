"""Reader of ``services[].arrivals`` (the destination channel whose members Kooch counts) and the
check that the tokens it names are in the environment.

The token is a secret: the file only names the environment variable that holds it, and a value
that looks like a token itself is refused (it would end up in backups and version control). The
API root is fetched by Kooch with the token in its path, so it must be https; plain http is
allowed only on loopback, where the tests and a local simulator listen.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from kooch.config.across import read_platform
from kooch.config.checker import MAX_TELEGRAM_ID, Checker, has_controls
from kooch.config.model import ArrivalsTarget, Config
from kooch.secrets import SecretError, secret

ARRIVALS_KEYS = ("api", "chat", "token_env", "platform")
#: An environment variable's name as shells write it.
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
#: What a Telegram-shaped bot token looks like (``123456:ABC-def…``): refused where a name belongs.
TOKEN_RE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")
#: A public channel's name on these platforms (Telegram's rules).
CHAT_NAME_RE = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,63}$")
LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_arrivals(ck: Checker, m: dict[str, Any], path: str) -> ArrivalsTarget | None:
    """``arrivals: {api, chat, token_env}`` of one service; None when absent or wrong."""
    if "arrivals" not in m or m["arrivals"] is None:
        return None
    p = f"{path}.arrivals"
    raw = m["arrivals"]
    if isinstance(raw, dict) and "token" in raw:
        ck.error(
            f"{p}.token",
            "a token never goes in the config file: put it in an environment variable and name "
            "that variable with token_env (e.g. token_env: BALE_BOT_TOKEN)",
        )
        raw = {k: v for k, v in raw.items() if k != "token"}
    a = ck.mapping(raw, p, ARRIVALS_KEYS)
    if not a:
        return None
    api = _api(ck, a, p)
    chat = _chat(ck, a, p)
    token_env = ck.string(a, "token_env", p)
    if token_env is not None:
        if TOKEN_RE.match(token_env.strip()):
            ck.error(
                f"{p}.token_env",
                "looks like a bot token itself; the token goes in an environment variable, and "
                "token_env names that variable (e.g. BALE_BOT_TOKEN)",
            )
            token_env = None
        elif not ENV_NAME_RE.match(token_env):
            ck.error(
                f"{p}.token_env",
                f"'{token_env}' is not an environment variable name (letters, digits and _, "
                "not starting with a digit; e.g. BALE_BOT_TOKEN)",
            )
            token_env = None
    platform = read_platform(ck, a, p, api)
    if api is None or chat is None or token_env is None:
        return None
    return ArrivalsTarget(api=api, chat=chat, token_env=token_env, platform=platform)


def _api(ck: Checker, a: dict[str, Any], p: str) -> str | None:
    api = ck.string(a, "api", p)
    if api is None:
        return None
    where = f"{p}.api"
    if has_controls(api) or any(c.isspace() for c in api):
        ck.error(where, f"'{api}' must not contain spaces or control characters")
        return None
    try:
        parts = urlsplit(api)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - a port out of range raises here
    except ValueError:
        ck.error(where, f"'{api}' is not a URL (e.g. https://tapi.bale.ai)")
        return None
    if not host or parts.scheme not in ("https", "http"):
        ck.error(where, f"'{api}' must be the bot API's https:// address, e.g. https://tapi.bale.ai")
        return None
    if parts.scheme == "http" and not is_loopback(host):
        ck.error(
            where,
            f"'{api}' must use https: the bot token travels in the address "
            "(plain http only on loopback, e.g. a local simulator)",
        )
        return None
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        ck.error(where, f"'{api}' must be a plain address, without a user, a ?query or a #fragment")
        return None
    return api.rstrip("/")


def _chat(ck: Checker, a: dict[str, Any], p: str) -> str | int | None:
    chat = a.get("chat")
    where = f"{p}.chat"
    if chat is None:
        ck.error(where, 'is required: the destination channel, "@name" or its numeric id')
        return None
    if isinstance(chat, int) and not isinstance(chat, bool):
        if chat == 0 or abs(chat) > MAX_TELEGRAM_ID:
            ck.error(where, f"{chat} is not a chat id")
            return None
        return chat
    if isinstance(chat, str) and CHAT_NAME_RE.match(chat.strip()):
        return chat.strip()
    ck.error(where, f'{chat!r} must be "@name" (the channel\'s public name there) or its numeric id')
    return None


def missing_tokens(config: Config, environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """(key path, message) for each enabled service whose ``token_env`` is not set in ``environ``
    (neither as itself nor as a ``<NAME>_FILE``: :mod:`kooch.secrets`), or whose file cannot be
    read: its destination is not counted until it is."""
    out = []
    for i, service in enumerate(config.services):
        target = service.arrivals
        if not service.enabled or target is None:
            continue
        try:
            token = secret(target.token_env, environ)
        except SecretError as exc:
            out.append((f"services[{i}].arrivals.token_env", str(exc)))
            continue
        if not (token or "").strip():
            out.append(
                (
                    f"services[{i}].arrivals.token_env",
                    f"{target.token_env} is not set in the environment: the members of "
                    f"{target.chat} are not counted until it holds the bot token for {target.api}",
                )
            )
    return out
