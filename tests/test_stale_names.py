"""Docstrings and comments name modules that exist: every dotted ``kooch.…`` or ``handlers.…`` name
written in a docstring or a comment resolves to a module, or to an attribute of one.

Modules are renamed and deleted; prose that still names the old place sends a newcomer looking for
a file that is not there. This test finds each such name (file names such as ``kooch.db`` aside)."""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: kooch/handlers is a link to handlers/, which rglob does not follow: named on its own.
SOURCES = sorted(
    [
        *(ROOT / "kooch").rglob("*.py"),
        *(ROOT / "handlers").glob("*.py"),
        *(ROOT / "tests").glob("*.py"),
        *(ROOT / "bench").rglob("*.py"),
        ROOT / "bot.py",
    ]
)
#: A dotted name rooted at the package or its handlers; the last part may not end a sentence's dot.
DOTTED = re.compile(r"(?<![\w./-])((?:kooch|handlers)(?:\.[A-Za-z_]\w*)+)")
#: Files named like modules: the database, the catalogs, the config, the unit file.
FILE_NAMES = re.compile(r"kooch\.(db|po|pot|mo|yaml|yml|log|csv|png|service|toml|sqlite|json|txt)$")


def prose(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every comment and docstring of ``path``."""
    source = path.read_text(encoding="utf-8")
    found = [
        (token.start[0], token.string)
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    ]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            docstring = ast.get_docstring(node, clean=False)
            if docstring is not None:
                found.append((node.body[0].lineno, docstring))
        # Attribute docstrings (a string after an assignment) and `#:` comments count too.
        if isinstance(node, ast.Module | ast.ClassDef):
            for first, second in zip(node.body, node.body[1:], strict=False):
                if isinstance(first, ast.Assign | ast.AnnAssign) and isinstance(second, ast.Expr):
                    value = second.value
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found.append((second.lineno, value.value))
    return found


def resolves(name: str) -> bool:
    """Whether ``name`` is a module, or an attribute (of an attribute…) of one."""
    parts = name.split(".")
    if parts[0] == "handlers":
        parts = ["kooch", *parts]
    for cut in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(target, attribute):
                # An instance attribute, set in __init__: named in the class's source.
                return isinstance(target, type) and (
                    attribute in getattr(target, "__annotations__", {})
                    or attribute in _instance_attributes(target)
                )
            target = getattr(target, attribute)
        return True
    return False


def _instance_attributes(cls: type) -> set[str]:
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return set()
    return set(re.findall(r"self\.(\w+)\s*[:=]", source))


def stale_names() -> list[str]:
    stale = []
    for path in SOURCES:
        for line, text in prose(path):
            for name in DOTTED.findall(text):
                if FILE_NAMES.search(name) or resolves(name):
                    continue
                stale.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    return stale


def test_every_dotted_name_in_prose_resolves() -> None:
    assert stale_names() == []


@pytest.mark.parametrize(
    ("name", "exists"),
    [
        ("kooch.insight.stats", True),
        ("kooch.insight.wording.format_stats", True),
        ("handlers.insight", True),
        ("kooch.campaign_runner", False),
        ("kooch.insight.stats.no_such_function", False),
    ],
    ids=["module", "function", "handlers", "gone module", "gone function"],
)
def test_a_name_resolves_only_when_it_exists(name: str, exists: bool) -> None:
    assert resolves(name) is exists
