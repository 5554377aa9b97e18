"""``bot.py backup PATH``: a consistent copy of the database, taken while the bot runs.

SQLite's online backup API copies the database page by page inside one read transaction, so the
copy is a snapshot of one moment: taps committed after it started are simply not in it, and the
running bot is never blocked (WAL mode lets it keep committing). A plain ``cp`` of a database in
WAL mode can miss the most recent commits or copy a torn file; this cannot.

The copy is written next to its destination under a temporary name, checked with
``PRAGMA quick_check``, switched to a single self-contained file (no ``-wal``), and only then
renamed into place: a failed or interrupted backup never replaces a good one.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from kooch.clock import SYSTEM, Clock


class BackupFailed(Exception):
    """The backup could not be made; the message says why, for stderr."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    migrations: int


def backup_database(source: Path, destination: Path, *, clock: Clock = SYSTEM) -> BackupResult:
    """Copy the database at ``source`` to ``destination`` (a file, or a folder to put it in).

    In a folder the copy is named ``kooch-YYYYMMDD-HHMMSS.db`` (UTC), so repeated backups keep
    their history; a file path is replaced atomically.
    """
    if not source.is_file():
        raise BackupFailed(f"there is no database at {source} (storage.sqlite_path in the config)")
    if destination.is_dir():
        destination = destination / time.strftime("kooch-%Y%m%d-%H%M%S.db", time.gmtime(clock.now()))
    if destination.resolve() == source.resolve():
        raise BackupFailed(f"{destination} is the database itself; choose another path")
    if not destination.parent.is_dir():
        raise BackupFailed(f"cannot write {destination}: the folder {destination.parent} does not exist")
    partial = destination.with_name(f".{destination.name}.partial")
    try:
        # mode=ro: a backup never creates, migrates or writes the live database.
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupFailed(f"cannot open {source}: {exc}") from None
    try:
        partial.unlink(missing_ok=True)
        dst = sqlite3.connect(partial)
        try:
            src.execute("PRAGMA busy_timeout=5000")
            src.backup(dst)  # one step: a snapshot of one moment
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            verdict = dst.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise BackupFailed(f"the copy failed its integrity check: {verdict}")
            migrations = dst.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]
        finally:
            dst.close()
        os.replace(partial, destination)
    except sqlite3.Error as exc:
        raise BackupFailed(f"the backup of {source} to {destination} failed: {exc}") from None
    except OSError as exc:
        raise BackupFailed(f"cannot write {destination}: {exc.strerror}") from None
    finally:
        src.close()
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return BackupResult(destination, destination.stat().st_size, migrations)
