"""Persian as an operator would write it: one vocabulary (ربات), durations and time zones in words,
languages by name, operators by their Telegram name, and config errors in the reader's words on
the line the mistake is really on."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from kooch.app.runner import App
from kooch.campaigns.model import UNMOVED, Audience, CampaignInfo, Tally
from kooch.campaigns.wording import format_campaign_line
from kooch.config import ConfigError, ConfigInvalid, load_config, parse_config
from kooch.config.reload import format_errors
from kooch.config.yaml_positions import read_yaml
from kooch.i18n import language_name, ltr, paragraph, read_catalog
from kooch.i18n.bidi import FSI, LRI, PDI, RLI
from kooch.i18n.formats import every, zone_words
from kooch.operators.languages import OperatorLanguages, clean_name
from kooch.operators.wording import operator_name
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from kooch.subscribers.privacy import privacy_text
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import OPERATOR_ID, base_config, running_bot, say, write_config

#: «بات» as a word of its own (also before a suffix joined by a ZWNJ, «بات‌ها»), not inside
#: another word («ثبات»، «عبارات»).
BAT = re.compile(r"(?<![\u0621-\u06ff])بات(?![\u0621-\u06ff])")
LATIN_DIGIT = re.compile("[0-9]")
LATIN_LETTER = re.compile("[A-Za-z]")

#: fa messages whose Latin digits are syntax to type as it is (``in 2h``, ``at 2025-06-01T18:00``):
#: the examples of scheduling and /export, which the dates part of issue 23 rewrites (computed
#: from today, in the reader's calendar).
TYPED_EXAMPLES = (
    "Nothing is scheduled. /announce [channel] at <time>",
    "/announce [channel] at ",
    "Say when: /announce [channel] at ",
    "“{text}” is not an ISO time",
    "Usage: /export [channel] [since]",
)


class _Persian(dict[str, str]):
    """Placeholders filled with a Persian word, to lay a message out as a reader gets it."""

    def __missing__(self, key: str) -> str:
        return "نام"


def outside_isolates(text: str) -> str:
    """``text`` without what is inside isolates (handles, keys, numbers the wording set apart)."""
    out, depth = [], 0
    for ch in text:
        if ch in (LRI, RLI, FSI):
            depth += 1
        elif ch == PDI and depth:
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def persian_messages() -> list[tuple[str, str]]:
    """Every (message id, Persian text) of the fa catalog, each plural form on its own."""
    out = []
    for message in read_catalog("fa"):
        if not message.id:
            continue
        msgid = str(message.id[0] if isinstance(message.id, tuple | list) else message.id)
        forms = list(message.string) if isinstance(message.string, tuple | list) else [message.string]
        out += [(msgid, str(form)) for form in forms]
    return out


# --------------------------------------------------------------------------------------------
# The catalog, read as a whole


def test_the_persian_catalog_says_rabot_never_bat() -> None:
    assert [msgid for msgid, text in persian_messages() if BAT.search(text)] == []
    assert BAT.search("بات‌ها") and BAT.search("به بات بدهید") and not BAT.search("ثبات و عبارات")


def test_latin_digits_in_persian_messages_are_only_inside_left_to_right_runs() -> None:
    stray = []
    for msgid, text in persian_messages():
        if msgid.startswith(TYPED_EXAMPLES):
            continue
        filled = text.format_map(_Persian()) if "{" in text else text
        for line in filled.split("\n"):
            if LATIN_DIGIT.search(outside_isolates(paragraph(line, "fa"))):
                stray.append(msgid)
    assert stray == []


def test_no_persian_message_names_a_zone_or_counts_an_interval_in_seconds() -> None:
    texts = [text for _msgid, text in persian_messages()]
    assert [t for t in texts if "Asia/" in t or ("{seconds} ثانیه" in t and "هر" in t)] == []
    # "At most every 5 s" is «حداکثر»، never «دست‌کم» (at least).
    counter = next(t for msgid, t in persian_messages() if msgid.startswith("🔢 live counter on"))
    assert "حداکثر {every}" in counter and "دست‌کم" not in counter


# --------------------------------------------------------------------------------------------
# Durations, zones, languages


@pytest.mark.parametrize(
    ("seconds", "language", "words"),
    [
        (3600, "fa", "هر ساعت"),
        (300, "fa", "هر ۵ دقیقه"),
        (5, "fa", "هر ۵ ثانیه"),
        (600, "en", "every 10 minutes"),
        (60, "en", "every minute"),
        (90, "en", "every 90 seconds"),
        (0.5, "en", "every 0.5 seconds"),
        (0.5, "fa", "هر ۰٫۵ ثانیه"),
        (2.5, "ar", "كل ٢٫٥ ثانية"),
        (1.0, "en", "every second"),
        (86400, "ar", "كل يوم"),
        (7200, "ar", "كل ساعتين"),
        (2 * 86400, "fa", "هر ۲ روز"),
    ],
    ids=lambda v: str(v),
)
def test_an_interval_is_said_in_its_largest_whole_unit(seconds: float, language: str, words: str) -> None:
    assert every(seconds, language) == words


@pytest.mark.parametrize(
    ("zone", "language", "words"),
    [
        ("Asia/Tehran", "fa", "به وقت تهران"),
        ("Asia/Tehran", "en", "Tehran time"),
        ("Asia/Tehran", "ar", "بتوقيت طهران"),
        ("Europe/Berlin", "fa", "به وقت برلین"),
        ("UTC", "fa", "به وقت جهانی"),
        ("UTC", "en", "UTC"),
        ("Etc/UTC", "ar", "بالتوقيت العالمي"),
        # No city in CLDR: the id's last part, kept left to right in a Persian line.
        ("Etc/GMT+3", "fa", f"به وقت {ltr('GMT+3')}"),
        ("America/Argentina/Buenos_Aires", "en", "Buenos Aires time"),
    ],
    ids=lambda v: str(v),
)
def test_a_time_zone_is_said_by_its_city(zone: str, language: str, words: str) -> None:
    assert zone_words(zone, language) == words


def test_a_language_is_named_in_the_readers_language() -> None:
    assert language_name("fa", "fa") == "فارسی"
    assert language_name("fa", "en") == "Persian"
    assert language_name("en", "ar") == "الإنجليزية"
    assert language_name("xx", "fa") == "xx"


# --------------------------------------------------------------------------------------------
# Operators by name


def test_an_operators_name_is_their_latest_telegram_name_and_forget_drops_it() -> None:
    seen = OperatorLanguages()
    assert operator_name(42, seen.names, "fa") == "گردانندهٔ ۴۲"
    assert operator_name(42, seen.names, "en") == "operator 42"
    seen.note(42, "fa", "سارا  رضایی")
    seen.note(42, "fa", "سارا\u200cجان رضایی\u202e\n")  # the latest one, cleaned
    assert seen.name(42) == "سارا\u200cجان رضایی"
    assert plain(operator_name(42, seen.names, "en")) == "سارا\u200cجان رضایی"
    seen.note(42, None, "")  # an update without a name keeps the last one
    assert seen.name(42) == "سارا\u200cجان رضایی"
    seen.forget(42)
    assert seen.name(42) is None and seen.names == {}


def test_a_name_is_one_line_of_at_most_64_characters() -> None:
    assert clean_name("  a\tb\x00c  ") == "a bc"
    assert clean_name("\u2067x\u2069") == "x"
    assert len(clean_name("ب" * 200)) == 64
    assert clean_name(None) == "" and clean_name("\u200f") == ""


# --------------------------------------------------------------------------------------------
# YAML syntax errors on the line of the mistake

GOOD_TOP = "operators: [4242]\n"


@pytest.mark.parametrize(
    ("text", "line", "kind", "shown"),
    [
        pytest.param(
            "services:\n  - key: soroush\n    name Soroush\n    url: https://splus.ir/x\n",
            3,
            "missing_colon",
            "name Soroush",
            id="key-without-colon",
        ),
        pytest.param(
            "services:\n  - key: soroush\n    name Soroush\n\n    # the link\n    url: https://splus.ir/x\n",
            3,
            "missing_colon",
            "name Soroush",
            id="key-without-colon-before-a-comment",
        ),
        pytest.param(
            GOOD_TOP + 'texts:\n  fa:\n    thanks: "ممنون\nservices: []\n',
            4,
            "unclosed_quote",
            "thanks",
            id="unclosed-quote",
        ),
        pytest.param(
            "operators: [4242, 4343\nservices: []\n", 1, "unclosed_bracket", "[4242", id="unclosed-bracket"
        ),
        pytest.param(
            "services:\n  - key: a\n    name: b\n   url: c\n", 4, "indentation", "   url: c", id="indentation"
        ),
        pytest.param(GOOD_TOP + "timezone: Asia: Tehran\n", 2, "colon_in_value", "Asia: Tehran", id="colon"),
        pytest.param(GOOD_TOP + "services:\n\t- key: a\n", 3, "tab", "\t- key", id="tab"),
        pytest.param(GOOD_TOP + "channels:\n  - chat: @kooch\n", 3, "reserved_start", "@kooch", id="at"),
        pytest.param(GOOD_TOP + "name Soroush\n", 2, "missing_colon", "name Soroush", id="last-line"),
    ],
)
def test_a_yaml_syntax_error_is_on_the_line_of_the_mistake(
    text: str, line: int, kind: str, shown: str
) -> None:
    with pytest.raises(ConfigInvalid) as info:
        read_yaml(text, "config.yaml")
    (error,) = info.value.errors
    assert (error.line, dict(error.values)["kind"]) == (line, kind)
    assert shown in text.splitlines()[line - 1]
    # Kooch's own words, not PyYAML's ("could not find expected ':'").
    assert "could not" not in error.message and "while scanning" not in error.message
    assert error.message.startswith("YAML syntax error: ")


# --------------------------------------------------------------------------------------------
# A config error in a Persian notice


def persian_words_only(text: str) -> list[str]:
    """The lines of ``text`` with a Latin letter outside an isolate (a key, a path, a value)."""
    return [line for line in text.split("\n") if LATIN_LETTER.search(outside_isolates(line))]


def test_config_errors_are_said_in_persian_with_their_key_and_line(tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    raw["link_checks"] = "yes"
    raw["counter_interval_s"] = 0
    raw["services"][0]["url"] = "splus.ir/kooch_demo"
    raw["channels"][0]["pinn"] = True
    raw["approval"] = 2
    raw["timezone"] = "Mars/Olympus"
    raw["operators"] = [OPERATOR_ID, OPERATOR_ID, -1]
    raw["channels"][0]["chat"] = "@ab"
    raw["channels"][0]["language"] = "de"
    path = write_config(tmp_path / "config.yaml", raw)
    with pytest.raises(ConfigInvalid) as info:
        load_config(path)
    errors = info.value.errors
    assert {e.code for e in errors} >= {
        "not_bool",
        "not_in_range",
        "url_scheme",
        "unknown_key",
        "approval_alone",
    }
    notice = format_errors(errors, "fa")
    assert persian_words_only(notice) == []
    assert_reads_right([notice])
    shown = plain(notice)
    assert "• link_checks: باید true یا false باشد، نه یک متن (سطر " in shown
    assert "• counter_interval_s: باید عددی از ۰٫۱ تا ۸۶٬۴۰۰ باشد، نه 0 (سطر " in shown
    assert "• channels[0].pinn: کلید ناشناخته (منظورتان pin بود؟)؛ کلیدهای مجاز اینجا: " in shown
    assert "• approval: مقدار ۲ دست‌کم دو گرداننده می‌خواهد" in shown
    assert "• timezone: Mars/Olympus منطقهٔ زمانی شناخته‌شده‌ای نیست (مانند Asia/Tehran یا UTC) (سطر " in shown
    assert "• channels[0].chat: @ab یک @username درست نیست (۵ تا ۳۲ حرف لاتین، رقم یا _) (سطر " in shown
    assert "• operators[1]: 4242 دو بار آمده است (سطر " in shown
    assert "• operators[2]: باید شناسهٔ عددی مثبت یک کاربر باشد، نه -1 (سطر " in shown
    assert "• channels[0].language: برای de متنی نیست؛ زبان‌های دارای متن: en، fa (سطر " in shown
    # The same errors in English for an English reader, and on the command line.
    english = plain(format_errors(errors, "en"))
    assert "• link_checks: must be true or false, not a text (line " in english


def test_an_error_without_words_of_its_own_is_shown_in_english_left_to_right() -> None:
    error = ConfigError("config.yaml", "web.listen", "'x' must be host:port", 7)
    assert plain(format_errors([error], "fa")) == "• web.listen: 'x' must be host:port (سطر ۷)"


# --------------------------------------------------------------------------------------------
# End to end: a Persian operator, against the simulator


@pytest.fixture
def sara(sim: BotAPISimulator) -> SimUser:
    return sim.add_user("سارا", "fa", user_id=OPERATOR_ID)


@pytest.fixture
async def persian_bot(
    sim: BotAPISimulator, sara: SimUser, channel: SimChat, config_file: Path
) -> AsyncIterator[App]:
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1) as app:
        yield app


async def test_a_persian_operator_reads_a_broken_config_in_persian_words_on_the_right_line(
    sim: BotAPISimulator, sara: SimUser, persian_bot: App, config_file: Path
) -> None:
    # A key without its colon: PyYAML stops on the line after it.
    at = _drop_a_colon(config_file)
    reply = await say(sim, sara, "/reload")
    assert reply.text is not None
    text = reply.text
    assert persian_words_only(text) == []
    shown = plain(text)
    assert shown.startswith(f"❌ {config_file} ۱ خطا دارد (/reload از سوی سارا)؛ چیزی تغییر نکرد")
    assert f"• خطای نگارشی در پرونده: کلیدی که «:» پس از آن نیامده است (سطر {_fa(at)})" in shown

    # Another mistake, found by the checker: a Persian sentence with the key and its line.
    raw = base_config(config_file.parent)
    raw["link_check_interval_s"] = 10
    write_config(config_file, raw)
    line = _line_of(config_file, "link_check_interval_s")
    reply = await say(sim, sara, "/reload")
    assert reply.text is not None and persian_words_only(reply.text) == []
    assert f"• link_check_interval_s: باید عددی از ۶۰ تا ۶۰۴٬۸۰۰ باشد، نه 10 (سطر {_fa(line)})" in plain(
        reply.text
    )
    assert_reads_right(m.text or "" for m in sim.messages(sara.id) if m.from_bot)


async def test_status_says_intervals_zones_and_languages_in_words(
    sim: BotAPISimulator, sara: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    raw = base_config(tmp_path)
    raw["counter_interval_s"] = 5
    raw["channels"][0]["counter"] = True
    path = write_config(tmp_path / "config.yaml", raw)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        text = await _status(sim, sara)
    status = plain(text)
    assert "به وقت تهران" in status and "Asia/Tehran" not in status
    assert "@kooch_demo (فارسی)" in status
    # "At most every 5 s": «حداکثر», in words, not «دست‌کم هر ۵ ثانیه».
    assert "حداکثر هر ۵ ثانیه یک بار به‌روز می‌شود" in status
    assert re.search("نسخهٔ [0-9a-f]+،", status)  # the version, whole, left to right
    assert persian_words_only(text.replace("link_checks: false", "")) == []


def _drop_a_colon(path: Path) -> int:
    """``name: …`` written ``name …`` in the config; the number of that line."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip().startswith("name:"))
    lines[at] = lines[at].replace("name:", "name", 1)
    path.write_text("".join(lines), encoding="utf-8")
    return at + 1


def _fa(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def _line_of(path: Path, key: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if key in line)


async def _status(sim: BotAPISimulator, user: SimUser) -> str:
    reply: SimMessage = await say(sim, user, "/status")
    assert reply.text is not None
    return reply.text


def test_a_campaign_is_listed_with_its_operators_name_and_language_name() -> None:
    campaign = CampaignInfo(
        id=3,
        created_at=1_780_000_000.0,
        created_by=OPERATOR_ID,
        reminder_key=None,
        texts={"fa": "یادآوری"},
        audience=Audience(UNMOVED, None, "en"),
        state="done",
        started_at=1_780_000_000.0,
        finished_at=1_780_000_100.0,
        total=2,
        resent=0,
    )
    tally = Tally(sent=2)
    line = plain(format_campaign_line(campaign, tally, "Asia/Tehran", "fa", {OPERATOR_ID: "سارا"}))
    assert "— سارا، " in line and "، زبان انگلیسی" in line and str(OPERATOR_ID) not in line
    # Before Kooch has seen the operator since it started: their id, in the reader's digits.
    assert "— operator 4242, " in plain(format_campaign_line(campaign, tally, "Asia/Tehran", "en", {}))
    # With its clicks through /go/ too (the reload part's count): the name and the clicks both.
    counted = format_campaign_line(campaign, tally, "Asia/Tehran", "fa", {OPERATOR_ID: "سارا"}, clicks=5)
    assert_reads_right([counted])
    assert "— سارا، " in plain(counted) and plain(counted).endswith("، کلیک روی پیوندهایش ۵")


def test_the_privacy_text_has_persian_digits_only(tmp_path: Path) -> None:
    raw = base_config(tmp_path)
    raw["operators"] = [OPERATOR_ID, OPERATOR_ID + 1]
    raw["privacy"] = {"retention_days": 30}
    text = privacy_text(parse_config(yaml.safe_dump(raw, allow_unicode=True), base_dir=tmp_path), "fa")
    assert LATIN_DIGIT.search(outside_isolates(text)) is None
    assert "فقط ۲ گردانندهٔ کانال" in text and "۳۰ روز" in text
    assert "آنچه ربات کوچ دربارهٔ شما" in text  # the bot, not "what the move keeps"
