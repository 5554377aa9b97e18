"""Prometheus' promtool (Debian's ``prometheus`` package) for the metrics, rules and dashboard tests,
and a live ``/metrics`` scrape of a real bot to check them against."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from kooch.simulator import BotAPISimulator
from tests.web_kit import running_web_bot

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"

#: A sample line's metric name: ``name{labels} value`` or ``name value``.
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]")


def promtool_or_skip() -> str:
    """promtool's path; a failure under CI (.ci/run installs it), else a skip."""
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is needed under CI: .ci/run must `apt-get install prometheus`")
        pytest.skip("promtool is not installed (apt-get install --no-install-recommends prometheus)")
    return found


def prometheus_or_skip() -> str:
    """The Prometheus server's path (the same Debian package as promtool)."""
    promtool_or_skip()
    found = shutil.which("prometheus")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("prometheus is needed under CI: .ci/run must `apt-get install prometheus`")
        pytest.skip("prometheus is not installed (apt-get install --no-install-recommends prometheus)")
    return found


def promtool(
    *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``promtool args`` run to its end; the caller asserts on its return code and output."""
    return subprocess.run(
        [promtool_or_skip(), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def sample_names(exposition: str) -> set[str]:
    """The metric names of every sample in a Prometheus text exposition."""
    return {m.group(1) for line in exposition.splitlines() if (m := _SAMPLE.match(line))}


async def live_metrics(sim: BotAPISimulator, tmp_path: Path, paths: tuple[str, ...] = ()) -> str:
    """``/metrics`` of the real bot (web server on), after requesting each of ``paths``."""
    async with running_web_bot(sim, tmp_path) as (_app, web), httpx.AsyncClient(base_url=web.url) as client:
        for path in paths:
            await client.get(path)
        response = await client.get("/metrics")
    assert response.status_code == 200
    return response.text
