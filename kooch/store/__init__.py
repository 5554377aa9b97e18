"""Kooch's storage: all SQL lives in this package (see ``store.py`` and ``migrations.py``)."""

from kooch.store.engine import (
    AckCounts,
    Announcement,
    AuditEntry,
    Pending,
    Store,
    StoreUnavailable,
    WriteFailed,
)
from kooch.store.migrations import MigrationError, migrate

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
