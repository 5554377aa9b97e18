"""The config a test or a bench runs the bot with: the simulator's @kooch_demo channel, one
operator, two destinations, the database in a folder of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

OPERATOR_ID = 4242
CHANNEL = "kooch_demo"

SOROUSH_URL = "https://splus.ir/kooch_demo"
GAP_URL = "https://gap.im/kooch_demo"


def base_config(tmp_path: Path) -> dict[str, Any]:
    """A valid config for the simulator's @kooch_demo channel, with its database in tmp_path."""
    return {
        "operators": [OPERATOR_ID],
        "default_language": "fa",
        "storage": {"sqlite_path": str(tmp_path / "kooch.db")},
        "channels": [{"chat": f"@{CHANNEL}", "key": "demo", "language": "fa", "pin": True}],
        "services": [
            {"key": "soroush", "name": {"fa": "سروش", "en": "Soroush"}, "url": SOROUSH_URL},
            {"key": "gap", "name": {"fa": "گپ", "en": "Gap"}, "url": GAP_URL},
        ],
        # These links are not served anywhere: the link checks' tests serve their own.
        "link_checks": False,
    }


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
