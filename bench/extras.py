"""The benchmark-only packages (requirements-bench.txt): a bench that needs one says how to install it.

Neither Kooch nor its tests import them, so the README's install leaves them out.
"""

from __future__ import annotations

import importlib.util
import sys

INSTALL = ".venv/bin/pip install -r requirements-bench.txt"


def missing(*modules: str) -> list[str]:
    """The import names among ``modules`` that are not installed."""
    return [name for name in modules if importlib.util.find_spec(name) is None]


def require(script: str, *modules: str) -> None:
    """Exit with one line naming what ``script`` needs and how to install it, if any is missing."""
    absent = missing(*modules)
    if absent:
        sys.exit(f"{script} needs {', '.join(absent)} (benchmark-only): {INSTALL}")
