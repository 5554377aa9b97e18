"""Kooch's version, told one way everywhere (``--version``, ``/healthz``, ``/status``,
``kooch_build_info``, the link checker's User-Agent).

The version is the installed package's (``importlib.metadata``), so ``pyproject.toml`` is the only
place it is written. Run from a checkout that was never installed, it is read from that
``pyproject.toml`` instead. The revision is the commit the code was built from: ``KOOCH_REVISION``
(the image sets it at build time, where there is no ``.git``), else ``git rev-parse --short HEAD``
in a checkout, else ``unknown``.
"""

from __future__ import annotations

import functools
import os
import subprocess
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

#: The distribution's name in pyproject.toml.
DISTRIBUTION = "kooch"
#: Set at image build (``--build-arg KOOCH_REVISION=$(git rev-parse --short HEAD)``).
REVISION_ENV = "KOOCH_REVISION"
UNKNOWN = "unknown"
#: Where a checkout's pyproject.toml may be: beside the package (kooch/version.py → ..), or one
#: level up for a src/ layout.
_CHECKOUTS = tuple(Path(__file__).resolve().parents[1:3])


@dataclass(frozen=True)
class Build:
    version: str
    revision: str

    def __str__(self) -> str:
        return f"{self.version} ({self.revision})" if self.revision != UNKNOWN else self.version


@functools.cache
def build() -> Build:
    """The version and revision of the running code (read once per process)."""
    return Build(version(), _revision())


@functools.cache
def version() -> str:
    """The version alone (no ``git`` run): what a User-Agent says."""
    # A checkout's own pyproject.toml wins over an installed copy: `python bot.py` in a checkout
    # runs the checkout's code, whatever version of kooch pip installed elsewhere.
    if (checkout := _checkout()) is not None:
        return checkout[1]
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return UNKNOWN


def _checkout() -> tuple[Path, str] | None:
    """The checkout this code runs from and its pyproject.toml's version (None: installed)."""
    for folder in _CHECKOUTS:
        pyproject = folder / "pyproject.toml"
        if not pyproject.is_file():
            continue
        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if project.get("name") == DISTRIBUTION and isinstance(project.get("version"), str):
            return folder, str(project["version"])
    return None


def _revision() -> str:
    given = os.environ.get(REVISION_ENV, "").strip()
    if given:
        return given
    checkout = _checkout()
    if checkout is None or not (checkout[0] / ".git").exists():
        return UNKNOWN
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=checkout[0],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    if done.returncode != 0:
        return UNKNOWN
    return done.stdout.strip() or UNKNOWN
