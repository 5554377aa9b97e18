"""``config.yaml`` in, a :class:`Config` out, or :class:`ConfigInvalid` with every error at once.

Admins edit this file by hand, often in a hurry, so validation is strict and talkative: every error
names the file, the key path (``services[2].url``) and the line and column, and Telegram's own
limits are checked here, where the input enters, rather than discovered as a ``400 Bad Request``
on the day of the move. The order is: YAML with positions, the sections (each reader is in
:mod:`~kooch.config.sections`, :mod:`~kooch.config.channels` or :mod:`~kooch.config.reminders`),
the checks across sections, then the ``checks`` given by the features that render the config.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kooch.config.across import check_platforms, read_mirror
from kooch.config.channels import read_channels, read_services
from kooch.config.checker import Checker, known_list
from kooch.config.model import Config, ConfigError, ConfigInvalid
from kooch.config.reach import read_reach
from kooch.config.reminders import read_campaign_settings, read_reminders
from kooch.config.sections import (
    TELEGRAM_API_HOST,
    read_operators,
    read_privacy,
    read_storage,
    read_texts,
    read_timezone,
    read_web,
)
from kooch.config.yaml_positions import read_yaml

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
    # The living announcement: the live counter's pace, and how late a scheduled post may be.
    "counter_interval_s",
    "schedule_grace_s",
    # Reminder campaigns: their pace, and the scheduled reminders.
    "campaigns",
    "reminders",
    # The destinations' links: checked or not, and how often; how many operators must agree.
    "link_checks",
    "link_check_interval_s",
    "approval",
    # How often the channels' and the destinations' member counts are read.
    "arrivals_interval_s",
    # The ways from the post into the bot, and the copy buttons (each channel may override them).
    "reach",
    # Move codes: arrivals confirmed per person on the destinations; the channel mirrored there.
    "verify_arrivals",
    "verify_code_ttl_s",
    "mirror",
)
#: The largest config file read (a real one is a few kilobytes): bytes, checked before reading.
MAX_CONFIG_BYTES = 1_000_000
#: Paths of the web server that a channel's landing page (``/<channel key>``) must not shadow.
WEB_RESERVED_PATHS = frozenset({"go", "healthz", "metrics", "static"})

#: A check of a whole, otherwise valid config: yields (key path, message) for each problem. The
#: features that turn the config into what Telegram sees (posts, buttons) check Telegram's limits
#: this way, so the config package needs to know nothing about rendering.
ConfigCheck = Callable[[Config], Iterable[tuple[str, str]]]


def parse_config(
    text: str,
    file: str = "config.yaml",
    base_dir: Path | None = None,
    checks: Sequence[ConfigCheck] = (),
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Parse and validate config text; raise :class:`ConfigInvalid` listing every error.

    ``checks`` run only when everything else is valid, and report with the same key paths.
    ``environ`` (default: the process's environment) gives ``TELEGRAM_API_URL``, which decides
    whether an http:// ``web.public_url`` can work."""
    env = os.environ if environ is None else environ
    api_url = env.get("TELEGRAM_API_URL", "").strip() or f"https://{TELEGRAM_API_HOST}"
    ck, top = read_top(text, file)
    operators, operator_languages = read_operators(ck, top)
    texts = read_texts(ck, top)
    languages = set(texts)
    default_language = read_default_language(ck, top, languages)
    timezone = read_timezone(ck, top)
    sqlite_path, database_url = read_storage(ck, top, base_dir)
    privacy = read_privacy(ck, top)
    web = read_web(ck, top, api_url)
    # The live counter's pace, and how late a scheduled post may be posted without asking.
    counter_interval_s = ck.number(top, "counter_interval_s", "", 60.0, minimum=0.1, maximum=86400)
    schedule_grace_s = ck.number(top, "schedule_grace_s", "", 900.0, minimum=0, maximum=7 * 86400)
    link_checks = ck.boolean(top, "link_checks", "", True)
    # At least a minute: each check fetches every link; at most a week.
    link_check_interval_s = ck.number(top, "link_check_interval_s", "", 3600.0, minimum=60, maximum=7 * 86400)
    approval = read_approval(ck, top, operators)
    arrivals_interval_s = ck.number(top, "arrivals_interval_s", "", 600.0, minimum=60, maximum=86400)
    services = read_services(ck, top, default_language)
    reach = read_reach(ck, top, "")
    check_platforms(ck, top, services)
    channels = read_channels(ck, top, languages, services, default_language, reach)

    config = Config(
        path=file,
        operators=frozenset(operators),
        operator_languages=operator_languages,
        default_language=default_language,
        sqlite_path=sqlite_path,
        database_url=database_url,
        channels=tuple(channels),
        services=tuple(services),
        texts=texts,
        version=hashlib.sha256(text.encode()).hexdigest()[:12],
        timezone=timezone,
        web=web,
        counter_interval_s=counter_interval_s,
        schedule_grace_s=schedule_grace_s,
        privacy=privacy,
        campaigns=read_campaign_settings(ck, top),
        reminders=read_reminders(ck, top, timezone, languages, channels),
        link_checks=link_checks,
        link_check_interval_s=link_check_interval_s,
        approval=approval,
        arrivals_interval_s=arrivals_interval_s,
        reach=reach,
        verify_arrivals=ck.boolean(top, "verify_arrivals", "", False),
        verify_code_ttl_s=ck.number(
            top, "verify_code_ttl_s", "", 7 * 86400.0, minimum=3600, maximum=90 * 86400
        ),
        mirror=read_mirror(ck, top, services, timezone),
    )
    if web is not None:
        check_web_paths(ck, config)
    if not ck.errors:
        for check in checks:
            for path, message in check(config):
                ck.error(path, message)
    if ck.errors:
        raise ConfigInvalid(ck.errors)
    return config


def read_top(text: str, file: str) -> tuple[Checker, dict[str, Any]]:
    """The file's top-level mapping and the checker that collects its errors; raises
    :class:`ConfigInvalid` at once when the file is too large, empty or not a mapping."""
    if len(text) > MAX_CONFIG_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_CONFIG_BYTES:
        raise too_large(file, len(text.encode("utf-8", "surrogatepass")))
    raw, located = read_yaml(text, file)
    ck = Checker(file, located)
    for dup_path, (line, col) in located.duplicate_keys:
        ck.errors.append(ConfigError(file, dup_path, "is given twice; keep only one", line, col, "duplicate"))
    for bad_path, (line, col) in located.complex_keys:
        ck.errors.append(ConfigError(file, bad_path, "keys must be plain words", line, col, "complex_key"))
    if raw is None:
        raise ConfigInvalid([ConfigError(file, "", "the file is empty", code="empty_file")])
    top = ck.mapping(raw, "", TOP_KEYS)
    if not isinstance(raw, dict):
        raise ConfigInvalid(ck.errors)
    return ck, top


def read_default_language(ck: Checker, top: dict[str, Any], languages: set[str]) -> str:
    """``default_language``, one of the languages with texts (else an error, and fa)."""
    default_language = ck.string(top, "default_language", "", required=False) or "fa"
    if "default_language" in top and default_language not in languages:
        ck.error(
            "default_language",
            f"'{default_language}' has no texts; known: {known_list(languages)}",
            "no_texts",
            value=default_language,
            known=known_list(languages),
        )
        return "fa"
    return default_language


def read_approval(ck: Checker, top: dict[str, Any], operators: Sequence[int]) -> int:
    """``approval``: how many operators must agree (1 or 2; 2 needs two operators)."""
    approval = top.get("approval", 1)
    if isinstance(approval, bool) or approval not in (1, 2):
        ck.error(
            "approval",
            f"must be 1 or 2 (operators who must agree), not {approval!r}",
            "approval",
            value=repr(approval),
        )
        approval = 1
    if approval == 2 and len(set(operators)) < 2:
        ck.error(
            "approval",
            "2 needs at least two operators: a second one approves what the first asks",
            "approval_alone",
        )
    return int(approval)


def check_web_paths(ck: Checker, config: Config) -> None:
    """No channel's landing page (``/<key>``) shadows a path of the web server."""
    for i, channel in enumerate(config.channels):
        if channel.key in WEB_RESERVED_PATHS:
            ck.error(
                f"channels[{i}].key",
                f"'{channel.key}' is a path of Kooch's web server (/{channel.key}); choose another key",
            )


def too_large(file: str, size: int | None) -> ConfigInvalid:
    what = f"is {size:,} bytes" if size is not None else "is larger than that"
    return ConfigInvalid(
        [ConfigError(file, "", f"{what}; a config file is at most 1 MB ({MAX_CONFIG_BYTES:,} bytes)")]
    )


def read_limited(path: Path) -> bytes:
    """The file's bytes, refused (:class:`ConfigInvalid`) above :data:`MAX_CONFIG_BYTES` without
    reading more than that: the size is asked first, and the read stops one byte past the cap
    (a file growing meanwhile, or one that is not a regular file, such as /dev/zero)."""
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_CONFIG_BYTES:
            raise too_large(str(path), size)
        data = f.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        raise too_large(str(path), None)
    return data


def load_config(path: str | Path, checks: Sequence[ConfigCheck] = ()) -> Config:
    """Read and parse a config file; an unreadable file is a :class:`ConfigInvalid` too."""
    p = Path(path)
    try:
        text = read_limited(p).decode("utf-8")
    except FileNotFoundError:
        raise ConfigInvalid([ConfigError(str(p), "", "file not found", code="not_found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigInvalid([ConfigError(str(p), "", f"cannot be read: {exc}")]) from None
    return parse_config(text, str(p), base_dir=p.resolve().parent, checks=checks)
