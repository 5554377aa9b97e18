"""What changed between two configs, in the operators' words: one line per change of the typed
:class:`~kooch.config.diff.ConfigDiff` the reload applied, and the announcements it changes.

The reloader sends these lines when a new config is put in force, in each reader's language (the
words come from the catalogs; services are named as that reader sees them, config keys and values
stay as the file writes them).
"""

from __future__ import annotations

from functools import partial

from kooch.announce.render import render_announcement
from kooch.config import Channel, Config, Service
from kooch.config.diff import ConfigDiff, ReminderChange, Setting
from kooch.config.diff import diff_configs as config_diff
from kooch.i18n import format_datetime, gettext, isolate, language_name, ltr, pgettext, to_digits


def _service_name(s: Service) -> str:
    return " / ".join(dict.fromkeys(s.names.values()))


def _named(s: Service, config: Config, language: str) -> str:
    """A service as the reader sees it in a button: its name in their language."""
    return isolate(s.name(language, config.default_language))


def _diff_services(old: Config, new: Config, diff: ConfigDiff, language: str) -> list[str]:
    _ = partial(gettext, language)
    lines: list[str] = []
    for change in diff.services:
        s = change.service
        # The msgids say {key}: the placeholder holds the service's name in the reader's language.
        name = _named(s, old if change.kind == "removed" else new, language)
        if change.kind == "added":
            if s.enabled:
                added = _("➕ service {name} added: {url}")
            else:
                added = _("➕ service {name} added: {url} (disabled)")
            lines.append(added.format(name=name, url=isolate(s.url)))
        elif change.kind == "removed":
            lines.append(_("➖ service {key} removed").format(key=name))
        elif change.kind == "url" and change.was is not None:
            lines.append(
                _("🔗 service {key}: URL {was} → {now}").format(
                    key=name, was=isolate(change.was.url), now=isolate(s.url)
                )
            )
        elif change.kind == "names" and change.was is not None:
            lines.append(
                _("✏️ service {key}: name {was} → {now}").format(
                    key=name, was=isolate(_service_name(change.was)), now=isolate(_service_name(s))
                )
            )
        elif change.kind == "enabled":
            lines.append(_("✅ service {key} enabled").format(key=name))
        elif change.kind == "disabled":
            lines.append(_("⏸ service {key} disabled").format(key=name))
        elif change.kind == "links":
            fields = ltr(", ".join(change.fields))
            lines.append(_("✏️ service {key}: {fields} changed").format(key=name, fields=fields))
    if diff.services_order:
        by_key = {s.key: s for s in new.services}
        names = gettext(language, ", ").join(_named(by_key[k], new, language) for k in diff.services_order)
        lines.append(_("↕️ services reordered: {keys}").format(keys=names))
    return lines


def _diff_channels(diff: ConfigDiff, language: str) -> list[str]:
    _ = partial(gettext, language)
    lines: list[str] = []
    for change in diff.channels:
        c, b = change.channel, change.was
        label = isolate(c.label)
        if change.kind == "added":
            lines.append(
                _("➕ channel {channel} added ({language})").format(
                    channel=label, language=language_name(c.language, language)
                )
            )
        elif change.kind == "removed":
            removed = _("➖ channel {channel} removed: its posted announcement is no longer kept in sync")
            lines.append(removed.format(channel=label))
        elif change.kind == "chat" and b is not None:
            lines.append(
                _("✏️ channel {key}: chat {was} → {now}").format(
                    key=ltr(c.key), was=isolate(str(b.chat)), now=isolate(str(c.chat))
                )
            )
        elif change.kind == "announcement":
            lines.append(_("✏️ channel {channel}: announcement text changed").format(channel=label))
        elif change.kind == "setting" and b is not None:
            attr = {"services": "service_keys"}.get(change.key, change.key)
            lines.append(
                _("✏️ channel {channel}: {field} {was} → {now}").format(
                    channel=label,
                    field=ltr(change.key),
                    was=_show(_field(b, attr), language),
                    now=_show(_field(c, attr), language),
                )
            )
    return lines


def _field(channel: Channel, attr: str) -> object:
    """A channel's setting by its key, dotted for a section of it (``reach.copy_buttons``)."""
    value: object = channel
    for part in attr.split("."):
        value = getattr(value, part)
    return value


def _show(value: object, language: str = "en") -> str:
    if value is None:
        return pgettext(language, "setting", "(default)")
    if isinstance(value, tuple):
        return isolate(", ".join(str(v) for v in value))
    if isinstance(value, bool):
        return pgettext(language, "setting", "on") if value else pgettext(language, "setting", "off")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 60, not 60.0
    if isinstance(value, int | float):
        return ltr(to_digits(str(value), language))
    return isolate(repr(value) if isinstance(value, str) else str(value))


def _audience(r: ReminderChange) -> str:
    """A reminder's audience as the file and /remind write it: ``to:unmoved channel:demo lang:en``."""
    r_ = r.reminder
    words = [f"to:{r_.audience}"]
    if r_.channel:
        words.append(f"channel:{r_.channel}")
    if r_.language:
        words.append(f"lang:{r_.language}")
    return ltr(" ".join(words))


def _diff_reminders(new: Config, diff: ConfigDiff, language: str) -> list[str]:
    _ = partial(gettext, language)
    lines = []
    for change in diff.reminders:
        values = {
            "when": format_datetime(change.reminder.at, new.timezone, language, numeric=True),
            "audience": _audience(change),
            "command": ltr("/campaigns"),
        }
        if change.kind == "added":
            line = _("⏰ reminder added: {when}, {audience}; it is sent at that time ({command} lists it)")
        elif change.kind == "removed":
            line = _("⏰ reminder removed: {when}, {audience}; it will not be sent")
        else:
            line = _("⏰ reminder {when}, {audience}: text changed")
        lines.append(line.format(**values))
    return lines


def _diff_setting(s: Setting, language: str) -> str:
    _ = partial(gettext, language)
    if s.key == "storage.sqlite_path":
        was, now = isolate(str(s.was)), isolate(str(s.now))
        return _(
            "⚠️ storage.sqlite_path: {was} → {now} takes effect only after a restart; "
            "until then Kooch keeps using {was}"
        ).format(was=was, now=now)
    if s.key == "storage.url":
        return _("⚠️ storage.url: changed; takes effect only after a restart")
    if s.key == "web":
        return _("✏️ web: changed (takes effect after a restart)")
    values = {"key": ltr(s.key), "was": _show(s.was, language), "now": _show(s.now, language)}
    if s.restart:
        return _("✏️ {key}: {was} → {now} (takes effect after a restart)").format(**values)
    return _("✏️ {key}: {was} → {now}").format(**values)


def _changed_posts(old: Config, new: Config) -> list[Channel]:
    """Channels (in both configs) whose rendered announcement differs."""
    out = []
    before = {c.key: c for c in old.channels}
    for c in new.channels:
        b = before.get(c.key)
        if b is not None and render_announcement(old, b) != render_announcement(new, c):
            out.append(c)
    return out


def describe_diff(old: Config, new: Config, diff: ConfigDiff, language: str = "en") -> list[str]:
    """The reload report's lines: each change of ``diff`` (from ``old`` to ``new``), in ``language``."""
    _ = partial(gettext, language)

    def ids(values: tuple[int, ...]) -> str:
        return gettext(language, ", ").join(ltr(to_digits(str(v), language)) for v in values)

    lines: list[str] = []
    if diff.operators_added:
        lines.append(_("➕ operators added: {ids}").format(ids=ids(diff.operators_added)))
    if diff.operators_removed:
        lines.append(_("➖ operators removed: {ids}").format(ids=ids(diff.operators_removed)))
    for user_id, was, now in diff.operator_languages:
        lines.append(
            _("✏️ operator {id}: language {was} → {now}").format(
                id=ids((user_id,)), was=_show(was, language), now=_show(now, language)
            )
        )
    lines += _diff_services(old, new, diff, language)
    lines += _diff_channels(diff, language)
    for lang, keys in diff.texts:
        lines.append(_("✏️ texts.{lang}: {keys} changed").format(lang=lang, keys=", ".join(keys)))
    lines += _diff_reminders(new, diff, language)
    lines += [_diff_setting(s, language) for s in diff.settings]
    changed = _changed_posts(old, new)
    if changed:
        labels = gettext(language, ", ").join(isolate(c.label) for c in changed)
        lines.append(_("📝 announcement changed for: {channels}").format(channels=labels))
    return lines


def diff_configs(old: Config, new: Config, language: str = "en") -> list[str]:
    """What changed from ``old`` to ``new``, one line per change, in words for operators (in
    ``language``)."""
    return describe_diff(old, new, config_diff(old, new), language)
