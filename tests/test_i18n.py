"""The locale layer and its catalogs: each person's language, direction, digits and calendar, and a
check that every message the code asks for is in the catalogs, translated, with valid plurals."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.extract import extract
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from kooch.config.texts import DEFAULT_TEXTS, TEXT_KEYS, builtin_texts
from kooch.i18n import (
    SUPPORTED,
    catalog_ids,
    direction,
    format_date,
    format_datetime,
    format_number,
    format_percent,
    gettext,
    isolate,
    missing_translations,
    ngettext,
    paragraph,
    read_catalog,
    resolve_language,
    strip_controls,
)
from kooch.i18n.formats import format_count, format_time
from tests.bidi_kit import visual

ROOT = Path(__file__).resolve().parent.parent
#: 2026-12-02 00:14 in Tehran: 11 Azar 1405 in the Solar Hijri calendar.
AZAR_11 = 1796157840.0


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("fa", "fa"),
        ("fa-IR", "fa"),
        ("FA_ir", "fa"),
        ("ar-EG", "ar"),
        ("en-GB", "en"),
        ("de", "en"),
        (None, "en"),
    ],
)
def test_a_telegram_language_code_resolves_to_a_supported_language(code: str | None, language: str) -> None:
    assert resolve_language(code) == language


def test_resolving_against_a_configs_languages_falls_back_to_its_default() -> None:
    assert resolve_language("ar", supported=("fa", "en"), default="fa") == "fa"
    assert resolve_language("en-US", supported=("fa", "en"), default="fa") == "en"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fa", "rtl"), ("ar", "rtl"), ("he", "rtl"), ("ur", "rtl"), ("en", "ltr"), ("de", "ltr"), ("xx", "ltr")],
)
def test_direction_comes_from_cldr(language: str, expected: str) -> None:
    assert direction(language) == expected


@pytest.mark.parametrize(
    ("language", "whole", "decimal", "percent"),
    [
        ("en", "1,234,567", "-12.5", "41.3%"),
        ("fa", "۱٬۲۳۴٬۵۶۷", "-۱۲٫۵", "۴۱٫۳٪"),
        ("ar", "١٬٢٣٤٬٥٦٧", "-١٢٫٥", "٤١٫٣٪"),
    ],
)
def test_numbers_in_each_languages_digits(language: str, whole: str, decimal: str, percent: str) -> None:
    assert format_number(1234567, language) == whole
    assert format_number(-12.5, language, decimals=1) == decimal
    assert format_percent(41.26, language) == percent
    assert format_number(0, language) == {"en": "0", "fa": "۰", "ar": "٠"}[language]


@pytest.mark.parametrize(
    ("language", "in_words", "numeric", "date"),
    [
        ("fa", "۱۱ آذر ۱۴۰۵، ۰۰:۱۴", "۱۴۰۵-۰۹-۱۱ ۰۰:۱۴", "۱۱ آذر ۱۴۰۵"),
        ("en", "2 Dec 2026, 00:14", "2026-12-02 00:14", "2 Dec 2026"),
        ("ar", "٢ ديسمبر ٢٠٢٦، ٠٠:١٤", "٢٠٢٦-١٢-٠٢ ٠٠:١٤", "٢ ديسمبر ٢٠٢٦"),
    ],
)
def test_dates_in_each_languages_calendar_and_digits(
    language: str, in_words: str, numeric: str, date: str
) -> None:
    assert format_datetime(AZAR_11, "Asia/Tehran", language) == in_words
    shown = format_datetime(AZAR_11, "Asia/Tehran", language, numeric=True)
    assert strip_controls(shown) == numeric
    # One visual order, year first, after a word of the language as at the start of a line.
    for line in (f"{date}: {shown}", f"{shown} {date}"):
        assert numeric in visual(paragraph(line, language))
    assert format_date(AZAR_11, "Asia/Tehran", language) == date


def test_dates_are_in_the_configured_time_zone() -> None:
    # 00:14 in Tehran is still the 1st of December (10 Azar) in UTC.
    assert format_datetime(AZAR_11, "UTC", "fa") == "۱۰ آذر ۱۴۰۵، ۲۰:۴۴"
    assert format_datetime(AZAR_11, "UTC", "en") == "1 Dec 2026, 20:44"
    # Nowruz: the Solar Hijri year starts at the March equinox.
    assert format_date(1742545800.0, "Asia/Tehran", "fa") == "۱ فروردین ۱۴۰۴"


def test_the_shared_formatters_keep_their_output() -> None:
    assert format_time(AZAR_11, "Asia/Tehran") == "2026-12-02 00:14"
    assert format_count(1234, "fa") == "۱٬۲۳۴"
    assert format_count(1234567, "en") == "1,234,567"
    assert format_count(7, "de") == "7"


def test_a_name_keeps_its_direction_inside_a_sentence_of_the_other() -> None:
    assert visual(paragraph(f"کانال {isolate('@kooch_demo')}: ۱۲", "fa")) == "۱۲ :@kooch_demo لاناک"
    # Bare, the figure after a Persian name jumps before it in an English line.
    assert visual("Channel سروش ۲: 12 moved") == "Channel 12 :۲ شورس moved"
    assert visual(f"Channel {isolate('سروش ۲')}: 12 moved") == "Channel ۲ شورس: 12 moved"


def test_plural_forms_follow_each_language() -> None:
    forms = [ngettext("ar", "operator", "{n} operators", n).format(n=n) for n in (0, 1, 2, 3, 11, 100)]
    assert len(set(forms)) == 6  # Arabic: zero, one, two, few, many, other
    assert ngettext("en", "operator", "{n} operators", 1) == "operator"
    assert ngettext("en", "operator", "{n} operators", 2).format(n=2) == "2 operators"
    assert ngettext("fa", "operator", "{n} operators", 2).format(n=2) == "2 گردانندهٔ"


def test_a_language_without_a_catalog_and_an_unknown_message_fall_back_to_english() -> None:
    assert gettext("de", "✅ I've moved") == "✅ I've moved"
    assert gettext("fa", "✅ I've moved") == "✅ کوچ کردم"
    assert gettext("fa", "a message no catalog has") == "a message no catalog has"


def test_the_built_in_subscriber_texts_are_a_view_of_the_catalogs() -> None:
    assert set(DEFAULT_TEXTS) == {"fa", "en"}
    for language, texts in DEFAULT_TEXTS.items():
        assert list(texts) == list(TEXT_KEYS)
        assert texts == builtin_texts(language)
    assert DEFAULT_TEXTS["fa"]["moved_button"] == "✅ کوچ کردم"
    assert builtin_texts("ar")["moved_button"] == "✅ انتقلت"


# --------------------------------------------------------------------------------------------
# The catalog check


@dataclass(frozen=True)
class Use:
    """A message the code asks for, where."""

    context: str | None
    id: str
    plural: str | None
    where: str


#: The catalog functions: how many leading arguments come before the message, and its parts.
_FUNCTIONS = {
    "gettext": ("id",),
    "pgettext": ("context", "id"),
    "ngettext": ("id", "plural"),
    "npgettext": ("context", "id", "plural"),
}


def _catalog_functions(tree: ast.Module) -> dict[str, tuple[int, tuple[str, ...]]]:
    """Names that call the catalog in a module: ``gettext`` or an alias (``pgettext as _p``),
    and ``_ = partial(gettext, language)``; each with the number of arguments before the
    message (the language, unless partial bound it)."""
    names: dict[str, tuple[int, tuple[str, ...]]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in ("kooch.i18n", "kooch.i18n.catalog"):
            for alias in node.names:
                if alias.name in _FUNCTIONS:
                    names[alias.asname or alias.name] = (1, _FUNCTIONS[alias.name])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "partial"
            and node.value.args
            and isinstance(node.value.args[0], ast.Name)
            and node.value.args[0].id in names
        ):
            skip, parts = names[node.value.args[0].id]
            names[node.targets[0].id] = (skip - (len(node.value.args) - 1), parts)
    return names


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def messages_used_in_code() -> tuple[list[Use], list[str]]:
    """Every catalog call in Kooch's code, and the ones whose message is not a literal string."""
    uses: list[Use] = []
    not_literal: list[str] = []
    files = [
        ROOT / "bot.py",
        *sorted((ROOT / "kooch").rglob("*.py")),
        *sorted((ROOT / "handlers").rglob("*.py")),
    ]
    for path in files:
        if path == ROOT / "kooch" / "i18n" / "catalog.py":
            continue  # where the functions are defined
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = _catalog_functions(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names):
                continue
            skip, parts = names[node.func.id]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            args = node.args[skip : skip + len(parts)]
            values = dict(zip(parts, (_literal(a) for a in args), strict=True))
            if len(args) < len(parts) or any(v is None for v in values.values()):
                not_literal.append(where)
                continue
            uses.append(Use(values.get("context"), str(values["id"]), values.get("plural"), where))
    return uses, not_literal


def test_every_message_the_code_asks_for_is_in_the_catalogs() -> None:
    uses, not_literal = messages_used_in_code()
    # A message built at run time could not be checked (nor found by a translator's tools).
    assert not_literal == []
    assert uses
    known = catalog_ids("en")
    missing = [f"{u.where}: {u.id!r}" for u in uses if (u.context, u.id) not in known]
    assert missing == []
    wrong_plural = [u.where for u in uses if known[(u.context, u.id)].plural != u.plural]
    assert wrong_plural == []
    # And nothing in the catalogs that no code asks for any more.
    asked = {(u.context, u.id) for u in uses}
    assert sorted(str(m) for key, m in known.items() if key not in asked) == []


@pytest.mark.parametrize("language", SUPPORTED)
def test_each_catalog_has_the_same_messages_and_babels_plural_rules(language: str) -> None:
    catalog = read_catalog(language)
    assert set(catalog_ids(language)) == set(catalog_ids("en"))
    rule = get_plural(language)
    assert catalog.plural_forms == rule.plural_forms
    for message in catalog:
        if message.id and isinstance(message.id, tuple | list):
            assert isinstance(message.string, tuple | list)
            assert len(message.string) == rule.num_plurals, message.id


@pytest.mark.parametrize("language", ["fa", "en"])
def test_persian_and_english_have_no_missing_translation(language: str) -> None:
    assert [str(m) for m in missing_translations(language)] == []


def test_arabic_gaps_are_listed_and_fall_back_to_english() -> None:
    # Arabic may lag behind: what it lacks is listed (for translators) and shows in English.
    for message in missing_translations("ar"):
        if message.context is None and message.plural is None:
            assert gettext("ar", message.id) == message.id


_PLACEHOLDER = re.compile(r"{(\w*)}")


@pytest.mark.parametrize("language", SUPPORTED)
def test_translations_use_only_the_placeholders_of_their_message(language: str) -> None:
    """A translation naming a placeholder its message lacks would raise KeyError at .format()."""
    wrong = []
    for message in read_catalog(language):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        allowed = {name for text in ids for name in _PLACEHOLDER.findall(text)}
        for text in strings:
            if text is None:
                continue
            if not set(_PLACEHOLDER.findall(text)) <= allowed:
                wrong.append(ids[0])
            # A singular message's translation keeps all its placeholders.
            if len(ids) == 1 and set(_PLACEHOLDER.findall(text)) != allowed and text:
                wrong.append(ids[0])
    assert wrong == []


#: Modules whose every Persian or Arabic word comes from the catalogs (the rest follow).
THROUGH_THE_CATALOG = [
    "kooch/config/texts.py",
    "kooch/subscribers/privacy.py",
    "kooch/insight/charts.py",
    # What operators read.
    "kooch/operators/wording.py",
    "kooch/operators/approval/wording.py",
    "kooch/operators/forget/wording.py",
    "kooch/announce/status.py",
    "kooch/announce/post/wording.py",
    "kooch/announce/moved/wording.py",
    "kooch/announce/schedule/wording.py",
    "kooch/announce/sync/wording.py",
    "kooch/announce/schedule/model.py",
    "kooch/announce/sync/service.py",
    "kooch/campaigns/model.py",
    "kooch/campaigns/wording.py",
    "kooch/campaigns/service.py",
    "kooch/config/reload.py",
    "kooch/insight/stats.py",
    "kooch/insight/wording.py",
    "kooch/insight/audience.py",
    "kooch/across/wording.py",
    "kooch/across/service.py",
    "kooch/across/mirror.py",
    "kooch/insight/audit.py",
    "kooch/insight/export.py",
    "kooch/telegram/errors.py",
    # What subscribers and visitors read besides the config's texts.
    "kooch/web/pages.py",
    "kooch/announce/moved/model.py",
    *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "handlers").glob("*.py")),
]
# Arabic script, its supplement and presentation forms (U+FEFF, the BOM, is none of them).
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc]")


@pytest.mark.parametrize("module", THROUGH_THE_CATALOG)
def test_no_persian_or_arabic_text_is_written_in_the_code(module: str) -> None:
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    found = [
        f"{module}:{node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
        and _ARABIC_SCRIPT.search(node.value)
    ]
    assert found == []


# --------------------------------------------------------------------------------------------
# The catalog check, as a translator's tools see the code (Babel's extractor), and its template

#: pybabel's keywords for Kooch's catalog calls: the language comes first, then the message
#: (docs/features.md, "Languages and translations", runs ``pybabel extract`` with the same).
BABEL_KEYWORDS: dict[str, tuple[int | tuple[int, str], ...]] = {
    "gettext": (2,),
    "ngettext": (2, 3),
    "pgettext": ((2, "c"), 3),
    "npgettext": ((2, "c"), 3, 4),
    "_": (1,),  # _ = partial(gettext, language)
    "_p": ((2, "c"), 3),  # from kooch.i18n import pgettext as _p
}


def code_files() -> list[Path]:
    return [
        ROOT / "bot.py",
        *sorted((ROOT / "kooch").rglob("*.py")),
        *sorted((ROOT / "handlers").rglob("*.py")),
    ]


def babel_messages() -> dict[tuple[str | None, str], str]:
    """Every message Babel's extractor finds in Kooch's code, with where (the first place)."""
    found: dict[tuple[str | None, str], str] = {}
    for path in code_files():
        with path.open("rb") as fh:
            for lineno, message, _comments, context in extract("python", fh, keywords=BABEL_KEYWORDS):
                msgid = message[0] if isinstance(message, tuple | list) else message
                if msgid:
                    found.setdefault((context, str(msgid)), f"{path.relative_to(ROOT)}:{lineno}")
    return found


def test_babel_finds_the_messages_the_catalogs_hold_and_every_one_is_translated() -> None:
    found = babel_messages()
    known = catalog_ids("en")
    assert sorted(f"{where}: {key[1]!r}" for key, where in found.items() if key not in known) == []
    assert sorted(str(m) for key, m in known.items() if key not in found) == []
    # Which the fa and en catalogs translate in full (test_persian_and_english_have_no_missing_translation).
    for language in ("fa", "en"):
        assert {(m.context, m.id) for m in missing_translations(language)} & set(found) == set()


def test_no_catalog_call_hides_inside_an_f_string() -> None:
    """pybabel reads an f-string as one token: a message asked for inside one would be missing
    from the template a translator works from."""
    hidden = []
    for path in code_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set(_catalog_functions(tree)) | {"_"}
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                for inner in ast.walk(node):
                    if (
                        isinstance(inner, ast.Call)
                        and isinstance(inner.func, ast.Name)
                        and inner.func.id in names
                    ):
                        hidden.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert hidden == []


def test_the_pot_template_lists_what_the_code_asks_for() -> None:
    """kooch/i18n/locales/kooch.pot is regenerated with docs/features.md's ``pybabel extract`` command."""
    with (ROOT / "kooch" / "i18n" / "locales" / "kooch.pot").open("rb") as fh:
        template = read_po(fh)
    ids = {(m.context, str(m.id[0] if isinstance(m.id, tuple | list) else m.id)) for m in template if m.id}
    assert ids == set(babel_messages())


def test_catalog_sizes_per_language(capsys: pytest.CaptureFixture[str]) -> None:
    """The size of each catalog, as ``python3 -m kooch.i18n`` prints it (shown with ``-s``)."""
    from kooch.i18n.__main__ import main

    assert main() == 0
    out = capsys.readouterr().out
    total = len(catalog_ids())
    assert f"fa: {total} of {total} messages translated" in out
    assert f"en: {total} of {total} messages translated" in out
    with capsys.disabled():
        print("\n" + out.strip())


def test_a_missing_translation_falls_back_to_english_and_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A translator's catalog lacking one message: that message reads in English, and the check
    (and ``python3 -m kooch.i18n``) names it."""
    import shutil

    import kooch.i18n.catalog as catalog_module

    copy = tmp_path / "locales"
    shutil.copytree(catalog_module.LOCALES_DIR, copy)
    po = copy / "fa" / "LC_MESSAGES" / "kooch.po"
    text = po.read_text(encoding="utf-8")
    gap = 'msgid "Cancelled."\nmsgstr "لغو شد."'
    assert gap in text
    po.write_text(text.replace(gap, 'msgid "Cancelled."\nmsgstr ""'), encoding="utf-8")
    monkeypatch.setattr(catalog_module, "LOCALES_DIR", copy)
    catalog_module.read_catalog.cache_clear()
    catalog_module.translations.cache_clear()
    try:
        assert [str(m) for m in missing_translations("fa")] == ["Cancelled."]
        assert gettext("fa", "Cancelled.") == "Cancelled."
        assert gettext("fa", "Posting…") == "در حال فرستادن…"
    finally:
        monkeypatch.undo()
        catalog_module.read_catalog.cache_clear()
        catalog_module.translations.cache_clear()
    assert gettext("fa", "Cancelled.") == "لغو شد."


# --------------------------------------------------------------------------------------------
# Strings shown to people that bypass the catalog

#: Calls whose first argument (or ``text=``/``caption=``) is shown to a person.
_SHOWN = {
    "reply_text",
    "answer",
    "edit_message_text",
    "send_message",
    "send_text",
    "reply_photo",
    "reply_document",
    "InlineKeyboardButton",
    "Button",
    "Post",
}
#: Two English words in a row: a sentence (a callback pattern or an id has none).
_ENGLISH = re.compile(r"[A-Za-z]{2,}[ ,;:'’]+[A-Za-z]{2,}")


def _english_literal(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(_ENGLISH.search(node.value))
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and _ENGLISH.search(str(v.value)) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _english_literal(node.left) or _english_literal(node.right)
    return False


def test_no_text_shown_to_people_is_written_in_the_code() -> None:
    """Replies, answers, edits, notices and buttons take their words from the catalogs (or from the
    config's subscriber texts), never from an English literal next to the call."""
    found = []
    for path in code_files():
        rel = path.relative_to(ROOT)
        if rel.parts[:2] in {("kooch", "simulator"), ("kooch", "cli"), ("kooch", "i18n")}:
            continue  # the simulator plays Telegram; the command line speaks to the admin's shell
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in _SHOWN:
                continue
            shown = [*node.args[:1], *(k.value for k in node.keywords if k.arg in ("text", "caption"))]
            found += [f"{rel}:{node.lineno}" for arg in shown if _english_literal(arg)]
    assert found == []


@pytest.mark.parametrize(
    "path", ["kooch.pot", "en/LC_MESSAGES/kooch.po", "fa/LC_MESSAGES/kooch.po", "ar/LC_MESSAGES/kooch.po"]
)
def test_every_catalog_file_is_valid_gettext(path: str) -> None:
    """Babel's lenient reading let a template with two entries lacking ``msgstr`` through (msgfmt
    and Weblate refuse such a file); read strictly, as the translators' tools do."""
    from babel.messages.pofile import read_po

    with (ROOT / "kooch" / "i18n" / "locales" / path).open("rb") as fh:
        read_po(fh, abort_invalid=True)
