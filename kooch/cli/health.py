"""``bot.py health``: can Kooch run here? One line, exit 0 (healthy) or 1 (not).

The container's ``HEALTHCHECK`` runs it every minute, and an operator can run it by hand before
starting the bot. It checks, in order, and stops at the first problem:

1. the config loads and is valid;
2. when the config has a ``web:`` section, the running bot's HTTP server answers ``GET /healthz``
   with 200 (skipped with ``--no-web``, e.g. before the bot was ever started). First, so that a
   database file deleted under the running bot is reported before step 3 makes a new one;
3. the database opens, is migrated (the same migrations the bot runs at start), is writable, and
   its disk has room left.

It never calls Telegram: a network outage is not something a restart fixes, and a check every
minute should not spend the bot's API budget.
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
from kooch.store import MigrationError, Store, StoreUnavailable, WriteFailed, database_url
from kooch.store.postgresql import redacted

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
    if url:
        problem = asyncio.run(_postgresql_problem(url, config.sqlite_path.parent))
        if problem is not None:
            return Health(False, f"unhealthy: {problem}")
        parts.append(f"database {redacted(url)} writable")
        return Health(True, "ok: " + ", ".join(parts))
    problem = asyncio.run(_database_problem(config.sqlite_path))
    if problem is not None:
        return Health(False, f"unhealthy: {problem}")
    parts.append(f"database {config.sqlite_path} writable")
    return Health(True, "ok: " + ", ".join(parts))


async def _postgresql_problem(url: str, files: Path) -> str | None:
    # What the bot does at start: connect, migrate (under the migrations' lock), open the writer.
    try:
        store = await Store.open_postgresql(url, files)
    except (StoreUnavailable, MigrationError) as exc:
        return str(exc)
    try:
        await store.write(lambda db: db.fetchval("SELECT 1"))
    except WriteFailed as exc:
        return f"the database {redacted(url)} does not take writes: {exc}"
    finally:
        await store.close()
    return None


async def _database_problem(path: Path) -> str | None:
    # Store.open is what the bot does at start: create the folder, migrate, prove a write lock
    # can be taken (waiting up to its busy timeout while the running bot commits).
    try:
        store = await Store.open(path)
    except (StoreUnavailable, MigrationError) as exc:
        return str(exc)
    except sqlite3.Error as exc:
        return f"the database {path} cannot be used: {exc}"
    await store.close()
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
