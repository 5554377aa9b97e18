"""Loopback ports for the servers a test or a bench starts itself."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A loopback port free now (bound, then released), for a server a test starts itself."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
