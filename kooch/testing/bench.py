"""What the benches share beyond the tests' kit: starting a bench again in a child process."""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec

from kooch.testing.haproxy import ROOT

__all__ = ["ROOT", "again"]


def again(spec: ModuleSpec | None, file: str) -> list[str]:
    """The command that starts this bench again in a fresh process, the way it was started: as a
    module (``python -m bench.x``; the child runs in :data:`ROOT`, so pass ``cwd=ROOT``), or by its
    path (how bench/compare.py runs a tree's ack_flood.py, that tree on ``PYTHONPATH``). Pass the
    bench's ``__spec__`` and ``__file__``."""
    if spec is not None:
        return [sys.executable, "-m", spec.name]
    return [sys.executable, file]
