"""bench/day.py (``python -m bench.day``) runs end to end: its smallest form, both delivery modes,
drops nothing and ends with one JSON line. Its figures are the bench's to report, not a test's to
assert (shared machines)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.kit import ROOT

#: Three seconds of every class at a few per second: enough to cross each path once.
SMALLEST = [
    "--seconds",
    "3",
    "--tap-rate",
    "30",
    "--burst-rate",
    "60",
    "--start-rate",
    "5",
    "--page-rate",
    "10",
    "--operators",
    "2",
    "--operator-every",
    "1",
    "--drain-seconds",
    "300",
]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_days_smallest_form_completes_by_webhook_and_by_polling_with_nothing_dropped() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.day", *SMALLEST],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=850,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    lines = run.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert "DROPPED" not in run.stdout, run.stdout
    assert figures["dropped"] == 0, run.stdout
    for mode in ("webhook", "polling"):
        for name in ("operators", "taps", "starts", "pages"):
            assert figures[f"{mode}_{name}_offered"] > 0, (mode, name, run.stdout)
            assert figures[f"{mode}_{name}_dropped"] == 0, (mode, name, run.stdout)
