"""``bot.py backup``, ``bot.py restore`` and ``bot.py migrate-db``: the database's own commands.

Each returns its exit code (:mod:`kooch.exits`) and says what it did on stdout, what went wrong on
stderr, in one or two lines.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kooch.announce.checks import load_checked_config
from kooch.config import Config, ConfigInvalid
from kooch.exits import Exit
from kooch.insight.pseudonym import KEY_ENV, key_file
from kooch.store import MigrationError, StoreUnavailable, database_url
from kooch.store.backup import BackupFailed, RestoreRefused, backup_database, restore_database
from kooch.store.copy import CopyRefused, copy_database
from kooch.store.migrations import discover


def _fail(message: str, code: Exit) -> int:
    print(f"kooch: {message}", file=sys.stderr)
    return code


def _config(config_path: Path) -> Config | int:
    try:
        return load_checked_config(config_path)
    except ConfigInvalid as exc:
        return _fail(f"the config is invalid:\n{exc}", Exit.CONFIG)


def backup(config_path: Path, destination: Path) -> int:
    config = _config(config_path)
    if isinstance(config, int):
        return config
    if database_url(config.database_url, os.environ):
        return _fail("the database is PostgreSQL: back it up with its own tools (pg_dump)", Exit.USAGE)
    try:
        result = backup_database(
            config.sqlite_path, destination, key_file=key_file(config.sqlite_path.parent)
        )
    except BackupFailed as exc:
        return _fail(str(exc), Exit.FAILED)
    print(f"backed up to {result.path} ({result.size // 1024} KiB, {result.migrations} migrations)")
    if result.key is not None:
        print(f"with the pseudonym key: {result.key} (keep it with the backup, as secret as it)")
    elif os.environ.get(KEY_ENV):
        print(f"the pseudonym key is {KEY_ENV} (in the environment): keep it apart, it is not in the backup")
    return Exit.OK


def restore(config_path: Path, source: Path) -> int:
    config = _config(config_path)
    if isinstance(config, int):
        return config
    if database_url(config.database_url, os.environ):
        return _fail("the database is PostgreSQL: restore it with its own tools (pg_restore)", Exit.USAGE)
    try:
        result = restore_database(
            source,
            config.sqlite_path,
            [m.name for m in discover()],
            key_file=key_file(config.sqlite_path.parent),
        )
    except RestoreRefused as exc:
        return _fail(f"nothing restored: {exc}", Exit.FAILED)
    except MigrationError as exc:
        return _fail(str(exc), Exit.UNAVAILABLE)
    print(f"restored {source} to {result.path} ({result.migrations} migrations)")
    if result.previous is not None:
        print(f"the database it replaced is kept as {result.previous}")
    if result.key is not None:
        print(f"with its pseudonym key: {result.key}")
    print("start the bot: it applies the migrations the backup lacks, if any")
    return Exit.OK


def migrate_db(config_path: Path, url: str) -> int:
    """Copy storage.sqlite_path into the empty PostgreSQL database at ``url``, telling each table."""
    if not url:
        return _fail(
            "migrate-db needs the PostgreSQL database: python bot.py migrate-db postgresql://…", Exit.USAGE
        )
    config = _config(config_path)
    if isinstance(config, int):
        return config
    source = config.sqlite_path

    def progress(table: str, done: int, total: int) -> None:
        # A line per table at its start and end, and one per COPY_CHUNK (10,000) rows between.
        if done == 0:
            print(f"  {table}: {total:,} rows to copy", flush=True)
        elif done < total:
            print(f"  {table}: {done:,} of {total:,} rows ({100 * done // total} %)", flush=True)
        else:
            print(f"  {table}: {done:,} rows copied", flush=True)

    print(f"copying {source} into PostgreSQL …", flush=True)
    try:
        report = copy_database(source, url, progress=progress)
    except StoreUnavailable as exc:
        return _fail(str(exc), Exit.TEMPFAIL)
    except (CopyRefused, MigrationError) as exc:
        return _fail(str(exc), Exit.FAILED)
    print(
        f"copied {source} into PostgreSQL: {report.rows} rows in {len(report.tables)} tables, every "
        f"count checked, {report.migrations} migrations. Set KOOCH_DATABASE_URL (or storage.url) to use it."
    )
    return Exit.OK
