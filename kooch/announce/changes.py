"""What changed between two configs, in the operators' words: services, channels, posts.

The reloader sends these lines when a new config is put in force.
"""

from __future__ import annotations

from kooch.announce.render import render_announcement
from kooch.config import Channel, Config, Service


def _service_name(s: Service) -> str:
    return " / ".join(dict.fromkeys(s.names.values()))


def _diff_services(old: Config, new: Config) -> list[str]:
    lines: list[str] = []
    before = {s.key: s for s in old.services}
    after = {s.key: s for s in new.services}
    for key, s in after.items():
        if key not in before:
            state = "" if s.enabled else " (disabled)"
            lines.append(f"➕ service {key} added: {_service_name(s)} {s.url}{state}")
    for key in before:
        if key not in after:
            lines.append(f"➖ service {key} removed")
    for key, s in after.items():
        b = before.get(key)
        if b is None:
            continue
        if b.url != s.url:
            lines.append(f"🔗 service {key}: URL {b.url} → {s.url}")
        if dict(b.names) != dict(s.names):
            lines.append(f"✏️ service {key}: name {_service_name(b)} → {_service_name(s)}")
        if b.enabled != s.enabled:
            lines.append(
                f"{'✅' if s.enabled else '⏸'} service {key} {'enabled' if s.enabled else 'disabled'}"
            )
        others = [f for f in ("android", "ios", "web", "handle") if getattr(b, f) != getattr(s, f)]
        if others:
            lines.append(f"✏️ service {key}: {', '.join(others)} changed")
    common = [k for k in after if k in before]
    if [k for k in before if k in after] != common:
        lines.append("↕️ services reordered: " + ", ".join(common))
    return lines


_CHANNEL_FIELDS = (
    ("language", "language"),
    ("pin", "pin"),
    ("service_keys", "services"),
    ("links_in_text", "links_in_text"),
    ("buttons_per_row", "buttons_per_row"),
    ("counter", "counter"),
    ("moved_title_suffix", "moved_title_suffix"),
    ("moved_description", "moved_description"),
)


def _diff_channels(old: Config, new: Config) -> list[str]:
    lines: list[str] = []
    before = {c.key: c for c in old.channels}
    after = {c.key: c for c in new.channels}
    for key, c in after.items():
        if key not in before:
            lines.append(f"➕ channel {c.label} added ({c.language})")
    for key, c in before.items():
        if key not in after:
            lines.append(f"➖ channel {c.label} removed: its posted announcement is no longer kept in sync")
    for key, c in after.items():
        b = before.get(key)
        if b is None:
            continue
        if b.chat != c.chat:
            lines.append(f"✏️ channel {key}: chat {b.chat} → {c.chat}")
        if b.announcement != c.announcement:
            lines.append(f"✏️ channel {c.label}: announcement text changed")
        for attr, name in _CHANNEL_FIELDS:
            was, now = getattr(b, attr), getattr(c, attr)
            if was != now:
                lines.append(f"✏️ channel {c.label}: {name} {_show(was)} → {_show(now)}")
    return lines


def _show(value: object) -> str:
    if value is None:
        return "(default)"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "on" if value else "off"
    return repr(value) if isinstance(value, str) else str(value)


def _changed_posts(old: Config, new: Config) -> list[Channel]:
    """Channels (in both configs) whose rendered announcement differs."""
    out = []
    before = {c.key: c for c in old.channels}
    for c in new.channels:
        b = before.get(c.key)
        if b is not None and render_announcement(old, b) != render_announcement(new, c):
            out.append(c)
    return out


def diff_configs(old: Config, new: Config) -> list[str]:
    """What changed from ``old`` to ``new``, one line per change, in words for operators."""
    lines: list[str] = []
    added = sorted(new.operators - old.operators)
    removed = sorted(old.operators - new.operators)
    if added:
        lines.append("➕ operators added: " + ", ".join(map(str, added)))
    if removed:
        lines.append("➖ operators removed: " + ", ".join(map(str, removed)))
    lines += _diff_services(old, new)
    lines += _diff_channels(old, new)
    for lang in sorted(set(old.texts) | set(new.texts)):
        b, a = old.texts.get(lang, {}), new.texts.get(lang, {})
        keys = [k for k in dict.fromkeys([*b, *a]) if b.get(k) != a.get(k)]
        if keys:
            lines.append(f"✏️ texts.{lang}: {', '.join(keys)} changed")
    for attr in (
        "default_language",
        "timezone",
        "counter_interval_s",
        "schedule_grace_s",
        # Who must agree, and how the links are watched: an operator should hear of a change.
        "approval",
        "link_checks",
        "link_check_interval_s",
    ):
        if getattr(old, attr) != getattr(new, attr):
            lines.append(f"✏️ {attr}: {_show(getattr(old, attr))} → {_show(getattr(new, attr))}")
    if getattr(old, "web", None) != getattr(new, "web", None):
        lines.append("✏️ web: changed (takes effect after a restart)")
    if old.sqlite_path != new.sqlite_path:
        lines.append(
            f"⚠️ storage.sqlite_path: {old.sqlite_path} → {new.sqlite_path} takes effect only after a "
            f"restart; until then Kooch keeps using {old.sqlite_path}"
        )
    if old.database_url != new.database_url:
        lines.append("⚠️ storage.url: changed; takes effect only after a restart")
    changed = _changed_posts(old, new)
    if changed:
        lines.append("📝 announcement changed for: " + ", ".join(c.label for c in changed))
    return lines
