"""config.yaml: the example parses, every mistake is reported with its file, key path and line."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from kooch.announce.checks import load_checked_config, parse_checked_config
from kooch.config import Config, ConfigError, ConfigInvalid
from tests.bidi_kit import plain

REPO = Path(__file__).resolve().parents[1]

#: A minimal valid config; the line numbers below (1-10) are those of this text.
BASE = """\
operators: [111]
services:
  - key: soroush
    name: Soroush
    url: https://splus.ir/demo
  - key: gap
    name: Gap
    url: https://gap.im/demo
channels:
  - chat: "@kooch_demo"
"""


def variant(*edits: tuple[str, str], append: str = "") -> str:
    """BASE with each ``old`` text replaced by ``new`` (each must be there), then ``append``."""
    text = BASE
    for old, new in edits:
        if old not in text:
            raise ValueError(f"{old!r} is not in BASE")
        text = text.replace(old, new, 1)
    return text + append


def many_services(n: int) -> str:
    services = "".join(f"  - {{key: s{i}, name: S{i}, url: https://s.example/{i}}}\n" for i in range(n))
    return f'operators: [111]\nservices:\n{services}channels:\n  - chat: "@kooch_demo"\n'


class Bad(NamedTuple):
    yaml: str
    path: str
    contains: tuple[str, ...]
    line: int | None
    #: How many errors the config yields in all (the one above among them).
    total: int = 1
    column: int | None = None


BAD_CONFIGS = [
    pytest.param(
        Bad(
            variant(("    name: Gap\n", "    name: Gap: x\n")),
            "",
            ("YAML syntax error", "a ': ' inside a value"),
            line=7,
            column=14,
        ),
        id="yaml-syntax-error",
    ),
    pytest.param(
        Bad(
            variant(("    url: https://gap.im/demo\n", "    url: 2025-13-01\n")),
            "services[1].url",
            ("'2025-13-01' cannot be read", "month must be in 1..12", "put it in quotes if it is text"),
            line=8,
            column=10,
        ),
        id="impossible-date",
    ),
    pytest.param(Bad("", "", ("the file is empty",), line=None), id="empty-file"),
    pytest.param(Bad("# only a comment\n", "", ("the file is empty",), line=None), id="comments-only"),
    pytest.param(
        Bad("- operators\n- channels\n", "", ("must be a mapping of keys, not a list",), line=1),
        id="top-level-list",
    ),
    pytest.param(
        Bad(
            variant(append="timezon: UTC\n"),
            "timezon",
            ("unknown key (did you mean 'timezone'?)", "allowed here: "),
            line=11,
        ),
        id="unknown-top-level-key",
    ),
    pytest.param(
        Bad(
            variant(("    name: Gap\n", '    name: Gap\n    handel: "@gap"\n')),
            "services[1].handel",
            ("unknown key (did you mean 'handle'?)",),
            line=8,
        ),
        id="unknown-service-key",
    ),
    pytest.param(
        Bad(variant(append="operators: [222]\n"), "operators", ("is given twice; keep only one",), line=11),
        id="duplicate-yaml-key",
    ),
    pytest.param(
        Bad(
            variant(("operators: [111]\n", "")),
            "operators",
            ("is required", "Telegram user ids"),
            line=1,
        ),
        id="operators-missing",
    ),
    pytest.param(
        Bad(
            variant(("operators: [111]", "operators: []")),
            "operators",
            ("must be a non-empty list of Telegram user ids",),
            line=1,
        ),
        id="operators-empty",
    ),
    pytest.param(
        Bad(
            variant(("operators: [111]", "operators: [abc]")),
            "operators[0]",
            ("must be a positive numeric user id, not 'abc'",),
            line=1,
        ),
        id="operator-not-int",
    ),
    pytest.param(
        Bad(
            variant(("operators: [111]", "operators: [111, -5]")),
            "operators[1]",
            ("must be a positive numeric user id, not -5",),
            line=1,
        ),
        id="operator-negative",
    ),
    pytest.param(
        Bad(
            variant(("operators: [111]", "operators: [111, 111]")),
            "operators[1]",
            ("111 is listed twice",),
            line=1,
        ),
        id="operator-duplicate",
    ),
    pytest.param(
        Bad(
            variant(("operators: [111]", "operators: [111, {id: 222, language: de}]")),
            "operators[1].language",
            ("'de' is not a language Kooch speaks to operators; known: ar, en, fa",),
            line=1,
        ),
        id="operator-language-without-catalog",
    ),
    pytest.param(
        Bad(
            variant(("operators: [111]", "operators: [111, {id: 222, language: 7}]")),
            "operators[1].language",
            ("7 is not a language Kooch speaks to operators",),
            line=1,
        ),
        id="operator-language-not-text",
    ),
    pytest.param(
        Bad(
            variant(("operators: [111]", "operators: [111, {id: 222, lang: fa}]")),
            "operators[1].lang",
            ("unknown key; allowed here: id, language",),
            line=1,
        ),
        id="operator-language-misspelt",
    ),
    pytest.param(
        Bad(
            variant(("operators: [111]", "operators: [111, {language: fa}]")),
            "operators[1]",
            ("needs an id: {id: 123456789, language: fa}",),
            line=1,
        ),
        id="operator-without-id",
    ),
    pytest.param(
        Bad(
            variant(("operators: [111]", "operators: [111, {id: 111, language: fa}]")),
            "operators[1].id",
            ("111 is listed twice",),
            line=1,
        ),
        id="operator-with-language-duplicate",
    ),
    pytest.param(
        Bad(
            variant(("  - key: gap", "  - key: soroush")),
            "services[1].key",
            ("'soroush' is already the key of services[0]",),
            line=6,
        ),
        id="duplicate-service-key",
    ),
    pytest.param(
        Bad(
            variant(("key: soroush", "key: Soroush!")),
            "services[0].key",
            ("'Soroush!' must be a slug",),
            line=3,
        ),
        id="service-key-not-slug",
    ),
    pytest.param(
        Bad(
            variant(("https://gap.im/demo", "ftp://gap.im/demo")),
            "services[1].url",
            ("'ftp://gap.im/demo' must start with http://, https:// or tg://",),
            line=8,
        ),
        id="url-ftp",
    ),
    pytest.param(
        Bad(
            variant(("https://gap.im/demo", "https://gap.im/my demo")),
            "services[1].url",
            ("must not contain spaces",),
            line=8,
        ),
        id="url-with-space",
    ),
    pytest.param(
        Bad(
            variant(("    name: Gap\n", "")),
            "services[1].name",
            ("is required: a text, or one per language",),
            line=6,
        ),
        id="service-name-missing",
    ),
    pytest.param(
        Bad(
            variant(('channels:\n  - chat: "@kooch_demo"\n', "")),
            "channels",
            ("must be a non-empty list of channels",),
            line=1,
        ),
        id="channels-missing",
    ),
    pytest.param(
        Bad(
            variant(('"@kooch_demo"', '"@ab"')),
            "channels[0].chat",
            ("'@ab' is not a valid @username",),
            line=10,
        ),
        id="chat-bad-username",
    ),
    pytest.param(
        Bad(
            variant(('"@kooch_demo"', "-1001234567890")),
            "channels[0].key",
            ("is required when chat is a numeric id",),
            line=10,
        ),
        id="numeric-chat-without-key",
    ),
    pytest.param(
        Bad(
            variant(('"@kooch_demo"', "12345")),
            "channels[0].chat",
            ("12345 is not a channel id; channel ids are negative",),
            line=10,
        ),
        id="chat-positive-id",
    ),
    pytest.param(
        Bad(
            variant(append='  - chat: "@Kooch_Demo"\n    key: other\n'),
            "channels[1].chat",
            ("@Kooch_Demo is already channels[0]",),
            line=11,
        ),
        id="duplicate-channel-chat",
    ),
    pytest.param(
        Bad(
            variant(append='  - chat: "@another_one"\n    key: kooch_demo\n'),
            "channels[1].key",
            ("'kooch_demo' is already the key of channels[0]",),
            line=12,
        ),
        id="duplicate-channel-key",
    ),
    pytest.param(
        Bad(
            variant(append="    language: de\n"),
            "channels[0].language",
            ("'de' has no texts; known: en, fa",),
            line=11,
        ),
        id="channel-language-without-texts",
    ),
    pytest.param(
        Bad(
            variant(append="    services: [gap, telegramx]\n"),
            "channels[0].services[1]",
            ("'telegramx' is not a service key; known: gap, soroush",),
            line=11,
        ),
        id="channel-selects-unknown-service",
    ),
    pytest.param(
        Bad(
            variant(append="    buttons_per_row: 9\n"),
            "channels[0].buttons_per_row",
            ("must be a number from 1 to 8",),
            line=11,
        ),
        id="buttons-per-row-9",
    ),
    pytest.param(
        Bad(
            variant(append='    pin: "yes"\n'),
            "channels[0].pin",
            ("must be true or false, not a text",),
            line=11,
        ),
        id="pin-not-bool",
    ),
    pytest.param(
        Bad(
            variant(append="texts:\n  fa:\n    thanks: " + "x" * 201 + "\n"),
            "texts.fa.thanks",
            ("is 201 characters; Telegram shows at most 200 in a toast",),
            line=13,
        ),
        id="toast-over-200",
    ),
    pytest.param(
        Bad(
            variant(append="    announcement: " + "a" * 4090 + "\n"),
            "channels[0]",
            ("the announcement of @kooch_demo is", "characters; Telegram allows 4096"),
            line=10,
        ),
        id="announcement-over-4096-rendered",
    ),
    pytest.param(
        Bad(
            # 110, not more: the links written out (each line with its direction marks) stay
            # under 4096 characters, so buttons are the only excess.
            many_services(110),
            "channels[0]",
            ("the announcement of @kooch_demo has 111 buttons; Telegram allows 100",),
            line=114,
            total=3,  # the /start replies in fa and en carry 110 buttons too
        ),
        id="over-100-buttons",
    ),
    pytest.param(
        Bad(
            variant(
                ("    url: https://splus.ir/demo\n", "    url: https://splus.ir/demo\n    enabled: false\n"),
                ("    url: https://gap.im/demo\n", "    url: https://gap.im/demo\n    enabled: false\n"),
            ),
            "channels[0]",
            ("has no enabled service",),
            line=12,
        ),
        id="all-services-disabled",
    ),
    pytest.param(
        Bad(
            variant(append="texts:\n  fa:\n    thankz: hi\n"),
            "texts.fa.thankz",
            ("unknown key (did you mean 'thanks'?)",),
            line=13,
        ),
        id="unknown-text-key",
    ),
    pytest.param(
        Bad(
            variant(append="texts:\n  ar:\n    thanks: شكرا\n"),
            "texts.ar",
            ("a new language must give every text; missing: announcement, moved_button, already_moved",),
            line=13,
        ),
        id="new-language-missing-keys",
    ),
    pytest.param(
        Bad(
            variant(append="timezone: Mars/Olympus_Mons\n"),
            "timezone",
            ("'Mars/Olympus_Mons' is not a known time zone",),
            line=11,
        ),
        id="bad-timezone",
    ),
    pytest.param(
        Bad(
            variant(append="default_language: de\n"),
            "default_language",
            ("'de' has no texts; known: en, fa",),
            line=11,
            # Only the wrong key is reported: the channels fall back to fa, not to the rejected 'de'.
            total=1,
        ),
        id="default-language-without-texts",
    ),
    pytest.param(
        Bad(
            variant(append="storage:\n  url: postgresql://kooch:hunter2@db.example/kooch\n"),
            "storage.url",
            ("must not hold a password", "KOOCH_DATABASE_URL"),
            line=12,
            column=8,
        ),
        id="storage-url-with-a-password",
    ),
    pytest.param(
        Bad(
            variant(append="storage:\n  url: mysql://kooch@db.example/kooch\n"),
            "storage.url",
            ("must be a PostgreSQL URL",),
            line=12,
        ),
        id="storage-url-not-postgresql",
    ),
]


def errors_of(text: str, file: str = "config.yaml") -> list[ConfigError]:
    with pytest.raises(ConfigInvalid) as info:
        parse_checked_config(text, file)
    return info.value.errors


# ------------------------------------------------------------------------------------------ operators


def test_an_operator_may_choose_a_language_beside_plain_ids() -> None:
    text = variant(("operators: [111]", "operators:\n  - 111\n  - {id: 222, language: FA}\n  - id: 333\n"))
    config = parse_checked_config(text, "config.yaml")
    assert config.operators == frozenset({111, 222, 333})
    assert dict(config.operator_languages) == {222: "fa"}
    # The config's choice wins over the Telegram app's language; without one, the app's counts
    # when Kooch has a catalog for it, else English.
    assert config.operator_language(222, "en-GB") == "fa"
    assert config.operator_language(111, "ar-EG") == "ar"
    assert config.operator_language(111, "de") == "en"
    assert config.operator_language(333, None) == "en"


# ------------------------------------------------------------------------------------------ example


def test_example_config_parses() -> None:
    config = load_checked_config(REPO / "config.yaml")

    assert config.operators == frozenset({123456789})
    assert config.default_language == "fa"
    assert config.timezone == "Asia/Tehran"
    assert config.sqlite_path == REPO / "data" / "kooch.db"
    assert [(c.key, c.chat, c.language, c.pin, c.buttons_per_row) for c in config.channels] == [
        ("demo", "@kooch_demo", "fa", True, 2)
    ]
    assert [(s.key, s.enabled) for s in config.services] == [
        ("soroush", True),
        ("gap", True),
        ("bale", False),
    ]
    assert dict(config.services[0].names) == {"fa": "سروش", "en": "Soroush"}
    assert config.services[0].handle == "@kooch_demo"
    assert [s.key for s in config.services_for(config.channels[0])] == ["soroush", "gap"]
    assert plain(config.text("fa", "announcement")).startswith("📢 این آخرین پیام این کانال در تلگرام است.")
    assert config.text("en", "moved_button") == "✅ I've moved"
    # Keys the file leaves out keep their built-in default.
    assert config.text("en", "thanks") == "Thank you! Your move is recorded."


def test_base_config_is_valid() -> None:
    """The table below edits BASE; it must itself be valid, or every case proves nothing."""
    config = parse_checked_config(BASE)
    assert [c.key for c in config.channels] == ["kooch_demo"]


# ------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize("bad", BAD_CONFIGS)
def test_invalid_config_is_reported_with_path_and_line(bad: Bad) -> None:
    errors = errors_of(bad.yaml)

    matching = [e for e in errors if e.path == bad.path and all(s in e.message for s in bad.contains)]
    assert matching, f"no error at {bad.path!r} saying {bad.contains}; got {errors}"
    assert matching[0].line == bad.line
    if bad.column is not None:
        assert matching[0].column == bad.column
    assert len(errors) == bad.total, errors


@pytest.mark.parametrize("bad", BAD_CONFIGS)
def test_every_error_names_the_file(bad: Bad) -> None:
    with pytest.raises(ConfigInvalid) as info:
        parse_checked_config(bad.yaml, "campaign-2024.yaml")

    assert info.value.errors
    for error in info.value.errors:
        assert str(error).startswith("campaign-2024.yaml: ")
        if error.path:
            assert f" {error.path}: " in str(error)
        if error.line is not None:
            assert f"(line {error.line}, column {error.column})" in str(error)
    assert str(info.value).count("campaign-2024.yaml: ") == len(info.value.errors)


def test_announcement_limit_is_measured_on_the_rendered_text() -> None:
    """4090 characters fit alone; it is the links written under them that break the limit."""
    long_text = "    announcement: " + "a" * 4090 + "\n"

    config = parse_checked_config(variant(append=long_text + "    links_in_text: false\n"))
    assert len(config.channels[0].announcement or "") == 4090

    errors = errors_of(variant(append=long_text))
    assert [e.path for e in errors] == ["channels[0]"]


def test_all_errors_are_reported_at_once() -> None:
    text = variant(
        ("operators: [111]", "operators: [111, -5]"),
        ("https://gap.im/demo", "ftp://gap.im/demo"),
        append='    pin: "yes"\n',
    )

    errors = errors_of(text)

    assert [(e.path, e.line) for e in errors] == [
        ("operators[1]", 1),
        ("services[1].url", 8),
        ("channels[0].pin", 11),
    ]


def test_empty_mapping_names_what_is_missing() -> None:
    errors = errors_of("{}\n")

    assert {e.path for e in errors} >= {"operators", "services", "channels"}


def test_channel_services_entry_that_is_a_mapping_is_an_error() -> None:
    errors = errors_of(variant(append="    services: [{key: gap}]\n"))

    assert [e.path for e in errors] == ["channels[0].services[0]"]


def test_complex_yaml_key_is_an_error() -> None:
    errors = errors_of(variant(append="[a, b]: 1\n"))

    assert errors
    assert errors[0].line == 11


# ------------------------------------------------------------------------------------------ files


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"

    with pytest.raises(ConfigInvalid) as info:
        load_checked_config(path)

    assert [(e.file, e.message) for e in info.value.errors] == [(str(path), "file not found")]
    assert str(info.value) == f"{path}: file not found"


def test_non_utf8_file(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(BASE.encode() + b"# caf\xe9 in Latin-1\n")

    with pytest.raises(ConfigInvalid) as info:
        load_checked_config(path)

    [error] = info.value.errors
    assert error.file == str(path)
    assert error.message.startswith("cannot be read: ")
    assert "'utf-8' codec can't decode byte 0xe9" in error.message
    assert str(error).startswith(f"{path}: cannot be read")


def test_errors_from_a_file_name_it(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(variant(("https://gap", "ftp://gap")))

    with pytest.raises(ConfigInvalid) as info:
        load_checked_config(path)

    assert str(info.value).startswith(f"{path}: services[1].url: 'ftp://gap.im/demo' must start with")
    assert str(info.value).endswith("(line 8, column 10)")


# ------------------------------------------------------------------------------------------ helpers

HELPERS_YAML = """\
operators: [111, 222]
default_language: fa
storage:
  sqlite_path: state/k.db
channels:
  - chat: "@Kooch_Demo"
  - chat: -1001234567890
    key: private
    language: en
    services: [bale, gap, soroush]
services:
  - key: soroush
    name: {fa: سروش, en: Soroush}
    url: https://splus.ir/demo
  - key: gap
    name: Gap
    url: https://gap.im/demo
  - key: bale
    name: Bale
    url: https://ble.ir/demo
    enabled: false
  - key: eitaa
    name: Eitaa
    url: https://eitaa.com/demo
"""


@pytest.fixture
def config() -> Config:
    return parse_checked_config(HELPERS_YAML)


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [
        pytest.param("fa-IR", "fa", id="fa-IR"),
        pytest.param("en", "en", id="en"),
        pytest.param("EN-us", "en", id="EN-us-any-case"),
        pytest.param("de", "fa", id="unknown-de-gets-default"),
        pytest.param("", "fa", id="empty-gets-default"),
        pytest.param(None, "fa", id="none-gets-default"),
    ],
)
def test_language_for(config: Config, language_code: str | None, expected: str) -> None:
    assert config.language_for(language_code) == expected


@pytest.mark.parametrize(
    ("name", "expected_key"),
    [
        pytest.param("kooch_demo", "kooch_demo", id="key-derived-from-username"),
        pytest.param("@Kooch_Demo", "kooch_demo", id="username-as-written"),
        pytest.param("@KOOCH_DEMO", "kooch_demo", id="username-upper-case"),
        pytest.param("@kooch_demo", "kooch_demo", id="username-lower-case"),
        pytest.param(" @kooch_demo ", "kooch_demo", id="username-with-spaces"),
        pytest.param("private", "private", id="key"),
        pytest.param("-1001234567890", "private", id="numeric-id"),
        pytest.param("nope", None, id="unknown"),
        pytest.param("-100", None, id="unknown-id"),
    ],
)
def test_channel_lookup(config: Config, name: str, expected_key: str | None) -> None:
    found = config.channel(name)
    assert (found.key if found else None) == expected_key


def test_channel_keys_and_labels(config: Config) -> None:
    demo, private = config.channels
    assert (demo.key, demo.chat, demo.language, demo.label) == (
        "kooch_demo",
        "@Kooch_Demo",
        "fa",
        "@Kooch_Demo",
    )
    assert (private.chat, private.label) == (-1001234567890, "private (-1001234567890)")
    assert private.ack_data == "ack:private"
    assert config.channel_by_key("private") is private
    assert config.channel_by_key("@Kooch_Demo") is None


def test_services_for(config: Config) -> None:
    demo, private = config.channels

    # No selection: every enabled service, in the file's order.
    assert [s.key for s in config.services_for(demo)] == ["soroush", "gap", "eitaa"]
    assert [s.key for s in config.services_for(None)] == ["soroush", "gap", "eitaa"]
    # A selection: its own order, disabled ones still hidden.
    assert [s.key for s in config.services_for(private)] == ["gap", "soroush"]


def test_service_names_fall_back(config: Config) -> None:
    soroush, gap = config.services[0], config.services[1]
    assert soroush.name("en", "fa") == "Soroush"
    assert soroush.name("ar", "fa") == "سروش"
    assert dict(gap.names) == {"fa": "Gap"}
    assert gap.name("en", "fa") == "Gap"


def test_operators(config: Config) -> None:
    assert config.is_operator(111)
    assert config.is_operator(222)
    assert not config.is_operator(333)
    assert not config.is_operator(None)


@pytest.mark.parametrize(
    ("storage", "expected"),
    [
        pytest.param("storage:\n  sqlite_path: state/k.db\n", "conf/state/k.db", id="relative"),
        pytest.param("", "conf/data/kooch.db", id="default"),
        pytest.param("storage:\n  sqlite_path: ../up.db\n", "conf/../up.db", id="relative-upwards"),
    ],
)
def test_relative_sqlite_path_is_relative_to_the_config_file(
    tmp_path: Path, storage: str, expected: str
) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "config.yaml").write_text(BASE + storage)

    config = load_checked_config(folder / "config.yaml")

    assert config.sqlite_path == tmp_path / expected


def test_storage_url_without_a_password_is_read(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(BASE + "storage:\n  url: postgresql://kooch@db.example/kooch\n")
    config = load_checked_config(tmp_path / "config.yaml")
    assert config.database_url == "postgresql://kooch@db.example/kooch"
    assert config.sqlite_path == tmp_path / "data" / "kooch.db"  # still the folder of the key files


def test_the_environment_url_wins_over_the_config(tmp_path: Path) -> None:
    from kooch.store import database_url

    configured = "postgresql://kooch@db.example/kooch"
    secret = "postgresql://kooch:hunter2@db.example/kooch"
    assert database_url(configured, {"KOOCH_DATABASE_URL": secret}) == secret
    assert database_url(configured, {}) == configured
    assert database_url(None, {"KOOCH_DATABASE_URL": "  "}) is None  # blank: the SQLite file


def test_absolute_sqlite_path_is_kept(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(BASE + "storage:\n  sqlite_path: /var/lib/kooch/k.db\n")

    assert load_checked_config(tmp_path / "config.yaml").sqlite_path == Path("/var/lib/kooch/k.db")


def test_version_is_a_hash_of_the_text() -> None:
    assert parse_checked_config(BASE).version == parse_checked_config(BASE).version
    assert parse_checked_config(BASE).version != parse_checked_config(BASE + "# edited\n").version
    assert len(parse_checked_config(BASE).version) == 12
