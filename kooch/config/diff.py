"""What changed from one config to the next, as data: the one diff a reload both applies and reports.

:func:`diff_configs` compares two valid :class:`Config` objects section by section and returns a
:class:`ConfigDiff`. The reloader computes it once; the features that must act on a change read it
(new reminders are scheduled at once, the menus follow the operators) and the operators' report is
words chosen from it for each reader (:mod:`kooch.announce.changes`), so the report names exactly
what was put in force, no more, no less.

Every field of :class:`Config` is compared (a field this module does not know yet is reported as a
plain :class:`Setting`), so no change can be applied silently.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from kooch.config.model import Channel, Config, ReminderConfig, Service


@dataclass(frozen=True)
class Setting:
    """One value changed, named by its key as the file writes it (``campaigns.rate_per_s``)."""

    key: str
    was: object
    now: object
    #: In force only after a restart (the database, the web server's address).
    restart: bool = False


ServiceChangeKind = Literal["added", "removed", "url", "names", "enabled", "disabled", "links"]


@dataclass(frozen=True)
class ServiceChange:
    kind: ServiceChangeKind
    #: The service as it is now (as it was, for a removed one).
    service: Service
    was: Service | None = None
    #: For ``links``: the other fields that changed (``android``, ``handle``, ``arrivals`` …).
    fields: tuple[str, ...] = ()


ChannelChangeKind = Literal["added", "removed", "chat", "announcement", "setting"]


@dataclass(frozen=True)
class ChannelChange:
    kind: ChannelChangeKind
    #: The channel as it is now (as it was, for a removed one).
    channel: Channel
    was: Channel | None = None
    #: For ``setting``: the config key under the channel (``counter``, ``services`` …).
    key: str = ""


ReminderChangeKind = Literal["added", "removed", "text"]


@dataclass(frozen=True)
class ReminderChange:
    kind: ReminderChangeKind
    reminder: ReminderConfig


@dataclass(frozen=True)
class ConfigDiff:
    """Everything that differs between two configs, by section; empty (falsy) when nothing does."""

    operators_added: tuple[int, ...] = ()
    operators_removed: tuple[int, ...] = ()
    #: (operator id, language before, language after); None: their Telegram app's language.
    operator_languages: tuple[tuple[int, str | None, str | None], ...] = ()
    services: tuple[ServiceChange, ...] = ()
    #: The services' keys in their new order, when the ones kept changed order.
    services_order: tuple[str, ...] = ()
    channels: tuple[ChannelChange, ...] = ()
    #: (language, the text keys that changed).
    texts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    reminders: tuple[ReminderChange, ...] = ()
    settings: tuple[Setting, ...] = ()

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in dataclasses.fields(self))

    @property
    def sections(self) -> frozenset[str]:
        """The top-level keys of ``config.yaml`` whose content changed."""
        found: set[str] = set()
        if self.operators_added or self.operators_removed or self.operator_languages:
            found.add("operators")
        if self.services or self.services_order:
            found.add("services")
        if self.channels:
            found.add("channels")
        if self.texts:
            found.add("texts")
        if self.reminders:
            found.add("reminders")
        found.update(s.key.split(".", 1)[0] for s in self.settings)
        return frozenset(found)


# ---------------------------------------------------------------------------------------------
# Sections


def _services(old: Config, new: Config) -> tuple[list[ServiceChange], tuple[str, ...]]:
    before = {s.key: s for s in old.services}
    after = {s.key: s for s in new.services}
    changes = [ServiceChange("added", s) for key, s in after.items() if key not in before]
    changes += [ServiceChange("removed", s) for key, s in before.items() if key not in after]
    for key, s in after.items():
        b = before.get(key)
        if b is None:
            continue
        if b.url != s.url:
            changes.append(ServiceChange("url", s, b))
        if dict(b.names) != dict(s.names):
            changes.append(ServiceChange("names", s, b))
        if b.enabled != s.enabled:
            changes.append(ServiceChange("enabled" if s.enabled else "disabled", s, b))
        others = tuple(
            f.name
            for f in dataclasses.fields(Service)
            if f.name not in ("key", "names", "url", "enabled") and getattr(b, f.name) != getattr(s, f.name)
        )
        if others:
            changes.append(ServiceChange("links", s, b, others))
    common = tuple(k for k in after if k in before)
    order = common if tuple(k for k in before if k in after) != common else ()
    return changes, order


#: A channel's fields as the config names them (the others are named as they are).
CHANNEL_KEYS = {"service_keys": "services"}


def _channels(old: Config, new: Config) -> list[ChannelChange]:
    before = {c.key: c for c in old.channels}
    after = {c.key: c for c in new.channels}
    changes = [ChannelChange("added", c) for key, c in after.items() if key not in before]
    changes += [ChannelChange("removed", c) for key, c in before.items() if key not in after]
    for key, c in after.items():
        b = before.get(key)
        if b is None:
            continue
        if b.chat != c.chat:
            changes.append(ChannelChange("chat", c, b))
        if b.announcement != c.announcement:
            changes.append(ChannelChange("announcement", c, b))
        for f in dataclasses.fields(Channel):
            if f.name in ("key", "chat", "announcement"):
                continue
            if f.name == "reach":
                if (b.reach, c.reach) != (old.reach, new.reach):  # else said once, as reach.<key>
                    changes += [
                        ChannelChange("setting", c, b, f"reach.{r.name}")
                        for r in dataclasses.fields(c.reach)
                        if getattr(b.reach, r.name) != getattr(c.reach, r.name)
                    ]
                continue
            if getattr(b, f.name) != getattr(c, f.name):
                changes.append(ChannelChange("setting", c, b, CHANNEL_KEYS.get(f.name, f.name)))
    return changes


def reminder_identity(r: ReminderConfig) -> tuple[float, str, str | None, str | None]:
    """What makes a reminder the same one across edits: its time and audience (a text edit keeps
    it; the config refuses two reminders with one identity)."""
    return (r.at, r.audience, r.channel, r.language)


def _reminders(old: Config, new: Config) -> list[ReminderChange]:
    before = {reminder_identity(r): r for r in old.reminders}
    after = {reminder_identity(r): r for r in new.reminders}
    changes = [ReminderChange("added", r) for key, r in after.items() if key not in before]
    changes += [ReminderChange("removed", r) for key, r in before.items() if key not in after]
    changes += [
        ReminderChange("text", r)
        for key, r in after.items()
        if key in before and dict(before[key].texts) != dict(r.texts)
    ]
    return changes


def _texts(old: Config, new: Config) -> list[tuple[str, tuple[str, ...]]]:
    out = []
    for lang in sorted(set(old.texts) | set(new.texts)):
        b: Mapping[str, str] = old.texts.get(lang, {})
        a: Mapping[str, str] = new.texts.get(lang, {})
        keys = tuple(k for k in dict.fromkeys([*b, *a]) if b.get(k) != a.get(k))
        if keys:
            out.append((lang, keys))
    return out


def _operator_languages(old: Config, new: Config) -> list[tuple[int, str | None, str | None]]:
    return [
        (user_id, old.operator_languages.get(user_id), new.operator_languages.get(user_id))
        for user_id in sorted(new.operators & old.operators)
        if old.operator_languages.get(user_id) != new.operator_languages.get(user_id)
    ]


#: Top-level values, by their key in the file (each one is in force at once).
TOP_SETTINGS = (
    "default_language",
    "timezone",
    "counter_interval_s",
    "schedule_grace_s",
    "approval",
    "link_checks",
    "link_check_interval_s",
    "arrivals_interval_s",
)


def _campaigns(old: Config, new: Config) -> list[Setting]:
    b, a = old.campaigns, new.campaigns
    out = []
    for field, key in (
        ("rate_per_s", "rate_per_s"),
        ("in_flight", "in_flight"),
        ("grace_s", "grace_minutes"),
        ("progress_every_s", "progress_every_s"),
        ("paid", "paid"),
    ):
        was, now = getattr(b, field), getattr(a, field)
        if was != now:
            if field == "grace_s":  # written in minutes
                was, now = was / 60, now / 60
            out.append(Setting(f"campaigns.{key}", was, now))
    return out


def _reach(old: Config, new: Config) -> list[Setting]:
    """The top level's ``reach:`` (a channel's own is part of its change)."""
    return [
        Setting(f"reach.{f.name}", getattr(old.reach, f.name), getattr(new.reach, f.name))
        for f in dataclasses.fields(old.reach)
        if getattr(old.reach, f.name) != getattr(new.reach, f.name)
    ]


def _privacy(old: Config, new: Config) -> list[Setting]:
    return [
        Setting(f"privacy.{f.name}", getattr(old.privacy, f.name), getattr(new.privacy, f.name))
        for f in dataclasses.fields(old.privacy)
        if getattr(old.privacy, f.name) != getattr(new.privacy, f.name)
    ]


def _web(old: Config, new: Config) -> list[Setting]:
    """The web server is started once: its address, the webhook and its logs need a restart.
    ``public_url`` also writes the buttons' links, which follow at once; a webhook registered at
    it follows only after a restart."""
    b, a = old.web, new.web
    if b == a:
        return []
    if b is None or a is None:
        return [Setting("web", b is not None, a is not None, restart=True)]
    out = []
    if (b.host, b.port) != (a.host, a.port):
        out.append(Setting("web.listen", f"{b.host}:{b.port}", f"{a.host}:{a.port}", restart=True))
    if b.public_url != a.public_url:
        out.append(Setting("web.public_url", b.public_url, a.public_url, restart=a.webhook or b.webhook))
    for name in ("webhook", "max_connections", "access_log_details"):
        if getattr(b, name) != getattr(a, name):
            out.append(Setting(f"web.{name}", getattr(b, name), getattr(a, name), restart=True))
    return out


def _across(old: Config, new: Config) -> list[Setting]:
    """Move codes and the mirror (issue 27): the destination bots' intake and the mirror's senders
    start with Kooch, so turning them on or off, or changing the mirrored services, needs a
    restart; a code's lifetime, the mirror's end and pace apply at once."""
    out = []
    if old.verify_arrivals != new.verify_arrivals:
        out.append(Setting("verify_arrivals", old.verify_arrivals, new.verify_arrivals, restart=True))
    if old.verify_code_ttl_s != new.verify_code_ttl_s:
        out.append(Setting("verify_code_ttl_s", old.verify_code_ttl_s, new.verify_code_ttl_s))
    b, a = old.mirror, new.mirror
    if (b is None) != (a is None):
        out.append(Setting("mirror", b is not None, a is not None, restart=True))
    elif b is not None and a is not None:
        if b.services != a.services:
            out.append(Setting("mirror.services", ", ".join(b.services), ", ".join(a.services), restart=True))
        if (b.until_at, b.for_s) != (a.until_at, a.for_s):
            out.append(Setting("mirror.until", _until(b.until_at, b.for_s), _until(a.until_at, a.for_s)))
        if b.per_minute != a.per_minute:
            out.append(Setting("mirror.per_minute", b.per_minute, a.per_minute))
    return out


def _until(at: float | None, for_s: float | None) -> str:
    if for_s is not None:
        return f"{for_s / 86400:g}d"
    return datetime.fromtimestamp(at or 0, UTC).strftime("%Y-%m-%dT%H:%M UTC")


def _storage(old: Config, new: Config) -> list[Setting]:
    out = []
    if old.sqlite_path != new.sqlite_path:
        out.append(Setting("storage.sqlite_path", old.sqlite_path, new.sqlite_path, restart=True))
    if old.database_url != new.database_url:
        out.append(Setting("storage.url", old.database_url, new.database_url, restart=True))
    return out


#: Config fields each compared above (``path`` and ``version`` name the file, not its content).
_COMPARED = frozenset(
    {
        "path",
        "version",
        "operators",
        "operator_languages",
        "services",
        "channels",
        "texts",
        "reminders",
        "campaigns",
        "privacy",
        "reach",
        "web",
        "sqlite_path",
        "database_url",
        "verify_arrivals",
        "verify_code_ttl_s",
        "mirror",
        *TOP_SETTINGS,
    }
)


def diff_configs(old: Config, new: Config) -> ConfigDiff:
    """What changed from ``old`` to ``new``, section by section."""
    services, order = _services(old, new)
    settings = [
        Setting(key, getattr(old, key), getattr(new, key))
        for key in TOP_SETTINGS
        if getattr(old, key) != getattr(new, key)
    ]
    settings += _campaigns(old, new) + _privacy(old, new) + _web(old, new) + _storage(old, new)
    settings += _reach(old, new)
    settings += _across(old, new)
    # A field added to Config and not yet known here is still reported, by its name.
    settings += [
        Setting(f.name, getattr(old, f.name), getattr(new, f.name))
        for f in dataclasses.fields(Config)
        if f.name not in _COMPARED and getattr(old, f.name) != getattr(new, f.name)
    ]
    return ConfigDiff(
        operators_added=tuple(sorted(new.operators - old.operators)),
        operators_removed=tuple(sorted(old.operators - new.operators)),
        operator_languages=tuple(_operator_languages(old, new)),
        services=tuple(services),
        services_order=order,
        channels=tuple(_channels(old, new)),
        texts=tuple(_texts(old, new)),
        reminders=tuple(_reminders(old, new)),
        settings=tuple(settings),
    )
