"""Issue 24: no production function over 80 lines in ``kooch/`` and ``handlers/``.

A function that long does several things; split it into named steps (``open_services`` is now one
call per feature builder, ``running_bot`` one line per stage of the lifecycle). Measured on the
syntax tree: from the ``def`` line to the function's last line, its docstring and comments
included (the simulator is a test tool, not production code).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.kit import ROOT

MAX_LINES = 80

#: Functions allowed over the limit, each with a comment saying why; none today. The test below
#: fails if an entry is no longer needed.
ALLOWED: set[str] = set()


def long_functions() -> dict[str, int]:
    found: dict[str, int] = {}
    for folder in ("kooch", "handlers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(("kooch/simulator/", "kooch/handlers/", "kooch/migrations/")):
                continue  # the simulator is a test tool; kooch/handlers is a link to handlers/
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    assert node.end_lineno is not None
                    lines = node.end_lineno - node.lineno + 1
                    if lines > MAX_LINES:
                        found[f"{relative}::{node.name}"] = lines
    return found


def test_no_production_function_is_over_80_lines() -> None:
    too_long = {name: n for name, n in long_functions().items() if name not in ALLOWED}
    assert too_long == {}, f"functions over {MAX_LINES} lines (split them): {too_long}"


def test_the_allow_list_holds_only_functions_still_too_long() -> None:
    stale = ALLOWED - set(long_functions())
    assert stale == set(), f"no longer over {MAX_LINES} lines: remove from ALLOWED: {stale}"


def test_the_measure_sees_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    tree = ast.parse(f"def long() -> None:\n{body}\n")
    (node,) = tree.body
    assert isinstance(node, ast.FunctionDef) and node.end_lineno == MAX_LINES + 1


def test_every_handler_module_is_in_the_independence_contract() -> None:
    """A new handler module (one with ``HANDLERS``) joins import-linter's "no handler module imports
    another" contract; the support modules (context, guards, confirming, posting, schedule_jobs)
    have none and are shared on purpose."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    independent = next(
        set(c["modules"])
        for c in contracts["tool"]["importlinter"]["contracts"]
        if c["type"] == "independence"
    )
    with_handlers = {
        f"kooch.handlers.{path.stem}"
        for path in (ROOT / "handlers").glob("*.py")
        if "\nHANDLERS" in path.read_text(encoding="utf-8")
    }
    assert with_handlers - independent == set()
