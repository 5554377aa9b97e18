"""Kooch's storage: all SQL lives in this package (see ``store.py`` and ``migrations.py``)."""

from kooch.store.migrations import MigrationError, migrate
from kooch.store.store import (
    AckCounts,
    Announcement,
    AuditEntry,
    Pending,
    Store,
    StoreUnavailable,
    WriteFailed,
)

__all__ = [
    "AckCounts",
    "Announcement",
    "AuditEntry",
    "MigrationError",
    "Pending",
    "Store",
    "StoreUnavailable",
    "WriteFailed",
    "migrate",
]
