"""A throw-away PostgreSQL cluster for the tests and the benches: initdb into a temporary folder,
the server on a Unix socket of its own and a free port, stopped and removed at the end.

``initdb`` refuses to run as root (the tests do): the cluster belongs to an unprivileged system
user, created once if missing. A machine without PostgreSQL's server programs raises
:class:`Unavailable`; the tests (tests/pg.py) turn it into a failure under ``CI=true`` (``.ci/run``
installs it) and a skip elsewhere, a bench into its message.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kooch.testing.ports import free_port

#: Where Debian's ``postgresql`` package puts the server's programs (versions newest first).
BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
USER = "kooch-pg"
INSTALL = "apt-get install postgresql"


@dataclass(frozen=True)
class Cluster:
    socket_dir: Path
    port: int
    bin_dir: Path
    server: Server | None = field(default=None, compare=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@/{database}?host={self.socket_dir}&port={self.port}"

    def stop(self) -> None:
        """Stop the server the way ``pg_ctl stop -m fast`` does: every session cut off."""
        assert self.server is not None
        self.server.stop()

    def start(self) -> None:
        """Start the stopped server again on the same data, socket and port; return once it
        accepts connections."""
        assert self.server is not None
        self.server.start()


class Server:
    """The ``postgres`` process of a cluster, which a test may stop and start again."""

    def __init__(self, bin_dir: Path, data: Path, sock: Path, port: int, log: Path) -> None:
        self.bin_dir, self.data, self.sock, self.port, self.log_path = bin_dir, data, sock, port, log
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def stopped(self) -> bool:
        return self._process is None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                # fsync off: a test cluster that dies loses nothing anyone needs, and the 2 shared
                # cores are spared the disk waits.
                _as_user(
                    self.bin_dir / "postgres",
                    "-D",
                    self.data,
                    "-k",
                    self.sock,
                    "-p",
                    str(self.port),
                    "-h",
                    "",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        ready = self.bin_dir / "pg_isready"
        for _ in range(600):  # up to a minute: the start itself waits for nothing else
            if self._process.poll() is not None:
                raise RuntimeError(f"postgres exited: {self.log_path.read_text()[-2000:]}")
            done = subprocess.run(
                [str(ready), "-h", str(self.sock), "-p", str(self.port), "-q"],
                check=False,
                capture_output=True,
            )
            if done.returncode == 0:
                return
            time.sleep(0.1)  # polling the server's start-up, not waiting in a test
        raise RuntimeError("postgres did not accept connections within a minute")

    def stop(self) -> None:
        """PostgreSQL's fast shutdown (sessions cut off, a clean checkpoint), by ``pg_ctl`` as
        the cluster's user: a signal to our child would reach ``runuser``, not the server."""
        server, self._process = self._process, None
        if server is None:
            return
        subprocess.run(
            _as_user(self.bin_dir / "pg_ctl", "stop", "-D", self.data, "-m", "fast", "-w", "-t", "30"),
            check=False,
            capture_output=True,
        )
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=30)
        if server.poll() is None:
            server.kill()
            server.wait()


def _bin_dir() -> Path | None:
    for directory in BIN_DIRS:
        if (directory / "initdb").exists() and (directory / "postgres").exists():
            return directory
    return None


class Unavailable(RuntimeError):
    """PostgreSQL's server programs are not installed (:data:`INSTALL` installs them)."""


def _as_user(*args: str | Path) -> list[str]:
    command = [str(a) for a in args]
    return command if os.geteuid() != 0 else ["runuser", "-u", USER, "--", *command]


def _ensure_user() -> None:
    if os.geteuid() != 0:
        return
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", USER], check=True)


@contextlib.contextmanager
def cluster() -> Iterator[Cluster]:
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise Unavailable("its server programs are not installed")
    _ensure_user()
    root = Path(tempfile.mkdtemp(prefix="kooch-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, USER)
        shutil.chown(sock, USER)
    subprocess.run(
        _as_user(bin_dir / "initdb", "-D", data, "-U", USER, "-A", "trust", "-E", "UTF8", "--no-sync"),
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = Server(bin_dir, data, sock, port, root / "server.log")
    try:
        server.start()
        yield Cluster(sock, port, bin_dir, server)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
