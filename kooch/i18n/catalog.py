"""Translation catalogs: gettext ``.po`` files, one per language, with message ids in English.

The ``.po`` sources under ``locales/<lang>/LC_MESSAGES/kooch.po`` are read directly (with Babel)
and compiled in memory the first time a language is asked for; the standard library's
:class:`gettext.GNUTranslations` then does the look-ups and the plural forms. There is no
compiled ``.mo`` to build at install time and so none that can go stale: the Docker image, a
``pip install -e .`` and a bare checkout all read the same files the translators edit, and parsing
a few hundred messages costs a few milliseconds once per process.

A message missing from a language (or left empty, or marked fuzzy) falls back to English; the
English catalog falls back to the message id itself. :func:`missing_translations` lists what a
language lacks, for the catalog check and for translators.
"""

from __future__ import annotations

import gettext as _gettext
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kooch.i18n.languages import FALLBACK, SUPPORTED, base_language

# Package data (pyproject.toml), found as the migrations and the example config are: the wheel's copy.
LOCALES_DIR = Path(str(resources.files("kooch.i18n").joinpath("locales")))
DOMAIN = "kooch"


def po_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def read_catalog(language: str) -> Catalog:
    """The parsed ``.po`` file of ``language`` (raises FileNotFoundError if it has none)."""
    with po_path(language).open("rb") as fh:
        return read_po(fh, locale=language, domain=DOMAIN)


@cache
def translations(language: str) -> _gettext.NullTranslations:
    """The look-ups for ``language``, falling back to English, then to the message id."""
    lang = base_language(language)
    if lang not in SUPPORTED:
        lang = FALLBACK
    compiled = io.BytesIO()
    write_mo(compiled, read_catalog(lang))  # leaves out empty and fuzzy entries: they fall back
    compiled.seek(0)
    found = _gettext.GNUTranslations(compiled)
    if lang != FALLBACK:
        found.add_fallback(translations(FALLBACK))
    return found


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)


def pgettext(language: str, context: str, message: str) -> str:
    """``message`` in ``language``, where ``context`` tells apart two uses of the same English."""
    return translations(language).pgettext(context, message)


def ngettext(language: str, singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` under ``language``'s plural rules (Arabic has
    six forms, Persian and English two). Callers still format ``n`` into the result."""
    return translations(language).ngettext(singular, plural, n)


def npgettext(language: str, context: str, singular: str, plural: str, n: int) -> str:
    return translations(language).npgettext(context, singular, plural, n)


@dataclass(frozen=True)
class MessageId:
    """One message as the code asks for it: ``(context, id)``, plus its plural id if any."""

    context: str | None
    id: str
    plural: str | None = None

    def __str__(self) -> str:
        return f"{self.context}|{self.id}" if self.context else self.id


def catalog_ids(language: str = FALLBACK) -> dict[tuple[str | None, str], MessageId]:
    """Every message of ``language``'s catalog (the English one lists them all)."""
    out: dict[tuple[str | None, str], MessageId] = {}
    for message in read_catalog(language):
        if not message.id:
            continue  # the header
        if isinstance(message.id, tuple | list):
            out[(message.context, str(message.id[0]))] = MessageId(
                message.context, str(message.id[0]), str(message.id[1])
            )
        else:
            out[(message.context, str(message.id))] = MessageId(message.context, str(message.id))
    return out


def missing_translations(language: str) -> list[MessageId]:
    """Messages of the English catalog that ``language`` lacks, leaves empty or marks fuzzy."""
    catalog = read_catalog(language)
    missing = []
    for key, wanted in catalog_ids(FALLBACK).items():
        message = catalog.get(key[1], context=key[0])
        strings = message.string if message is not None else ""
        forms = list(strings) if isinstance(strings, tuple | list) else [strings]
        if message is None or message.fuzzy or not forms or not all(forms):
            missing.append(wanted)
    return missing
