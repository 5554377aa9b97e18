"""``config.yaml``: parsed into a frozen, typed :class:`Config`, or rejected with every error at once.

Admins edit this file by hand, often in a hurry, so validation is strict and talkative: unknown keys
are errors (a typo must not pass silently), every error names the file, the key path
(``services[2].url``) and the line and column, and Telegram's own limits are checked here, where
the input enters, rather than discovered as a ``400 Bad Request`` on the day of the move.

Secrets never live here: the bot token comes from the environment only.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from kooch.config.texts import DEFAULT_TEXTS, TEXT_KEYS, TOAST_KEYS
from kooch.telegram import limits

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
    #: Show the running count on the "I've moved" button (``✅ I've moved · 1,234``).
    counter: bool = False
    #: Appended to the channel's title by ``/moved`` (default by language, see MOVED_TITLE_SUFFIXES).
    moved_title_suffix: str = " → moved"
    #: First line(s) of the channel description set by ``/moved``; the links follow (None: default).
    moved_description: str | None = None

    @property
    def label(self) -> str:
        """How operators see the channel: its @username, or its key and id."""
        return self.chat if isinstance(self.chat, str) else f"{self.key} ({self.chat})"

    @property
    def ack_data(self) -> str:
        return f"{ACK_PREFIX}{self.key}"


@dataclass(frozen=True)
class WebConfig:
    """The built-in HTTP server (``web:``): redirect links, landing pages, webhook, health, metrics."""

    host: str
    port: int
    #: The https address the world sees (no trailing slash); None: buttons point at the services.
    public_url: str | None = None
    #: Receive updates by webhook at ``<public_url>/telegram-webhook`` instead of long polling.
    webhook: bool = False
    #: Telegram's ``max_connections`` for the webhook (1 to 100).
    max_connections: int = 40


@dataclass(frozen=True)
class PrivacyConfig:
    """The ``privacy:`` section: how long personal data is kept and what exports show."""

    #: Personal rows (acknowledgements, starts) older than this many days are deleted daily;
    #: None keeps them until the user sends /forget. Counts and charts stay right either way.
    retention_days: int | None = None
    #: Put real Telegram user ids in /export instead of pseudonyms (HMAC-SHA256, stable).
    export_user_ids: bool = False


@dataclass(frozen=True)
class ReminderConfig:
    """One scheduled reminder campaign (``reminders[]``; issue 6)."""

    #: When it is due (Unix time; written in the config as an ISO time in ``timezone``).
    at: float
    #: The text per language; ``*`` is the one text for every language.
    texts: Mapping[str, str]
    #: ``unmoved`` (not acknowledged) or ``all`` (everyone who started the bot).
    audience: str = "unmoved"
    channel: str | None = None
    language: str | None = None
    #: The ``at`` as written, for operators' messages.
    at_text: str = ""


@dataclass(frozen=True)
class CampaignSettings:
    """The ``campaigns:`` section: how fast reminder campaigns send (issue 6)."""

    #: Messages per second overall; Telegram allows about 30, the rest is headroom for the bot's
    #: own replies sent meanwhile.
    rate_per_s: float = 25.0
    #: Sends in flight at once. 1 keeps the promise "at most one duplicate after a crash"; more
    #: only helps above ~100 msg/s (paid broadcasts), and each one more is one more possible duplicate.
    in_flight: int = 1
    #: A reminder found overdue at start-up by at most this many seconds is sent; later, operators
    #: are asked.
    grace_s: float = 3600.0
    #: Seconds between two edits of a campaign's progress message.
    progress_every_s: float = 3.0


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
    #: The ``privacy:`` section (retention, exports; issue 5).
    privacy: PrivacyConfig = PrivacyConfig()
    #: The ``web:`` section; None when the bot runs without its HTTP server.
    web: WebConfig | None = None
    #: Least seconds between two updates of a channel's live counter (issue 3).
    counter_interval_s: float = 60.0
    #: A scheduled post found overdue at start-up by more than this is not posted without asking.
    schedule_grace_s: float = 900.0
    #: The ``campaigns:`` section and the scheduled ``reminders:`` (issue 6).
    campaigns: CampaignSettings = CampaignSettings()
    reminders: tuple[ReminderConfig, ...] = ()

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
        """The channel with this config key (every tap looks one up: a dict, built once)."""
        return self._channels_by_key.get(key)

    @functools.cached_property
    def _channels_by_key(self) -> dict[str, Channel]:
        return {c.key: c for c in self.channels}

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

    def number(
        self, m: dict[str, Any], key: str, path: str, default: float, *, minimum: float, maximum: float
    ) -> float:
        """A number of (e.g.) seconds within [minimum, maximum]; the default when absent."""
        if key not in m:
            return default
        value = m[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not minimum <= value <= maximum:
            self.error(_join(path, key), f"must be a number from {minimum:g} to {maximum:g}, not {value!r}")
            return default
        return float(value)

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


TOP_KEYS: tuple[str, ...] = (
    "operators",
    "default_language",
    "timezone",
    "storage",
    "channels",
    "services",
    "texts",
    "web",
    "privacy",
)
STORAGE_KEYS = ("sqlite_path",)
PRIVACY_KEYS = ("retention_days", "export_user_ids")
WEB_KEYS = ("listen", "public_url", "webhook", "max_connections")
#: Paths of the web server that a channel's landing page (``/<channel key>``) must not shadow.
WEB_RESERVED_PATHS = frozenset({"go", "healthz", "metrics", "static"})
CHANNEL_KEYS: tuple[str, ...] = (
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
# Issue 3 (the living announcement): the live counter, scheduled posts, the channel's moved state.
TOP_KEYS += ("counter_interval_s", "schedule_grace_s")
# Issue 6 (reminder campaigns): the campaign pace and the scheduled reminders.
TOP_KEYS += ("campaigns", "reminders")
CAMPAIGN_KEYS = ("rate_per_s", "in_flight", "grace_minutes", "progress_every_s")
REMINDER_KEYS = ("at", "text", "audience", "channel", "language")
CHANNEL_KEYS += ("counter", "moved_title_suffix", "moved_description")
#: Telegram's limits on a chat's title and description (setChatTitle, setChatDescription).
MAX_CHAT_TITLE = limits.MAX_CHAT_TITLE
MAX_CHAT_DESCRIPTION = limits.MAX_CHAT_DESCRIPTION
#: The default ``moved_title_suffix`` per channel language (others get the English one).
MOVED_TITLE_SUFFIXES = {"fa": " | کوچ کرد", "en": " → moved"}


#: A check of a whole, otherwise valid config: yields (key path, message) for each problem. The
#: features that turn the config into what Telegram sees (posts, buttons) check Telegram's limits
#: this way, so the config package needs to know nothing about rendering.
ConfigCheck = Callable[["Config"], Iterable[tuple[str, str]]]


def parse_config(
    text: str,
    file: str = "config.yaml",
    base_dir: Path | None = None,
    checks: Sequence[ConfigCheck] = (),
) -> Config:
    """Parse and validate config text; raise :class:`ConfigInvalid` listing every error.

    ``checks`` run only when everything else is valid, and report with the same key paths."""
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
    privacy = _privacy(ck, top)
    web = _web(ck, top)
    # Issue 3: the live counter's pace and how late a scheduled post may be posted unasked.
    counter_interval_s = ck.number(top, "counter_interval_s", "", 60.0, minimum=0.1, maximum=86400)
    schedule_grace_s = ck.number(top, "schedule_grace_s", "", 900.0, minimum=0, maximum=7 * 86400)
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
        web=web,
        counter_interval_s=counter_interval_s,
        schedule_grace_s=schedule_grace_s,
        privacy=privacy,
        campaigns=_campaign_settings(ck, top),
        reminders=_reminders(ck, top, timezone, languages, channels),
    )
    if web is not None:
        for i, channel in enumerate(config.channels):
            if channel.key in WEB_RESERVED_PATHS:
                ck.error(
                    f"channels[{i}].key",
                    f"'{channel.key}' is a path of Kooch's web server (/{channel.key}); choose another key",
                )
    if not ck.errors:
        for check in checks:
            for path, message in check(config):
                ck.error(path, message)
    if ck.errors:
        raise ConfigInvalid(ck.errors)
    return config


def load_config(path: str | Path, checks: Sequence[ConfigCheck] = ()) -> Config:
    """Read and parse a config file; an unreadable file is a :class:`ConfigInvalid` too."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigInvalid([ConfigError(str(p), "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigInvalid([ConfigError(str(p), "", f"cannot be read: {exc}")]) from None
    return parse_config(text, str(p), base_dir=p.resolve().parent, checks=checks)


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


def _privacy(ck: _Checker, top: dict[str, Any]) -> PrivacyConfig:
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


def _web(ck: _Checker, top: dict[str, Any]) -> WebConfig | None:
    if "web" not in top:
        return None
    m = ck.mapping(top["web"] if top["web"] is not None else {}, "web", WEB_KEYS)
    listen = ck.string(m, "listen", "web", required=False) or "127.0.0.1:8080"
    host, port = _listen(ck, listen)
    public_url = ck.string(m, "public_url", "web", required=False)
    if public_url is not None:
        parsed = urlsplit(public_url)
        if parsed.scheme != "https" or not parsed.hostname or parsed.query or parsed.fragment:
            ck.error(
                "web.public_url",
                f"'{public_url}' must be the https:// address the world sees, e.g. "
                "https://kooch.example.org (Telegram calls webhooks only over https)",
            )
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
        host=host, port=port, public_url=public_url, webhook=webhook, max_connections=max_connections
    )


def _listen(ck: _Checker, listen: str) -> tuple[str, int]:
    """``host:port`` (``[::1]:8080`` for IPv6); port 0 picks a free port (used by the tests)."""
    host, sep, port_text = listen.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        ck.error("web.listen", f"'{listen}' must be host:port, e.g. 127.0.0.1:8080 or 0.0.0.0:8080")
        return "127.0.0.1", 8080
    return host, int(port_text)


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
            limit = limits.MAX_ANSWER_TEXT
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
        max_row = limits.MAX_BUTTONS_PER_ROW
        if isinstance(per_row, bool) or not isinstance(per_row, int) or not 1 <= per_row <= max_row:
            ck.error(f"{path}.buttons_per_row", f"must be a number from 1 to {max_row}")
            per_row = 2
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
                )
            )
    return out


def _moved_texts(ck: _Checker, m: dict[str, Any], path: str, language: str) -> tuple[str, str | None]:
    """A channel's ``moved_title_suffix`` and ``moved_description``, within Telegram's limits."""
    suffix = MOVED_TITLE_SUFFIXES.get(language, MOVED_TITLE_SUFFIXES["en"])
    if "moved_title_suffix" in m:
        given = m["moved_title_suffix"]
        if not isinstance(given, str) or not given.strip():
            ck.error(f"{path}.moved_title_suffix", f"must be a non-empty text, not {_kind(given)}")
        elif len(given) >= MAX_CHAT_TITLE:
            ck.error(
                f"{path}.moved_title_suffix",
                f"is {len(given)} characters; a chat title is at most {MAX_CHAT_TITLE} with it",
            )
        else:
            suffix = given
    description = ck.string(m, "moved_description", path, required=False)
    if description is not None and len(description) > MAX_CHAT_DESCRIPTION:
        ck.error(
            f"{path}.moved_description",
            f"is {len(description)} characters; Telegram allows {MAX_CHAT_DESCRIPTION} in a description",
        )
        description = None
    return suffix, description


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


# --------------------------------------------------------------------------------------------
# Reminder campaigns (issue 6)


def _campaign_settings(ck: _Checker, top: dict[str, Any]) -> CampaignSettings:
    m = ck.mapping(top.get("campaigns") or {}, "campaigns", CAMPAIGN_KEYS)
    default = CampaignSettings()
    rate = ck.number(m, "rate_per_s", "campaigns", default.rate_per_s, minimum=0.1, maximum=1000)
    in_flight = ck.number(m, "in_flight", "campaigns", default.in_flight, minimum=1, maximum=64)
    if in_flight != int(in_flight):
        ck.error("campaigns.in_flight", f"must be a whole number, not {in_flight:g}")
    grace = ck.number(m, "grace_minutes", "campaigns", default.grace_s / 60, minimum=0, maximum=7 * 1440)
    every = ck.number(m, "progress_every_s", "campaigns", default.progress_every_s, minimum=1, maximum=60)
    return CampaignSettings(rate, int(in_flight), grace * 60, every)


def _reminders(
    ck: _Checker, top: dict[str, Any], timezone: str, languages: set[str], channels: list[Channel]
) -> tuple[ReminderConfig, ...]:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    value = top.get("reminders")
    if value is None:
        return ()
    if not isinstance(value, list):
        ck.error("reminders", f"must be a list of reminders (each with at: and text:), not {_kind(value)}")
        return ()
    out: list[ReminderConfig] = []
    seen: dict[tuple[float, str, str | None, str | None], int] = {}
    for i, item in enumerate(value):
        path = f"reminders[{i}]"
        m = ck.mapping(item, path, REMINDER_KEYS)
        if not m:
            continue
        raw_at = m.get("at")
        at: float | None = None
        if isinstance(raw_at, datetime):  # YAML reads an unquoted 2025-06-01 09:00:00 as a datetime
            raw_at = raw_at.isoformat()
        if not isinstance(raw_at, str):
            ck.error(f"{path}.at", "is required: an ISO time such as '2025-06-01T09:00' (in timezone)")
        else:
            try:
                when = datetime.fromisoformat(raw_at.strip())
            except ValueError:
                ck.error(f"{path}.at", f"'{raw_at}' is not an ISO time such as '2025-06-01T09:00'")
            else:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=ZoneInfo(timezone))
                at = when.timestamp()
        texts: dict[str, str] = {}
        raw_text = m.get("text")
        if isinstance(raw_text, str) and raw_text.strip():
            texts["*"] = raw_text
        elif isinstance(raw_text, dict) and raw_text:
            for lang, text in raw_text.items():
                if str(lang) not in languages:
                    ck.error(f"{path}.text.{lang}", f"'{lang}' has no texts; known: {_list(languages)}")
                elif not isinstance(text, str) or not text.strip():
                    ck.error(f"{path}.text.{lang}", f"must be a non-empty text, not {_kind(text)}")
                else:
                    texts[str(lang)] = text
        else:
            ck.error(f"{path}.text", "is required: a text, or one per language like {fa: ..., en: ...}")
        for lang, text in texts.items():
            if len(text) > limits.MAX_TEXT_LENGTH:
                where = f"{path}.text" if lang == "*" else f"{path}.text.{lang}"
                ck.error(where, f"is {len(text)} characters; Telegram allows {limits.MAX_TEXT_LENGTH}")
        audience = ck.string(m, "audience", path, required=False) or "unmoved"
        if audience not in ("unmoved", "all"):
            ck.error(f"{path}.audience", f"'{audience}' must be unmoved (the default) or all")
        channel = ck.string(m, "channel", path, required=False)
        if channel is not None and not any(c.key == channel for c in channels):
            known = ", ".join(c.key for c in channels)
            ck.error(f"{path}.channel", f"'{channel}' is not a channel key; known: {known}")
        language = ck.string(m, "language", path, required=False)
        if language is not None and language not in languages:
            ck.error(f"{path}.language", f"'{language}' has no texts; known: {_list(languages)}")
        if at is None or not texts:
            continue
        identity = (at, audience, channel, language)
        if identity in seen:
            ck.error(path, f"is the same time and audience as reminders[{seen[identity]}]")
            continue
        seen[identity] = i
        out.append(ReminderConfig(at, texts, audience, channel, language, str(raw_at)))
    return tuple(out)
