"""What a valid config is: the frozen, typed :class:`Config` and its parts, and the errors that
reject a config that is not.

Everything here is plain data with a few look-ups; building it from ``config.yaml`` is
:mod:`kooch.config.load`. Secrets never live in the config: the bot token comes from the
environment only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kooch.i18n import paragraph, resolve_language
from kooch.telegram import limits

#: What Telegram accepts after ``t.me/<bot>?start=``.
START_PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

#: Callback data of the "I've moved" button is ``ack:<channel key>``.
ACK_PREFIX = "ack:"

#: Telegram's limits on a chat's title and description (setChatTitle, setChatDescription).
MAX_CHAT_TITLE = limits.MAX_CHAT_TITLE
MAX_CHAT_DESCRIPTION = limits.MAX_CHAT_DESCRIPTION


@dataclass(frozen=True)
class ConfigError:
    """One problem in a config file, located as precisely as the YAML allows."""

    file: str
    path: str
    message: str
    line: int | None = None
    column: int | None = None
    #: The same problem as data, for words in the reader's language (:mod:`kooch.config.wording`):
    #: a code such as ``required`` or ``yaml_syntax``, and the values its sentence names. Empty
    #: for problems that only have ``message`` (English), which a notice then shows as it is.
    code: str = ""
    values: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        where = f" (line {self.line}, column {self.column})" if self.line is not None else ""
        path = f"{self.path}: " if self.path else ""
        # The message quotes what the file says: a line break or a terminal escape in it must show
        # as such, not split the error (or the operator's message) or redraw the terminal.
        return escape_controls(f"{self.file}: {path}{self.message}{where}")


#: Characters shown escaped in errors: C0 and C1 controls, DEL, and the Unicode line separators.
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """``a\nb`` → ``a\\nb``: each control character as its Python escape (``\\x00``, ``\\u2028``)."""
    return CONTROL_RE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class ConfigInvalid(Exception):
    """The config cannot be used; ``errors`` lists every problem found, not only the first."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True)
class MirrorConfig:
    """``mirror: {until, services}``: new posts of the announced channels are copied to these
    services' destination channels (``services[].arrivals``) until ``until_at`` (Unix seconds),
    or for ``for_s`` seconds after the first announcement (one of the two is set)."""

    until_at: float | None
    for_s: float | None
    services: tuple[str, ...]
    #: Posts (and edits) sent to one destination channel per minute at most (Telegram's limit for
    #: a channel is 20; the destinations publish none).
    per_minute: float = 20.0

    def active(self, now: float, announced_at: float | None) -> bool:
        """Mirroring now? (Before the first announcement, a duration has not begun to run.)"""
        if self.until_at is not None:
            return now < self.until_at
        return announced_at is None or self.for_s is None or now < announced_at + self.for_s


@dataclass(frozen=True)
class ArrivalsTarget:
    """A service's destination channel on its own platform, whose members Kooch counts
    (``services[].arrivals``): a bot API shaped like Telegram's (Bale, Soroush+)."""

    #: The platform's bot API root, e.g. ``https://tapi.bale.ai`` (no trailing slash): the only URL
    #: fetched, as ``<api>/bot<token>/getChatMemberCount``.
    api: str
    #: The destination channel there: ``@name`` or its numeric id.
    chat: str | int
    #: The environment variable holding that platform's bot token (never the token itself).
    token_env: str
    #: ``bale`` or ``soroush``: the form of its deep links (``platform:``, else from ``api``'s host;
    #: None: unknown, so no move code is offered for it).
    platform: str | None = None


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
    #: Where arrivals are counted on the service itself (None: they are not).
    arrivals: ArrivalsTarget | None = None

    def name(self, language: str, fallback: str) -> str:
        """The service's name in ``language``, else in the fallback language, else any."""
        return self.names.get(language) or self.names.get(fallback) or next(iter(self.names.values()))


#: The colours Telegram gives an inline button (``style``, Bot API 9.4).
BUTTON_STYLES = ("success", "primary", "danger")


@dataclass(frozen=True)
class Reach:
    """The ``reach:`` section (top level, overridable per channel): the ways from the post into
    the bot and the handles' copy buttons."""

    #: A URL button ``t.me/<bot>?start=<channel key>`` under the service buttons.
    start_button: bool = True
    #: The "I've moved" tap opens the bot (``t.me/<bot>?start=moved_<channel key>``) instead of
    #: showing a toast.
    open_bot_after_tap: bool = False
    #: A ``copy_text`` button ("📋 @handle") beside each service that has a ``handle``.
    copy_buttons: bool = True
    #: The "I've moved" button's colour (``success``, ``primary``, ``danger``); None: plain.
    moved_style: str | None = None


#: The defaults, where nothing says otherwise.
DEFAULT_REACH = Reach()


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
    #: Appended to the channel's title by ``/moved`` (the default depends on the language, see
    #: MOVED_TITLE_SUFFIXES in :mod:`kooch.config.channels`).
    moved_title_suffix: str = " → moved"
    #: First line(s) of the channel description set by ``/moved``; the links follow (None: default).
    moved_description: str | None = None
    #: The ``reach:`` settings in force for this channel (its own over the top level's).
    reach: Reach = DEFAULT_REACH

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
    #: Also log each request's client address, Referer and User-Agent (off: logs carry no IPs).
    access_log_details: bool = False


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
    """One scheduled reminder campaign (``reminders[]``)."""

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


#: Messages a second Telegram lets a bot send for free, all chats together (429 above it).
FREE_BROADCAST_PER_S = 30.0
#: A campaign's pace at the free rate: under Telegram's 30, with headroom for the bot's own replies.
FREE_CAMPAIGN_RATE_PER_S = 25.0
#: Telegram Stars a paid broadcast costs per message.
STARS_PER_PAID_MESSAGE = 0.1


@dataclass(frozen=True)
class CampaignSettings:
    """The ``campaigns:`` section: how fast reminder campaigns send."""

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
    #: Pay for broadcasts (``allow_paid_broadcast``, 0.1 Star a message from the bot's balance):
    #: needed above Telegram's free :data:`FREE_BROADCAST_PER_S`.
    paid: bool = False

    @property
    def paid_broadcast(self) -> bool:
        """Each campaign message is sent with ``allow_paid_broadcast`` (paid, above the free rate)."""
        return self.paid and self.rate_per_s > FREE_BROADCAST_PER_S

    @property
    def free_rate_per_s(self) -> float:
        """The pace of a campaign sent without paying (the operator's choice when the balance is short)."""
        return min(self.rate_per_s, FREE_CAMPAIGN_RATE_PER_S)


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
    #: The ``privacy:`` section (retention, exports).
    privacy: PrivacyConfig = PrivacyConfig()
    #: ``storage.url``: a PostgreSQL database (no password) to use instead of the SQLite file;
    #: KOOCH_DATABASE_URL in the environment overrides it.
    database_url: str | None = None
    #: The ``web:`` section; None when the bot runs without its HTTP server.
    web: WebConfig | None = None
    #: Least seconds between two updates of a channel's live counter (each update edits the post).
    counter_interval_s: float = 60.0
    #: A scheduled post found overdue at start-up by more than this is not posted without asking.
    schedule_grace_s: float = 900.0
    #: The ``campaigns:`` section (how fast reminders send) and the scheduled ``reminders:``.
    campaigns: CampaignSettings = CampaignSettings()
    reminders: tuple[ReminderConfig, ...] = ()
    #: Fetch the services' links (previews, the periodic check); false for a server that must not
    #: contact the destinations, or cannot.
    link_checks: bool = True
    #: Seconds between two periodic checks of the links.
    link_check_interval_s: float = 3600.0
    #: Operators needed for /announce and /moved: 1, or 2 (a second, different operator approves).
    approval: int = 1
    #: Seconds between two readings of the member counts (the channels' and the destinations').
    arrivals_interval_s: float = 600.0
    #: Move codes (issue 27): a personal link per destination whose bot confirms the arrival.
    verify_arrivals: bool = False
    #: Seconds a move code stays usable.
    verify_code_ttl_s: float = 7 * 86400.0
    #: The ``mirror:`` section: the channel's new posts copied to the destinations (None: off).
    mirror: MirrorConfig | None = None
    #: The language an operator chose in the config (``{id: 123, language: fa}``), by user id.
    operator_languages: Mapping[int, str] = field(default_factory=dict)
    #: The top level's ``reach:`` (each channel's own is ``Channel.reach``).
    reach: Reach = DEFAULT_REACH

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.texts)

    def text(self, language: str, key: str) -> str:
        """The subscriber text ``key`` in ``language`` (else the default language), set for its
        reader: each line in the language's direction, and the handles, URLs and commands an
        admin or a translator wrote into it kept whole (:func:`kooch.i18n.paragraph`)."""
        lang = language if language in self.texts else self.default_language
        return paragraph(self.texts[lang][key], lang)

    def language_for(self, language_code: str | None) -> str:
        """A subscriber's language: Telegram's ``language_code`` if we have texts for it."""
        return resolve_language(language_code, supported=self.texts, default=self.default_language)

    def operator_language(self, user_id: int, language_code: str | None = None) -> str:
        """The language an operator reads: the one chosen in the config, else their Telegram
        app's (``language_code``) when Kooch has a catalog for it, else English.

        Notices that reach operators outside a reply (errors, a campaign's progress) know no
        ``language_code``: they pass the one last seen from that operator, if any.
        """
        chosen = self.operator_languages.get(user_id)
        return chosen if chosen is not None else resolve_language(language_code)

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

    @property
    def arrivals_services(self) -> tuple[Service, ...]:
        """The enabled services whose destination channel is counted."""
        return tuple(s for s in self.services if s.enabled and s.arrivals is not None)

    def is_operator(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.operators
