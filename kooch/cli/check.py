"""``bot.py check``: validate a config offline and show every channel's announcement."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from kooch.announce.render import describe_post, render_announcement
from kooch.config import Config, ConfigInvalid, load_config
from kooch.config.arrivals import missing_tokens
from kooch.destinations.links import TIMEOUT_S, broken, check_config
from kooch.destinations.wording import link_line
from kooch.exits import Exit
from kooch.i18n import strip_controls
from kooch.store import database_url
from kooch.store.postgresql import redacted


def _database(config: Config) -> str:
    """What the bot would use: PostgreSQL (without its password) when one is named, else the file."""
    url = database_url(config.database_url, os.environ)
    return redacted(url) if url else str(config.sqlite_path)


def check(path: Path, *, links: bool = False, timeout: float = TIMEOUT_S) -> int:
    """Print the verdict and the posts (with ``links``: every link's verdict instead); exit code 0
    when valid, 78 when not, 1 when a link is broken (:mod:`kooch.exits`)."""
    try:
        config = load_config(path)
    except ConfigInvalid as exc:
        print(f"✗ {path} is invalid ({len(exc.errors)} error(s)):", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return Exit.CONFIG
    enabled = config.services_for(None)
    print(
        f"✓ {path} is valid: {len(config.channels)} channel(s), {len(enabled)} enabled service(s) "
        f"of {len(config.services)}, {len(config.operators)} operator(s), "
        f"database {_database(config)}"
    )
    if links:
        return check_links(config, timeout)
    # Valid as written, but a destination is not counted on a machine without its token: said
    # here (the bot itself tells the operators once at start-up).
    for where, message in missing_tokens(config, os.environ):
        print(f"⚠ {where}: {message}", file=sys.stderr)
    for channel in config.channels:
        print(
            f"\n── {channel.label} · key {channel.key} · {channel.language} · "
            f"{'pinned' if channel.pin else 'not pinned'} ──"
        )
        print(describe_post(render_announcement(config, channel)))
    return Exit.OK


def check_links(config: Config, timeout: float) -> int:
    """Fetch every configured link (whatever ``link_checks`` says: asked for by name here)."""
    results = asyncio.run(check_config(config, timeout=timeout))
    for result in results:
        print(strip_controls(link_line(result, "en", config.services)))  # a terminal lays nothing out
    bad = broken(results)
    if bad:
        print(f"✗ {len(bad)} of {len(results)} link(s) broken", file=sys.stderr)
        return Exit.FAILED
    print(f"✓ all {len(results)} link(s) OK")
    return Exit.OK
