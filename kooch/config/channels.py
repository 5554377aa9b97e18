"""Readers of ``services:`` (the messengers the audience moves to) and ``channels:`` (the Telegram
channels whose posts link to them).

Keys and chats must be unique and every reference must resolve (a channel's ``services`` to
service keys, its ``language`` to texts), and the channel's texts must fit Telegram's limits.
"""

from __future__ import annotations

import re
from typing import Any

from kooch.config.arrivals import read_arrivals
from kooch.config.checker import MAX_TELEGRAM_ID, Checker, kind_of, known_list
from kooch.config.model import DEFAULT_REACH, MAX_CHAT_DESCRIPTION, MAX_CHAT_TITLE, Channel, Reach, Service
from kooch.config.reach import read_reach
from kooch.i18n import pgettext
from kooch.telegram import limits

SERVICE_KEYS = ("key", "name", "url", "android", "ios", "web", "handle", "enabled", "arrivals")
CHANNEL_KEYS: tuple[str, ...] = (
    "chat",
    "key",
    "language",
    "pin",
    "announcement",
    "services",
    "links_in_text",
    "buttons_per_row",
    # The live counter on the button, and what /moved writes into the channel's title and description.
    "counter",
    "moved_title_suffix",
    "moved_description",
    # The top level's reach: settings, for this channel (issue 26).
    "reach",
)
SERVICE_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
CHANNEL_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,31}$")
USERNAME_RE = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")


def moved_title_suffix(language: str) -> str:
    """The default ``moved_title_suffix`` of a channel in ``language`` (English where the
    catalogs have no words for it)."""
    return pgettext(language, "channel title", " → moved")


#: The default suffixes of the built-in languages (the catalogs hold them, and Arabic's).
MOVED_TITLE_SUFFIXES = {language: moved_title_suffix(language) for language in ("fa", "en")}


def read_services(ck: Checker, top: dict[str, Any], default_language: str) -> list[Service]:
    value = top.get("services")
    if not isinstance(value, list) or not value:
        ck.error("services", "must be a non-empty list of alternative services", "services_list")
        return []
    out: list[Service] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(value):
        path = f"services[{i}]"
        m = ck.mapping(item, path, SERVICE_KEYS)
        if not m:
            continue
        key = ck.string(m, "key", path)
        if key is not None and not SERVICE_KEY_RE.match(key):
            ck.error(f"{path}.key", f"'{key}' must be a slug: lowercase letters, digits, - or _")
            key = None
        elif key is not None and key in seen:
            ck.error(f"{path}.key", f"'{key}' is already the key of services[{seen[key]}]")
            key = None
        if key is not None:
            seen[key] = i
        names = _names(ck, m, path, default_language)
        url = ck.url(m, "url", path, required=True)
        urls = {k: ck.url(m, k, path, required=False) for k in ("android", "ios", "web")}
        handle = ck.string(m, "handle", path, required=False)
        if handle is not None and not ck.name(handle, f"{path}.handle"):
            handle = None
        enabled = ck.boolean(m, "enabled", path, True)
        arrivals = read_arrivals(ck, m, path)
        if key and names and url:
            out.append(
                Service(
                    key=key,
                    names=names,
                    url=url,
                    android=urls["android"],
                    ios=urls["ios"],
                    web=urls["web"],
                    handle=handle,
                    enabled=enabled,
                    arrivals=arrivals,
                )
            )
    return out


def _names(ck: Checker, m: dict[str, Any], path: str, default_language: str) -> dict[str, str]:
    value = m.get("name")
    p = f"{path}.name"
    if isinstance(value, str) and value.strip():
        return {default_language: value} if ck.name(value, p) else {}
    if isinstance(value, dict) and value:
        names: dict[str, str] = {}
        for lang, name in value.items():
            if not isinstance(name, str) or not name.strip():
                ck.error(f"{p}.{lang}", f"must be a non-empty text, not {kind_of(name)}")
            elif ck.name(name, f"{p}.{lang}"):
                names[str(lang)] = name
        return names
    ck.error(p, "is required: a text, or one per language like {fa: سروش, en: Soroush}")
    return {}


def read_channels(
    ck: Checker,
    top: dict[str, Any],
    languages: set[str],
    services: list[Service],
    default_language: str,
    reach: Reach = DEFAULT_REACH,
) -> list[Channel]:
    value = top.get("channels")
    if not isinstance(value, list) or not value:
        ck.error(
            "channels", "must be a non-empty list of channels (each with at least chat:)", "channels_list"
        )
        return []
    service_keys = {s.key for s in services}
    out: list[Channel] = []
    keys: dict[str, int] = {}
    chats: dict[str, int] = {}
    for i, item in enumerate(value):
        path = f"channels[{i}]"
        m = ck.mapping(item, path, CHANNEL_KEYS)
        if not m:
            continue
        chat = _chat(ck, m.get("chat"), f"{path}.chat")
        key_value = ck.string(m, "key", path, required=False)
        key: str | None
        if key_value is not None:
            key = key_value
            if not CHANNEL_KEY_RE.match(key):
                ck.error(f"{path}.key", f"'{key}' must be lowercase letters, digits or _ (≤ 32)")
                key = None
        elif isinstance(chat, str):
            key = chat[1:].lower()
        else:
            key = None
            if chat is not None:
                ck.error(f"{path}.key", "is required when chat is a numeric id")
        if chat is not None:
            if str(chat).lower() in chats:
                ck.error(f"{path}.chat", f"{chat} is already channels[{chats[str(chat).lower()]}]")
            chats[str(chat).lower()] = i
        if key is not None:
            if key in keys:
                ck.error(f"{path}.key", f"'{key}' is already the key of channels[{keys[key]}]")
            keys[key] = i
        language = ck.string(m, "language", path, required=False) or None
        if language is None and "language" not in m:
            language = default_language
        if language is not None and language not in languages:
            ck.error(
                f"{path}.language",
                f"'{language}' has no texts; known: {known_list(languages)}",
                "no_texts",
                value=language,
                known=known_list(languages),
            )
        selection = _selection(ck, m, path, service_keys)
        per_row = _buttons_per_row(ck, m, path)
        announcement = ck.string(m, "announcement", path, required=False)
        suffix, moved_description = _moved_texts(ck, m, path, language or default_language)
        if chat is not None and key is not None and language is not None:
            out.append(
                Channel(
                    key=key,
                    chat=chat,
                    language=language,
                    pin=ck.boolean(m, "pin", path, True),
                    announcement=announcement,
                    service_keys=selection,
                    links_in_text=ck.boolean(m, "links_in_text", path, True),
                    buttons_per_row=per_row,
                    counter=ck.boolean(m, "counter", path, False),
                    moved_title_suffix=suffix,
                    moved_description=moved_description,
                    reach=read_reach(ck, m, path, reach),
                )
            )
    return out


def _buttons_per_row(ck: Checker, m: dict[str, Any], path: str) -> int:
    """A channel's ``buttons_per_row``: 1 to Telegram's 8 (2 when left out or wrong)."""
    per_row = m.get("buttons_per_row", 2)
    max_row = limits.MAX_BUTTONS_PER_ROW
    if isinstance(per_row, bool) or not isinstance(per_row, int) or not 1 <= per_row <= max_row:
        ck.error(f"{path}.buttons_per_row", f"must be a number from 1 to {max_row}")
        return 2
    return per_row


def _moved_texts(ck: Checker, m: dict[str, Any], path: str, language: str) -> tuple[str, str | None]:
    """A channel's ``moved_title_suffix`` and ``moved_description``, within Telegram's limits."""
    suffix = moved_title_suffix(language)
    if "moved_title_suffix" in m:
        given = m["moved_title_suffix"]
        if not isinstance(given, str) or not given.strip():
            ck.error(f"{path}.moved_title_suffix", f"must be a non-empty text, not {kind_of(given)}")
        elif len(given) >= MAX_CHAT_TITLE:
            ck.error(
                f"{path}.moved_title_suffix",
                f"is {len(given)} characters; a chat title is at most {MAX_CHAT_TITLE} with it",
            )
        elif ck.name(given, f"{path}.moved_title_suffix"):
            suffix = given
    description = ck.string(m, "moved_description", path, required=False)
    if description is not None and len(description) > MAX_CHAT_DESCRIPTION:
        ck.error(
            f"{path}.moved_description",
            f"is {len(description)} characters; Telegram allows {MAX_CHAT_DESCRIPTION} in a description",
        )
        description = None
    return suffix, description


def _chat(ck: Checker, value: Any, path: str) -> str | int | None:
    if value is None:
        ck.error(path, "is required: the channel's @username or numeric id (-100...)", "chat_required")
        return None
    if isinstance(value, str) and re.fullmatch(r"-\d+", value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        if value >= 0:
            ck.error(path, f"{value} is not a channel id; channel ids are negative (-100...)")
            return None
        if value < -MAX_TELEGRAM_ID - 1:
            ck.error(path, f"{value} is too long for a Telegram chat id (ids fit in 64 bits)")
            return None
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("@"):
            text = "@" + text
        if not USERNAME_RE.match(text):
            ck.error(
                path,
                f"'{value}' is not a valid @username (5-32 letters, digits or _)",
                "not_username",
                value=value,
            )
            return None
        return text
    ck.error(path, f"must be an @username or a numeric id, not {kind_of(value)}")
    return None


def _selection(ck: Checker, m: dict[str, Any], path: str, service_keys: set[str]) -> tuple[str, ...] | None:
    if "services" not in m:
        return None
    value = m["services"]
    p = f"{path}.services"
    if not isinstance(value, list) or not value:
        ck.error(p, "must be a non-empty list of service keys (or be left out for all)")
        return None
    out: list[str] = []
    for i, key in enumerate(value):
        if not isinstance(key, str):
            ck.error(f"{p}[{i}]", f"must be a service key (a word), not {kind_of(key)}")
        elif key not in service_keys:
            ck.error(f"{p}[{i}]", f"'{key}' is not a service key; known: {known_list(service_keys)}")
        elif key in out:
            ck.error(f"{p}[{i}]", f"'{key}' is listed twice", "listed_twice", value=str(key))
        else:
            out.append(key)
    return tuple(out)
