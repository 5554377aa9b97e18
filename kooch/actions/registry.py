"""The registered actions: every module of :mod:`kooch.actions.gated`, imported once."""

from __future__ import annotations

import importlib
import pkgutil

from kooch.actions import gated
from kooch.actions.model import ACTIONS, Actions
from kooch.actions.wording import code_words, step_words
from kooch.i18n import gettext, ltr
from kooch.operators.audit import Record


def actions() -> Actions:
    """The registry, with every gated action in it."""
    for module in pkgutil.iter_modules(gated.__path__):
        importlib.import_module(f"{gated.__name__}.{module.name}")
    return ACTIONS


def record_words(record: Record, language: str) -> str:
    """A gated action's audit row for /audit: the action, the step, the outcome, in the reader's
    words (:func:`kooch.insight.audit.format_audit` calls it)."""
    action = actions().get(record.kind)
    title = action.title(language) if action is not None else ltr(record.kind)
    words = f"{title}: {step_words(record, language)}"
    if record.codes:
        own = action.code_words if action is not None else None
        said = [code_words(code, language, own) for code in record.codes]
        words += gettext(language, " — ") + gettext(language, ", ").join(said)
    return words
