"""HAProxy in front of Kooch's web server with the shipped config's page cache (deploy/haproxy.cfg,
read from the checkout): what tests/hostile and bench/taps_under_attack.py --via haproxy run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

#: The checkout this package sits in (kooch/testing is not in the wheel: see pyproject.toml).
ROOT = Path(__file__).resolve().parents[2]

HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)

SHIPPED_HAPROXY_CFG = ROOT / "deploy" / "haproxy.cfg"

_CACHE_FRONT = """
global
    maxconn 1024
defaults
    mode http
    timeout connect 3s
    timeout client 10s
    timeout http-request 10s
    timeout server 10s
{cache_block}
frontend kooch
    bind 127.0.0.1:{port}
    default_backend kooch
backend kooch
{cache_rules}
    server kooch 127.0.0.1:{web_port}
"""


def shipped_cache() -> tuple[str, str]:
    """The shipped config's cache section, and its backend's cache-use / cache-store lines."""
    text = SHIPPED_HAPROXY_CFG.read_text(encoding="utf-8")
    block = re.search(r"# --- page cache.*?\n(.*?)# --- end of the page cache", text, re.S)
    assert block is not None, "deploy/haproxy.cfg lost its page cache block"
    rules = [
        line
        for line in text.splitlines()
        if re.search(r"http-(request cache-use|response cache-store)", line)
    ]
    assert len(rules) == 2, rules
    return block.group(1), "\n".join(rules)


def haproxy_cache_front(port: int, web_port: int) -> str:
    """A HAProxy config: 127.0.0.1:``port`` in front of Kooch's web server on ``web_port``, with
    the shipped config's page cache (what bench/taps_under_attack.py --via haproxy measures)."""
    cache_block, cache_rules = shipped_cache()
    return _CACHE_FRONT.format(cache_block=cache_block, cache_rules=cache_rules, port=port, web_port=web_port)
