"""The error collector that every section reader writes to.

A reader asks the :class:`Checker` for a typed value (a text, a true/false, a number in a range,
a link); a wrong one becomes a :class:`ConfigError` with its key path and position and the read
returns a default, so that one run reports every problem in the file, not only the first.
Unknown keys are errors (a typo must not pass silently) with a "did you mean" hint.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from kooch.config.model import CONTROL_RE, ConfigError
from kooch.config.yaml_positions import Located, join_path, parent_path

#: The only links Telegram accepts in buttons.
URL_SCHEMES = ("http://", "https://", "tg://")
#: Telegram's ids (users, chats) are signed 64-bit numbers.
MAX_TELEGRAM_ID = 2**63 - 1


class Checker:
    """Collects errors while reading plain values; each read names its key path."""

    def __init__(self, file: str, located: Located) -> None:
        self.file = file
        self.located = located
        self.errors: list[ConfigError] = []

    def error(self, path: str, message: str, code: str = "", **values: str) -> None:
        """Record a problem at ``path``: ``message`` in English (the command line, the log), and
        ``code`` with ``values`` for the words of a notice in its reader's language."""
        # A missing key has no position of its own: point at the closest parent that has one.
        probe = path
        while probe and probe not in self.located.marks:
            probe = parent_path(probe)
        line, col = self.located.marks.get(probe, (None, None))
        self.errors.append(ConfigError(self.file, path, message, line, col, code, tuple(values.items())))

    def mapping(self, value: Any, path: str, allowed: Iterable[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.error(
                path, f"must be a mapping of keys, not {kind_of(value)}", "not_mapping", kind=kind_code(value)
            )
            return {}
        allowed_set = set(allowed)
        for key in value:
            if str(key) not in allowed_set:
                hint = closest(str(key), allowed_set)
                extra = f" (did you mean '{hint}'?)" if hint else ""
                self.error(
                    join_path(path, str(key)),
                    f"unknown key{extra}; allowed here: {', '.join(sorted(allowed_set))}",
                    "unknown_key",
                    hint=hint or "",
                    allowed=", ".join(sorted(allowed_set)),
                )
        return {str(k): v for k, v in value.items()}

    def string(self, m: dict[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
        p = join_path(path, key)
        if key not in m or m[key] is None:
            if required:
                self.error(p, "is required", "required")
            return None
        value = m[key]
        if not isinstance(value, str) or not value.strip():
            self.error(
                p, f"must be a non-empty text, not {kind_of(value)}", "not_text", kind=kind_code(value)
            )
            return None
        return value

    def boolean(self, m: dict[str, Any], key: str, path: str, default: bool) -> bool:
        if key not in m:
            return default
        value = m[key]
        if not isinstance(value, bool):
            self.error(
                join_path(path, key),
                f"must be true or false, not {kind_of(value)}",
                "not_bool",
                kind=kind_code(value),
            )
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
            self.error(
                join_path(path, key),
                f"must be a number from {minimum:g} to {maximum:g}, not {value!r}",
                "not_in_range",
                minimum=f"{minimum:g}",
                maximum=f"{maximum:g}",
                value=repr(value) if not isinstance(value, str) else value,
            )
            return default
        return float(value)

    def url(self, m: dict[str, Any], key: str, path: str, *, required: bool) -> str | None:
        value = self.string(m, key, path, required=required)
        if value is not None and not value.startswith(URL_SCHEMES):
            self.error(
                join_path(path, key),
                f"'{value}' must start with http://, https:// or tg:// "
                "(Telegram refuses other links in buttons)",
                "url_scheme",
                value=value,
            )
            return None
        if value is not None and any(c.isspace() for c in value):
            self.error(join_path(path, key), f"'{value}' must not contain spaces", "spaces", value=value)
            return None
        if value is not None and has_controls(value):
            self.error(
                join_path(path, key),
                f"'{value}' must not contain control characters",
                "controls",
                value=value,
            )
            return None
        if value is not None and not _host(value):
            scheme = value.partition("://")[0]
            self.error(
                join_path(path, key),
                f"'{value}' has no host after {scheme}:// (e.g. https://splus.ir/kooch_demo); "
                "Telegram refuses such a button",
                "url_no_host",
                value=value,
                scheme=f"{scheme}://",
            )
            return None
        return value

    def name(self, value: str, path: str) -> bool:
        """A name (of a service, a handle, a title): true when it has no control characters."""
        if has_controls(value):
            self.error(
                path,
                f"'{value}' must not contain control characters (a line break, a tab, NUL)",
                "controls",
                value=value,
            )
            return False
        return True


def has_controls(value: str) -> bool:
    return CONTROL_RE.search(value) is not None


def _host(url: str) -> bool:
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False


def kind_of(value: Any) -> str:
    """How an error names what was given instead: ``a list``, ``empty``, ``true/false``."""
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


def kind_code(value: Any) -> str:
    """What was given instead, as a code the notices word per language (:func:`kind_of` in English)."""
    if value is None:
        return "empty"
    return {bool: "bool", int: "number", float: "number", str: "text", list: "list", dict: "mapping"}.get(
        type(value), "other"
    )


def closest(word: str, options: set[str]) -> str | None:
    """The allowed key that an unknown one most likely misspells, for the "did you mean" hint."""
    match = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.75)
    return match[0] if match else None


def known_list(items: Iterable[str]) -> str:
    """The known values named in an error: ``en, fa``, or ``none``."""
    return ", ".join(sorted(items)) or "none"
