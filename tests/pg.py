"""The throw-away PostgreSQL cluster (:mod:`kooch.testing.pg`) as the tests take it: a machine
without PostgreSQL fails the tests that need it under ``CI=true`` (PostgreSQL is part of what CI
must test) and skips them elsewhere, with the command that installs it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from kooch.testing import pg
from kooch.testing.pg import INSTALL, USER, Cluster

__all__ = ["INSTALL", "USER", "Cluster", "cluster"]


@contextlib.contextmanager
def cluster() -> Iterator[Cluster]:
    with contextlib.ExitStack() as stack:
        try:
            running = stack.enter_context(pg.cluster())
        except pg.Unavailable as exc:
            if os.environ.get("CI") == "true":
                pytest.fail(f"PostgreSQL is needed under CI and {exc}: .ci/run must `{INSTALL}`")
            pytest.skip(f"{exc} ({INSTALL})")
        yield running
