"""``bot.py health``: can Kooch run here? One line, exit 0 (healthy) or 1 (not).

The container's ``HEALTHCHECK`` runs it every minute, and an operator can run it by hand before
starting the bot. It checks, in order, and stops at the first problem:

1. the config loads and is valid;
2. when the config has a ``web:`` section, the running bot's HTTP server answers ``GET /healthz``
   with 200 (skipped with ``--no-web``, e.g. before the bot was ever started);
3. the database exists and opens, records no migration this Kooch does not know, could be
   written by the bot (file and folder permissions), and its disk has room left.

It changes nothing: SQLite is opened read-only (``mode=ro``: a missing file is reported, never
created; nothing is migrated), PostgreSQL is read in a read-only transaction. Migrating is the
bot's work at start; a check that ran every minute as another writer would race it. Migrations
not applied yet are reported (the next start applies them), not counted as a problem.

It never calls Telegram: a network outage is not something a restart fixes, and a check every
minute should not spend the bot's API budget. Exit code 1 when unhealthy, as Docker's
``HEALTHCHECK`` wants (2 is reserved there).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from kooch.config import ConfigInvalid, WebConfig, load_config
from kooch.store import StoreUnavailable, database_url
from kooch.store.db import damaged, damaged_database
from kooch.store.migrations import discover, discover_postgresql
from kooch.store.postgresql import redacted
from kooch.store.readonly import Schema, open_sqlite_readonly, postgresql_schema, sqlite_schema

#: Below this much free space on the database's disk, Kooch is reported unhealthy: SQLite needs
#: room for the WAL and for checkpoints, and a full disk loses taps.
MIN_FREE_BYTES = 16 * 1024 * 1024
#: Seconds to wait for the web server's /healthz (the container's HEALTHCHECK allows 15 in all).
WEB_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Health:
    ok: bool
    line: str


def check_health(config_path: Path, *, probe_web: bool = True) -> Health:
    """Run the checks; never raises for a problem it can name."""
    try:
        config = load_config(config_path)
    except ConfigInvalid as exc:
        more = f" (and {len(exc.errors) - 1} more; run `python bot.py check`)" if len(exc.errors) > 1 else ""
        return Health(False, f"unhealthy: the config is invalid: {exc.errors[0]}{more}")

    parts = [f"config {config_path} valid"]
    if config.web is not None and probe_web:
        problem = _web_problem(config.web)
        if problem is not None:
            return Health(False, f"unhealthy: {problem}")
        parts.append(f"web {_healthz_url(config.web)} ok")

    url = database_url(config.database_url, os.environ)
    try:
        if url:
            schema = asyncio.run(postgresql_schema(url))
            where = f"database {redacted(url)}"
        else:
            where = f"database {config.sqlite_path}"
            schema = _sqlite_schema(config.sqlite_path)
            problem = _sqlite_write_problem(config.sqlite_path)
            if problem is not None:
                return Health(False, f"unhealthy: {problem}")
    except StoreUnavailable as exc:
        return Health(False, f"unhealthy: {exc}")
    known = [m.name for m in (discover_postgresql() if url else discover())]
    unknown = sorted(set(schema.applied) - set(known))
    if unknown:
        return Health(
            False,
            f"unhealthy: the {where} was migrated by a newer Kooch (unknown migration "
            f"{', '.join(unknown)}); run that Kooch, or restore a backup made before the upgrade",
        )
    pending = [name for name in known if name not in schema.applied]
    later = f", {len(pending)} migration(s) to apply at the next start" if pending else ""
    parts.append(f"{where} {'reachable' if url else 'writable'}{later}")
    return Health(True, "ok: " + ", ".join(parts))


def _sqlite_schema(path: Path) -> Schema:
    conn = open_sqlite_readonly(path)
    try:
        return sqlite_schema(conn)
    except sqlite3.Error as exc:
        if damaged(exc):
            raise damaged_database(path, exc) from None
        raise StoreUnavailable(f"the database {path} cannot be read: {exc}") from None
    finally:
        conn.close()


def _sqlite_write_problem(path: Path) -> str | None:
    # What the bot needs to write, asked of the file system: the file, and its folder (the WAL and
    # the shared-memory file are created beside it).
    for target, what in ((path, "the database"), (path.parent, "the database's folder")):
        if not os.access(target, os.W_OK):
            return f"{what} {target} is not writable by this user (uid {os.getuid()})"
    free = shutil.disk_usage(path.parent).free
    if free < MIN_FREE_BYTES:
        return (
            f"the disk holding {path} has only {free // 1024} KiB free; "
            "free some space or move storage.sqlite_path"
        )
    return None


def _healthz_url(web: WebConfig) -> str:
    # A server listening on every address is reached on loopback; a specific one, where it is.
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(web.host, web.host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{web.port}/healthz"


def _web_problem(web: WebConfig) -> str | None:
    url = _healthz_url(web)
    try:
        with urllib.request.urlopen(url, timeout=WEB_TIMEOUT_S) as response:
            response.read()
        return None
    except urllib.error.HTTPError as exc:
        detail = _reason(exc.read())
        return f"{url} answered {exc.code}" + (f": {detail}" if detail else "")
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return f"the bot's web server does not answer at {url} ({reason}); is the bot running?"


def _reason(body: bytes) -> str:
    """The ``database`` field of a 503 from /healthz, else nothing."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    return str(data.get("database", "")) if isinstance(data, dict) else ""
