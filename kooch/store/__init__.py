"""Kooch's storage engine: the SQLite file, one writer with group commit, migrations, backup and
health. It knows no feature's tables: each feature keeps its SQL in its own repository."""

from kooch.store.engine import (
    BatchedInsert,
    Store,
    StoreUnavailable,
    Value,
    WriteFailed,
    database_url,
    open_store,
    storable,
)
from kooch.store.migrations import MigrationError, migrate

__all__ = [
    "BatchedInsert",
    "MigrationError",
    "Store",
    "StoreUnavailable",
    "Value",
    "WriteFailed",
    "database_url",
    "migrate",
    "open_store",
    "storable",
]
