"""What changed between two configs, in the operators' words: services, channels, posts.

The reloader sends these lines when a new config is put in force, in each reader's language (the
words come from the catalogs; config keys, values and names stay as the file writes them).
"""

from __future__ import annotations

from functools import partial

from kooch.announce.render import render_announcement
from kooch.config import Channel, Config, Service
from kooch.i18n import gettext, isolate, language_name, pgettext, to_digits


def _service_name(s: Service) -> str:
    return " / ".join(dict.fromkeys(s.names.values()))


def _diff_services(old: Config, new: Config, language: str) -> list[str]:
    _ = partial(gettext, language)
    lines: list[str] = []
    before = {s.key: s for s in old.services}
    after = {s.key: s for s in new.services}
    for key, s in after.items():
        if key not in before:
            name, url = isolate(_service_name(s)), isolate(s.url)
            if s.enabled:
                lines.append(_("➕ service {key} added: {name} {url}").format(key=key, name=name, url=url))
            else:
                added = _("➕ service {key} added: {name} {url} (disabled)")
                lines.append(added.format(key=key, name=name, url=url))
    for key in before:
        if key not in after:
            lines.append(_("➖ service {key} removed").format(key=key))
    for key, s in after.items():
        b = before.get(key)
        if b is None:
            continue
        if b.url != s.url:
            lines.append(
                _("🔗 service {key}: URL {was} → {now}").format(
                    key=key, was=isolate(b.url), now=isolate(s.url)
                )
            )
        if dict(b.names) != dict(s.names):
            lines.append(
                _("✏️ service {key}: name {was} → {now}").format(
                    key=key, was=isolate(_service_name(b)), now=isolate(_service_name(s))
                )
            )
        if b.enabled != s.enabled:
            if s.enabled:
                lines.append(_("✅ service {key} enabled").format(key=key))
            else:
                lines.append(_("⏸ service {key} disabled").format(key=key))
        others = [f for f in ("android", "ios", "web", "handle") if getattr(b, f) != getattr(s, f)]
        if others:
            lines.append(_("✏️ service {key}: {fields} changed").format(key=key, fields=", ".join(others)))
    common = [k for k in after if k in before]
    if [k for k in before if k in after] != common:
        lines.append(_("↕️ services reordered: {keys}").format(keys=", ".join(common)))
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


def _diff_channels(old: Config, new: Config, language: str) -> list[str]:
    _ = partial(gettext, language)
    lines: list[str] = []
    before = {c.key: c for c in old.channels}
    after = {c.key: c for c in new.channels}
    for key, c in after.items():
        if key not in before:
            lines.append(
                _("➕ channel {channel} added ({language})").format(
                    channel=isolate(c.label), language=language_name(c.language, language)
                )
            )
    for key, c in before.items():
        if key not in after:
            removed = _("➖ channel {channel} removed: its posted announcement is no longer kept in sync")
            lines.append(removed.format(channel=isolate(c.label)))
    for key, c in after.items():
        b = before.get(key)
        if b is None:
            continue
        if b.chat != c.chat:
            lines.append(
                _("✏️ channel {key}: chat {was} → {now}").format(
                    key=key, was=isolate(str(b.chat)), now=isolate(str(c.chat))
                )
            )
        if b.announcement != c.announcement:
            lines.append(_("✏️ channel {channel}: announcement text changed").format(channel=isolate(c.label)))
        for attr, name in _CHANNEL_FIELDS:
            was, now = getattr(b, attr), getattr(c, attr)
            if was != now:
                lines.append(
                    _("✏️ channel {channel}: {field} {was} → {now}").format(
                        channel=isolate(c.label),
                        field=name,
                        was=_show(was, language),
                        now=_show(now, language),
                    )
                )
    return lines


def _show(value: object, language: str = "en") -> str:
    if value is None:
        return pgettext(language, "setting", "(default)")
    if isinstance(value, tuple):
        return isolate(", ".join(str(v) for v in value))
    if isinstance(value, bool):
        return pgettext(language, "setting", "on") if value else pgettext(language, "setting", "off")
    if isinstance(value, int | float):
        return to_digits(str(value), language)
    return isolate(repr(value) if isinstance(value, str) else str(value))


def _changed_posts(old: Config, new: Config) -> list[Channel]:
    """Channels (in both configs) whose rendered announcement differs."""
    out = []
    before = {c.key: c for c in old.channels}
    for c in new.channels:
        b = before.get(c.key)
        if b is not None and render_announcement(old, b) != render_announcement(new, c):
            out.append(c)
    return out


def diff_configs(old: Config, new: Config, language: str = "en") -> list[str]:
    """What changed from ``old`` to ``new``, one line per change, in words for operators (in
    ``language``)."""
    _ = partial(gettext, language)

    def ids(values: list[int]) -> str:
        return ", ".join(to_digits(str(v), language) for v in values)

    lines: list[str] = []
    added = sorted(new.operators - old.operators)
    removed = sorted(old.operators - new.operators)
    if added:
        lines.append(_("➕ operators added: {ids}").format(ids=ids(added)))
    if removed:
        lines.append(_("➖ operators removed: {ids}").format(ids=ids(removed)))
    lines += _diff_services(old, new, language)
    lines += _diff_channels(old, new, language)
    for lang in sorted(set(old.texts) | set(new.texts)):
        b, a = old.texts.get(lang, {}), new.texts.get(lang, {})
        keys = [k for k in dict.fromkeys([*b, *a]) if b.get(k) != a.get(k)]
        if keys:
            lines.append(_("✏️ texts.{lang}: {keys} changed").format(lang=lang, keys=", ".join(keys)))
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
            was, now = _show(getattr(old, attr), language), _show(getattr(new, attr), language)
            lines.append(_("✏️ {key}: {was} → {now}").format(key=attr, was=was, now=now))
    if getattr(old, "web", None) != getattr(new, "web", None):
        lines.append(_("✏️ web: changed (takes effect after a restart)"))
    if old.sqlite_path != new.sqlite_path:
        was, now = isolate(str(old.sqlite_path)), isolate(str(new.sqlite_path))
        lines.append(
            _(
                "⚠️ storage.sqlite_path: {was} → {now} takes effect only after a restart; "
                "until then Kooch keeps using {was}"
            ).format(was=was, now=now)
        )
    if old.database_url != new.database_url:
        lines.append(_("⚠️ storage.url: changed; takes effect only after a restart"))
    changed = _changed_posts(old, new)
    if changed:
        labels = gettext(language, ", ").join(isolate(c.label) for c in changed)
        lines.append(_("📝 announcement changed for: {channels}").format(channels=labels))
    return lines
