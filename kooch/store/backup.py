"""``bot.py backup PATH``: a consistent copy of the database, taken while the bot runs.

SQLite's online backup API copies the database page by page inside one read transaction, so the
copy is a snapshot of one moment: taps committed after it started are simply not in it, and the
running bot is never blocked (WAL mode lets it keep committing). A plain ``cp`` of a database in
WAL mode can miss the most recent commits or copy a torn file; this cannot.

The copy is written next to its destination under a temporary name, checked with
``PRAGMA quick_check``, switched to a single self-contained file (no ``-wal``), and only then
renamed into place: a failed or interrupted backup never replaces a good one.

The pseudonym key (``pseudonym.key`` beside the database) is not in the database, on purpose: a
copy of the database alone does not carry it. A backup copies it beside the copy, as
``<backup>.pseudonym.key`` (readable by its owner only): without it, a restored database's audit
and exports would name every user differently.

:func:`restore_database` is the way back: the backup checked (integrity and migrations), refused
while a bot has the database open, written next to the database and renamed over it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from kooch.clock import SYSTEM, Clock
from kooch.store.db import StoreUnavailable
from kooch.store.readonly import open_sqlite_readonly


class BackupFailed(Exception):
    """The backup could not be made; the message says why, for stderr."""


#: What a backup's copy of the pseudonym key is called: the backup's own name and this.
KEY_SUFFIX = ".pseudonym.key"


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    migrations: int
    #: The copy of the pseudonym key beside the backup (None: there was no key file to copy).
    key: Path | None = None


def key_copy(backup: Path) -> Path:
    """Where the pseudonym key of the backup ``backup`` is kept."""
    return backup.with_name(backup.name + KEY_SUFFIX)


def backup_database(
    source: Path, destination: Path, *, key_file: Path | None = None, clock: Clock = SYSTEM
) -> BackupResult:
    """Copy the database at ``source`` to ``destination`` (a file, or a folder to put it in), and
    ``key_file`` (the pseudonym key), when it exists, beside it (:func:`key_copy`).

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
    key = None
    if key_file is not None and key_file.is_file():
        key = key_copy(destination)
        try:
            _write_atomically(key, key_file.read_bytes())
        except OSError as exc:
            raise BackupFailed(f"the backup {destination} is made, but not its key {key}: {exc}") from None
    return BackupResult(destination, destination.stat().st_size, migrations, key)


def _write_atomically(path: Path, data: bytes) -> None:
    """``path`` holds ``data`` (owner-only), or is as it was: written beside it, then renamed."""
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------ restore


class RestoreRefused(Exception):
    """The restore was not done (the database is as it was); the message says why, for stderr."""


@dataclass(frozen=True)
class RestoreResult:
    path: Path
    migrations: int
    #: Where the database it replaced is kept (None: there was none).
    previous: Path | None
    #: The pseudonym key restored beside it (None: the backup had none).
    key: Path | None


def restore_database(
    backup: Path, target: Path, known_migrations: list[str], *, key_file: Path, clock: Clock = SYSTEM
) -> RestoreResult:
    """Put the backup ``backup`` in place of the database ``target``.

    Checked first: ``PRAGMA integrity_check`` on the backup, and every migration it records is
    one of ``known_migrations`` (a backup of a newer Kooch is refused). Refused while a process
    has ``target`` open: the running bot keeps connections to it all along, and in WAL mode each
    holds a shared lock on the file, so an exclusive lock (``locking_mode=EXCLUSIVE``, no wait)
    cannot be had while it runs. That lock is held until the copy is in place. The copy is
    written next to ``target`` and renamed over it; the database it replaces is kept, as
    ``<target>.before-restore-YYYYMMDD-HHMMSS`` (a hard link: no copy). The backup's pseudonym
    key (:func:`key_copy`), if it has one, goes to ``key_file`` the same way.
    """
    if not backup.is_file():
        raise RestoreRefused(f"there is no backup at {backup}")
    migrations = _checked_backup(backup, known_migrations)
    key = key_copy(backup)
    key_data = key.read_bytes() if key.is_file() else None
    if not target.parent.is_dir():
        raise RestoreRefused(f"the database's folder {target.parent} does not exist")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(clock.now()))
    previous = target.with_name(f"{target.name}.before-restore-{stamp}") if target.exists() else None
    lock = _exclusive(target) if target.exists() else None
    partial = target.with_name(f".{target.name}.restore-partial")
    try:
        partial.unlink(missing_ok=True)
        try:
            src = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
            try:
                dst = sqlite3.connect(partial)
                try:
                    src.backup(dst)
                    dst.execute("PRAGMA journal_mode=WAL")  # as the bot keeps it
                finally:
                    dst.close()
            finally:
                src.close()
            with open(partial, "rb+") as f:
                os.fsync(f.fileno())
        except sqlite3.Error as exc:
            raise RestoreRefused(f"copying {backup} to {partial} failed: {exc}") from None
        if previous is not None:
            _keep(target, previous)
        os.replace(partial, target)
        if lock is not None:
            lock.close()  # on the replaced file (kept as ``previous``), all checkpointed
            lock = None
        # What the replaced database left beside it belongs to it, not to the restored one.
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    except OSError as exc:
        raise RestoreRefused(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
        if lock is not None:
            lock.close()
    restored_key = None
    if key_data is not None:
        if key_file.is_file() and key_file.read_bytes() != key_data:
            _keep(key_file, key_file.with_name(f"{key_file.name}.before-restore-{stamp}"))
        _write_atomically(key_file, key_data)
        restored_key = key_file
    return RestoreResult(target, migrations, previous, restored_key)


def _checked_backup(backup: Path, known: list[str]) -> int:
    try:
        conn = open_sqlite_readonly(backup)
    except StoreUnavailable as exc:
        raise RestoreRefused(f"{backup} is not a Kooch database: {exc}") from None
    try:
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                first = next((line for line in verdict.splitlines() if not line.startswith("***")), verdict)
                raise RestoreRefused(f"{backup} failed its integrity check: {first}")
            names = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise RestoreRefused(f"{backup} is not a Kooch database: {exc}") from None
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RestoreRefused(
            f"{backup} was made by a newer Kooch (unknown migration {', '.join(unknown)}); "
            "restore it with that Kooch"
        )
    return len(names)


def _exclusive(target: Path) -> sqlite3.Connection:
    """A connection holding ``target`` exclusively, or :class:`RestoreRefused` if a process has it open."""
    conn = sqlite3.connect(target, timeout=0, isolation_level=None)
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        # The lock stays after COMMIT (exclusive locking mode); what the database's WAL holds is
        # written into it, so the copy kept of it (``previous``) is whole without its -wal.
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError as exc:
        conn.close()
        if "locked" in str(exc):
            raise RestoreRefused(
                f"{target} is in use: is the bot running? Stop it first (docker stop, systemctl stop), "
                "then restore"
            ) from None
        raise RestoreRefused(f"cannot lock {target}: {exc}") from None
    return conn


def _keep(path: Path, kept: Path) -> None:
    """``path`` also as ``kept``: a hard link (instant), else a copy."""
    try:
        os.link(path, kept)
    except OSError:
        shutil.copy2(path, kept)
