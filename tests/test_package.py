"""Kooch as a package: the wheel installs, outside the checkout, a ``kooch`` command that runs.

The wheel is built from a copy of the checkout, installed into a fresh virtualenv in a temporary
folder, and run from a folder that is not the checkout. To stay fast, the new virtualenv reuses the
dependencies this test runs with (a ``.pth`` line naming their site-packages, after the virtualenv's
own), so only Kooch itself comes from the wheel: the test checks that it does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: What is not part of the source: version control, caches, local data and virtualenvs.
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "venv",
    "__pycache__",
    "*.pyc",
    ".*_cache",
    "build",
    "dist",
    "*.egg-info",
    "data",
    "*.db*",
)


def test_nothing_imports_the_top_level_handlers_folder() -> None:
    """handlers/ is imported as kooch.handlers (the package's link to it) only: the same files
    imported under two names would be two sets of modules, each with its own state."""
    top_level = re.compile(r"^\s*(from|import)\s+handlers\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("kooch", "handlers", "tests", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if top_level.search(path.read_text(encoding="utf-8"))
    ]
    offenders += ["bot.py"] if top_level.search((ROOT / "bot.py").read_text(encoding="utf-8")) else []
    assert offenders == []


def run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> str:
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{argv}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.slow
def test_the_wheel_installs_a_kooch_command_that_runs_outside_the_checkout(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "KOOCH_CONFIG", "TELEGRAM_BOT_TOKEN", "VIRTUAL_ENV", "PYTHONHOME")
    }
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE, symlinks=True)
    # The build backend from this environment (requirements-dev pins setuptools): no download.
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            "../dist",
            ".",
        ],
        source,
        env,
    )
    (wheel,) = (tmp_path / "dist").glob("kooch-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    # Only the package at the top of site-packages: no generic bot.py or handlers/.
    assert {name.split("/")[0] for name in names} == {"kooch", wheel.name.split("-py3")[0] + ".dist-info"}
    # kooch.testing is for a checkout's tests and benches (pyproject.toml says why): not shipped.
    assert [name for name in names if name.startswith("kooch/testing/")] == []
    shipped = {name for name in names if name.endswith(".sql")}
    assert shipped == {
        f"kooch/migrations/{p.relative_to(ROOT / 'migrations')}" for p in ROOT.glob("migrations/**/*.sql")
    }
    assert "kooch/config.example.yaml" in names and "kooch/handlers/subscribers.py" in names

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)
    python = venv / "bin" / "python"
    purelib = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp_path, env
    )
    # This environment's packages, after the virtualenv's own (plain paths: its .pth files, such as
    # an editable install of Kooch, are not read).
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(purelib.strip()) / "dependencies-of-the-test.pth").write_text("\n".join(sorted(ours)) + "\n")
    run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        tmp_path,
        env,
    )

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    kooch = str(venv / "bin" / "kooch")
    where = run([str(python), "-c", "import kooch; print(kooch.__file__)"], elsewhere, env)
    assert Path(where.strip()).is_relative_to(venv), where
    # The version from the installed package's metadata (no checkout's pyproject.toml to read).
    assert run([kooch, "--version"], elsewhere, env).startswith(f"kooch {wheel.name.split('-')[1]}")
    (elsewhere / "config.yaml").write_text(run([kooch, "example"], elsewhere, env), encoding="utf-8")
    assert run([kooch, "check"], elsewhere, env)  # config.yaml in the working folder, the default
    # No config of one's own: the example that ships in the package, migrated from the wheel's files.
    (elsewhere / "config.yaml").unlink()
    out = run([kooch, "rehearse", "--subscribers", "20"], elsewhere, env)
    assert "rehearsing the bundled example" in out and str(venv) in out
    assert out.rstrip().endswith("✓ rehearsal passed")


def test_a_bench_without_its_package_says_how_to_install_it() -> None:
    from bench.extras import require

    require("bench/x.py", "json")  # installed: nothing happens
    with pytest.raises(SystemExit) as stopped:
        require("bench/x.py", "json", "no_such_kooch_peer")
    assert str(stopped.value) == (
        "bench/x.py needs no_such_kooch_peer (benchmark-only): "
        ".venv/bin/pip install -r requirements-bench.txt"
    )
