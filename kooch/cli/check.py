"""``bot.py check``: validate a config offline and show every channel's announcement."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from kooch.announce.render import describe_post, render_announcement
from kooch.config import Config, ConfigInvalid, load_config
from kooch.store import database_url
from kooch.store.postgresql import redacted


def _database(config: Config) -> str:
    """What the bot would use: PostgreSQL (without its password) when one is named, else the file."""
    url = database_url(config.database_url, os.environ)
    return redacted(url) if url else str(config.sqlite_path)


def check(path: Path) -> int:
    """Print the verdict and the posts; exit code 0 when valid, 2 when not."""
    try:
        config = load_config(path)
    except ConfigInvalid as exc:
        print(f"✗ {path} is invalid ({len(exc.errors)} error(s)):", file=sys.stderr)
        for error in exc.errors:
            print(f"  {error}", file=sys.stderr)
        return 2
    enabled = config.services_for(None)
    print(
        f"✓ {path} is valid: {len(config.channels)} channel(s), {len(enabled)} enabled service(s) "
        f"of {len(config.services)}, {len(config.operators)} operator(s), "
        f"database {_database(config)}"
    )
    for channel in config.channels:
        print(
            f"\n── {channel.label} · key {channel.key} · {channel.language} · "
            f"{'pinned' if channel.pin else 'not pinned'} ──"
        )
        print(describe_post(render_announcement(config, channel)))
    return 0
