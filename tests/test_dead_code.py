"""The dead-code check (.ci/dead_code.py): nothing in kooch/, handlers/ or bot.py goes unused, and a
new unused function would fail it."""

import importlib.util
import runpy
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def dead_code() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dead_code", ROOT / ".ci" / "dead_code.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nothing_shipped_is_unused() -> None:
    assert dead_code().unused() == []


def test_a_new_unused_function_fails_the_check(tmp_path: Path) -> None:
    module = tmp_path / "feature.py"
    module.write_text(
        "def used() -> int:\n    return 1\n\n\n"
        "def orphan_helper_nobody_calls() -> int:\n    return 2\n\n\n"
        "print(used())\n"
    )
    check = dead_code()
    found = check.unused([module])
    ours = [line.split(": ", 1)[1] for line in found if "feature.py:" in line]
    assert ours == ["unused function 'orphan_helper_nobody_calls' (60% confidence)"]
    assert check.main([str(module)]) == 1


def test_the_whitelist_names_code_that_exists() -> None:
    """Its methods are named through their classes: one renamed or deleted fails here."""
    runpy.run_path(str(ROOT / ".ci" / "vulture_whitelist.py"))
