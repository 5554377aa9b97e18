"""``config.yaml``: parsed into a frozen, typed :class:`Config`, or rejected with every error at once.

Admins edit this file by hand, often in a hurry, so validation is strict and talkative: unknown keys
are errors (a typo must not pass silently), every error names the file, the key path
(``services[2].url``) and the line and column, and Telegram's own limits are checked here, where
the input enters, rather than discovered as a ``400 Bad Request`` on the day of the move.

Secrets never live here: the bot token comes from the environment only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from telegram.constants import (
    CallbackQueryLimit,
    InlineKeyboardButtonLimit,
    InlineKeyboardMarkupLimit,
    MessageLimit,
)

from kooch.texts import DEFAULT_TEXTS, TEXT_KEYS, TOAST_KEYS

URL_SCHEMES = ("http://", "https://", "tg://")
SERVICE_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
CHANNEL_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,31}$")
USERNAME_RE = re.compile(r"^@[A-Za-z][A-Za-z0-9_]{3,31}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
#: What Telegram accepts after ``t.me/<bot>?start=``.
START_PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

#: Callback data of the "I've moved" button is ``ack:<channel key>``.
ACK_PREFIX = "ack:"


@dataclass(frozen=True)
class ConfigError:
    """One problem in a config file, located as precisely as the YAML allows."""

    file: str
    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line}, column {self.column})" if self.line is not None else ""
        path = f"{self.path}: " if self.path else ""
        return f"{self.file}: {path}{self.message}{where}"


class ConfigInvalid(Exception):
    """The config cannot be used; ``errors`` lists every problem found, not only the first."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class Service:
    key: str
    names: Mapping[str, str]
    url: str
    android: str | None = None
    ios: str | None = None
    web: str | None = None
    handle: str | None = None
    enabled: bool = True

    def name(self, language: str, fallback: str) -> str:
        """The service's name in ``language``, else in the fallback language, else any."""
        return self.names.get(language) or self.names.get(fallback) or next(iter(self.names.values()))


@dataclass(frozen=True)
class Channel:
    key: str
    chat: str | int
    language: str
    pin: bool = True
    announcement: str | None = None
    service_keys: tuple[str, ...] | None = None
    links_in_text: bool = True
    buttons_per_row: int = 2

    @property
    def label(self) -> str:
        """How operators see the channel: its @username, or its key and id."""
        return self.chat if isinstance(self.chat, str) else f"{self.key} ({self.chat})"

    @property
    def ack_data(self) -> str:
        return f"{ACK_PREFIX}{self.key}"


@dataclass(frozen=True)
class Config:
    path: str
    operators: frozenset[int]
    default_language: str
    sqlite_path: Path
    channels: tuple[Channel, ...]
    services: tuple[Service, ...]
    texts: Mapping[str, Mapping[str, str]]
    #: sha256 of the file's bytes, shown in /status and used to report a broken version once.
    version: str = ""
    timezone: str = "Asia/Tehran"

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.texts)

    def text(self, language: str, key: str) -> str:
        lang = language if language in self.texts else self.default_language
        return self.texts[lang][key]

    def language_for(self, language_code: str | None) -> str:
        """A subscriber's language: Telegram's ``language_code`` if we have texts for it."""
        if language_code:
            short = language_code.split("-")[0].lower()
            if short in self.texts:
                return short
        return self.default_language

    def channel(self, name: str) -> Channel | None:
        """Find a channel by key, ``@username`` (any case) or numeric id."""
        wanted = name.strip()
        for ch in self.channels:
            if wanted == ch.key or wanted == str(ch.chat):
                return ch
            if isinstance(ch.chat, str) and wanted.lstrip("@").lower() == ch.chat[1:].lower():
                return ch
        return None

    def channel_by_key(self, key: str) -> Channel | None:
        return next((c for c in self.channels if c.key == key), None)

    def services_for(self, channel: Channel | None) -> tuple[Service, ...]:
        """Enabled services for a channel, in its own order when it selects some."""
        if channel is None or channel.service_keys is None:
            return tuple(s for s in self.services if s.enabled)
        by_key = {s.key: s for s in self.services}
        return tuple(by_key[k] for k in channel.service_keys if by_key[k].enabled)

    def is_operator(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.operators


# --------------------------------------------------------------------------------------------
# YAML with positions


class _Located:
    """Plain Python values built from YAML nodes, with the position of every key path."""

    def __init__(self) -> None:
        self.marks: dict[str, tuple[int, int]] = {}
        self.duplicate_keys: list[tuple[str, tuple[int, int]]] = []
        self.complex_keys: list[tuple[str, tuple[int, int]]] = []

    def build(self, loader: yaml.SafeLoader, node: yaml.Node, path: str) -> Any:
        self.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            loader.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                child = _join(path, str(key))
                if not isinstance(key, str | int | float | bool) or key is None:
                    pos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                    self.complex_keys.append((_join(path, str(key)), pos))
                    continue
                if key in out:
                    pos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                    self.duplicate_keys.append((child, pos))
                out[key] = self.build(loader, value_node, child)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(loader, item, f"{path}[{i}]") for i, item in enumerate(node.value)]
        return loader.construct_object(node, deep=True)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _parent(path: str) -> str:
    """``services[2].url`` → ``services[2]`` → ``services`` → ``""``."""
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


# --------------------------------------------------------------------------------------------
# Validation


class _Checker:
    """Collects errors while reading plain values; each read names its key path."""

    def __init__(self, file: str, located: _Located) -> None:
        self.file = file
        self.located = located
        self.errors: list[ConfigError] = []

    def error(self, path: str, message: str) -> None:
        # A missing key has no position of its own: point at the closest parent that has one.
        probe = path
        while probe and probe not in self.located.marks:
            probe = _parent(probe)
        line, col = self.located.marks.get(probe, (None, None))
        self.errors.append(ConfigError(self.file, path, message, line, col))

    def mapping(self, value: Any, path: str, allowed: Iterable[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.error(path, f"must be a mapping of keys, not {_kind(value)}")
            return {}
        allowed_set = set(allowed)
        for key in value:
            if str(key) not in allowed_set:
                hint = _closest(str(key), allowed_set)
                extra = f" (did you mean '{hint}'?)" if hint else ""
                self.error(
                    _join(path, str(key)),
                    f"unknown key{extra}; allowed here: {', '.join(sorted(allowed_set))}",
                )
        return {str(k): v for k, v in value.items()}

    def string(self, m: dict[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
        p = _join(path, key)
        if key not in m or m[key] is None:
            if required:
                self.error(p, "is required")
            return None
        value = m[key]
        if not isinstance(value, str) or not value.strip():
            self.error(p, f"must be a non-empty text, not {_kind(value)}")
            return None
        return value

    def boolean(self, m: dict[str, Any], key: str, path: str, default: bool) -> bool:
        if key not in m:
            return default
        value = m[key]
        if not isinstance(value, bool):
            self.error(_join(path, key), f"must be true or false, not {_kind(value)}")
            return default
        return value

    def url(self, m: dict[str, Any], key: str, path: str, *, required: bool) -> str | None:
        value = self.string(m, key, path, required=required)
        if value is not None and not value.startswith(URL_SCHEMES):
            self.error(
                _join(path, key),
                f"'{value}' must start with http://, https:// or tg:// "
                "(Telegram refuses other links in buttons)",
            )
            return None
        if value is not None and any(c.isspace() for c in value):
            self.error(_join(path, key), f"'{value}' must not contain spaces")
            return None
        return value


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "a text",
        list: "a list",
        dict: "a mapping",
    }.get(type(value), type(value).__name__)


def _closest(word: str, options: set[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.75)
    return match[0] if match else None


TOP_KEYS = ("operators", "default_language", "timezone", "storage", "channels", "services", "texts")
STORAGE_KEYS = ("sqlite_path",)
CHANNEL_KEYS = (
    "chat",
    "key",
    "language",
    "pin",
    "announcement",
    "services",
    "links_in_text",
    "buttons_per_row",
)
SERVICE_KEYS = ("key", "name", "url", "android", "ios", "web", "handle", "enabled")


def parse_config(text: str, file: str = "config.yaml", base_dir: Path | None = None) -> Config:
    """Parse and validate config text; raise :class:`ConfigInvalid` listing every error."""
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            located = _Located()
            raw = located.build(loader, node, "") if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{exc.context}, {problem}"
        raise ConfigInvalid(
            [
                ConfigError(
                    file,
                    "",
                    f"YAML syntax error: {problem}",
                    mark.line + 1 if mark else None,
                    mark.column + 1 if mark else None,
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigInvalid([ConfigError(file, "", f"YAML error: {exc}")]) from None

    ck = _Checker(file, located)
    for dup_path, (line, col) in located.duplicate_keys:
        ck.errors.append(ConfigError(file, dup_path, "is given twice; keep only one", line, col))
    for bad_path, (line, col) in located.complex_keys:
        ck.errors.append(ConfigError(file, bad_path, "keys must be plain words", line, col))
    if raw is None:
        raise ConfigInvalid([ConfigError(file, "", "the file is empty")])
    top = ck.mapping(raw, "", TOP_KEYS)
    if not isinstance(raw, dict):
        raise ConfigInvalid(ck.errors)

    operators = _operators(ck, top)
    texts = _texts(ck, top)
    languages = set(texts)
    default_language = ck.string(top, "default_language", "", required=False) or "fa"
    if "default_language" in top and default_language not in languages:
        ck.error("default_language", f"'{default_language}' has no texts; known: {_list(languages)}")
        default_language = "fa"
    timezone = _timezone(ck, top)
    sqlite_path = _storage(ck, top, base_dir)
    services = _services(ck, top, default_language)
    channels = _channels(ck, top, languages, services, default_language)

    config = Config(
        path=file,
        operators=frozenset(operators),
        default_language=default_language,
        sqlite_path=sqlite_path,
        channels=tuple(channels),
        services=tuple(services),
        texts=texts,
        version=hashlib.sha256(text.encode()).hexdigest()[:12],
        timezone=timezone,
    )
    if not ck.errors:
        _check_rendered(ck, config)
    if ck.errors:
        raise ConfigInvalid(ck.errors)
    return config


def load_config(path: str | Path) -> Config:
    """Read and parse a config file; an unreadable file is a :class:`ConfigInvalid` too."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigInvalid([ConfigError(str(p), "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigInvalid([ConfigError(str(p), "", f"cannot be read: {exc}")]) from None
    return parse_config(text, str(p), base_dir=p.resolve().parent)


def _list(items: Iterable[str]) -> str:
    return ", ".join(sorted(items)) or "none"


def _operators(ck: _Checker, top: dict[str, Any]) -> list[int]:
    value = top.get("operators")
    if value is None:
        ck.error("operators", "is required: the Telegram user ids allowed to run operator commands")
        return []
    if not isinstance(value, list) or not value:
        ck.error("operators", "must be a non-empty list of Telegram user ids")
        return []
    out: list[int] = []
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int) or item <= 0:
            ck.error(f"operators[{i}]", f"must be a positive numeric user id, not {item!r}")
        elif item in out:
            ck.error(f"operators[{i}]", f"{item} is listed twice")
        else:
            out.append(item)
    return out


def _timezone(ck: _Checker, top: dict[str, Any]) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    tz = ck.string(top, "timezone", "", required=False) or "Asia/Tehran"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        ck.error("timezone", f"'{tz}' is not a known time zone (e.g. Asia/Tehran, UTC)")
        return "UTC"
    return tz


def _storage(ck: _Checker, top: dict[str, Any], base_dir: Path | None) -> Path:
    storage = ck.mapping(top.get("storage") or {}, "storage", STORAGE_KEYS)
    raw = ck.string(storage, "sqlite_path", "storage", required=False) or "data/kooch.db"
    path = Path(raw)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return path


def _texts(ck: _Checker, top: dict[str, Any]) -> dict[str, dict[str, str]]:
    out = {lang: dict(values) for lang, values in DEFAULT_TEXTS.items()}
    given = top.get("texts")
    if given is None:
        return out
    if not isinstance(given, dict):
        ck.error("texts", f"must be a mapping of languages, not {_kind(given)}")
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
            limit = CallbackQueryLimit.ANSWER_CALLBACK_QUERY_TEXT_LENGTH
            if key in values and len(values[key]) > limit:
                ck.error(
                    f"texts.{lang}.{key}",
                    f"is {len(values[key])} characters; Telegram shows at most {limit} in a toast",
                )
    return out


def _services(ck: _Checker, top: dict[str, Any], default_language: str) -> list[Service]:
    value = top.get("services")
    if not isinstance(value, list) or not value:
        ck.error("services", "must be a non-empty list of alternative services")
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
        enabled = ck.boolean(m, "enabled", path, True)
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
                )
            )
    return out


def _names(ck: _Checker, m: dict[str, Any], path: str, default_language: str) -> dict[str, str]:
    value = m.get("name")
    p = f"{path}.name"
    if isinstance(value, str) and value.strip():
        return {default_language: value}
    if isinstance(value, dict) and value:
        names: dict[str, str] = {}
        for lang, name in value.items():
            if not isinstance(name, str) or not name.strip():
                ck.error(f"{p}.{lang}", f"must be a non-empty text, not {_kind(name)}")
            else:
                names[str(lang)] = name
        return names
    ck.error(p, "is required: a text, or one per language like {fa: سروش, en: Soroush}")
    return {}


def _channels(
    ck: _Checker,
    top: dict[str, Any],
    languages: set[str],
    services: list[Service],
    default_language: str,
) -> list[Channel]:
    value = top.get("channels")
    if not isinstance(value, list) or not value:
        ck.error("channels", "must be a non-empty list of channels (each with at least chat:)")
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
            ck.error(f"{path}.language", f"'{language}' has no texts; known: {_list(languages)}")
        selection = _selection(ck, m, path, service_keys)
        per_row = m.get("buttons_per_row", 2)
        max_row = InlineKeyboardMarkupLimit.BUTTONS_PER_ROW
        if isinstance(per_row, bool) or not isinstance(per_row, int) or not 1 <= per_row <= max_row:
            ck.error(f"{path}.buttons_per_row", f"must be a number from 1 to {max_row}")
            per_row = 2
        announcement = ck.string(m, "announcement", path, required=False)
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
                )
            )
    return out


def _chat(ck: _Checker, value: Any, path: str) -> str | int | None:
    if value is None:
        ck.error(path, "is required: the channel's @username or numeric id (-100...)")
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value >= 0:
            ck.error(path, f"{value} is not a channel id; channel ids are negative (-100...)")
            return None
        return value
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-\d+", text):
            return int(text)
        if not text.startswith("@"):
            text = "@" + text
        if not USERNAME_RE.match(text):
            ck.error(path, f"'{value}' is not a valid @username (5-32 letters, digits or _)")
            return None
        return text
    ck.error(path, f"must be an @username or a numeric id, not {_kind(value)}")
    return None


def _selection(ck: _Checker, m: dict[str, Any], path: str, service_keys: set[str]) -> tuple[str, ...] | None:
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
            ck.error(f"{p}[{i}]", f"must be a service key (a word), not {_kind(key)}")
        elif key not in service_keys:
            ck.error(f"{p}[{i}]", f"'{key}' is not a service key; known: {_list(service_keys)}")
        elif key in out:
            ck.error(f"{p}[{i}]", f"'{key}' is listed twice")
        else:
            out.append(key)
    return tuple(out)


def _check_rendered(ck: _Checker, config: Config) -> None:
    """Check what Telegram will check: render each announcement and measure it."""
    from kooch.render import render_announcement, render_links

    for i, channel in enumerate(config.channels):
        path = f"channels[{i}]"
        if not config.services_for(channel):
            ck.error(path, "has no enabled service: the announcement would carry no links")
            continue
        post = render_announcement(config, channel)
        _check_post(ck, path, post.text, post.buttons, f"announcement of {channel.label}")
        data = channel.ack_data.encode()
        if len(data) > InlineKeyboardButtonLimit.MAX_CALLBACK_DATA:
            ck.error(f"{path}.key", "is too long for Telegram's 64-byte callback data")
    for lang in config.texts:
        post = render_links(config, lang, "welcome")
        _check_post(ck, f"texts.{lang}.welcome", post.text, post.buttons, f"/start reply ({lang})")


def _check_post(ck: _Checker, path: str, text: str, buttons: tuple[tuple[Any, ...], ...], what: str) -> None:
    if len(text) > MessageLimit.MAX_TEXT_LENGTH:
        ck.error(
            path,
            f"the {what} is {len(text)} characters; Telegram allows {MessageLimit.MAX_TEXT_LENGTH}",
        )
    total = sum(len(row) for row in buttons)
    if total > InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER:
        ck.error(
            path,
            f"the {what} has {total} buttons; Telegram allows "
            f"{InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER}",
        )
