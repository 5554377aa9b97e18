"""The operators' repositories against real SQLite files: pending confirmations, the audit log."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from kooch.operators.audit import AuditLog
from kooch.operators.pending import PendingActions
from kooch.store import Store, WriteFailed

NOW = 1_700_000_000.0


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "k.db")
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def pending(store: Store) -> PendingActions:
    return PendingActions(store)


@pytest.fixture
def audit(store: Store) -> AuditLog:
    return AuditLog(store)


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the file with a separate plain connection: what is there is what was committed."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


# ------------------------------------------------------------------------------------------ confirmations


async def test_pending_is_taken_once(store: Store, pending: PendingActions) -> None:
    payload = {"channel": "demo", "hash": "abc", "ids": [1, 2]}
    pending_id = await pending.create("announce", 111, payload, at=NOW)

    taken = await pending.take(pending_id, "announce", "confirmed")

    assert taken is not None
    assert (taken.id, taken.kind, taken.operator_id, taken.payload, taken.created_at) == (
        pending_id,
        "announce",
        111,
        payload,
        NOW,
    )
    assert await pending.take(pending_id, "announce", "confirmed") is None
    assert await pending.take(pending_id, "announce", "cancelled") is None
    assert query(store.path, "SELECT state FROM pending_actions WHERE id = ?", (pending_id,)) == [
        ("confirmed",)
    ]


@pytest.mark.parametrize(
    ("pending_id_offset", "kind"),
    [
        pytest.param(0, "broadcast", id="wrong-kind"),
        pytest.param(1000, "announce", id="unknown-id"),
    ],
)
async def test_take_pending_wrong_kind_or_id(
    pending: PendingActions, pending_id_offset: int, kind: str
) -> None:
    pending_id = await pending.create("announce", 111, {}, at=NOW)

    assert await pending.take(pending_id + pending_id_offset, kind, "confirmed") is None

    # It is still open for the right taker.
    assert await pending.take(pending_id, "announce", "confirmed") is not None


async def test_pending_taken_once_even_concurrently(store: Store, pending: PendingActions) -> None:
    ids = [await pending.create("announce", 111, {"n": n}, at=NOW) for n in range(20)]

    # Every confirm button pressed five times at once, with "cancel" racing it.
    takes = [
        pending.take(pending_id, "announce", state)
        for pending_id in ids
        for state in ("confirmed", "confirmed", "cancelled", "confirmed", "cancelled")
    ]
    results = await asyncio.gather(*takes)

    winners = [r for r in results if r is not None]
    assert sorted(r.id for r in winners) == ids
    assert sorted(r.payload["n"] for r in winners) == list(range(20))
    # The first press in queue order wins.
    assert query(store.path, "SELECT DISTINCT state FROM pending_actions") == [("confirmed",)]


# ------------------------------------------------------------------------------------------ audit


async def test_recent_audit_the_last_ones_oldest_first(audit: AuditLog) -> None:
    for n in range(5):
        await audit.add(111, f"action{n}", f"detail {n}", "ok", at=NOW + n)

    entries = await audit.recent()

    assert [(e.action, e.detail, e.at, e.operator_id, e.result) for e in entries] == [
        (f"action{n}", f"detail {n}", NOW + n, 111, "ok") for n in range(5)
    ]
    assert [e.action for e in await audit.recent(limit=2)] == ["action3", "action4"]


async def test_a_payload_json_cannot_hold_fails_alone(store: Store, pending: PendingActions) -> None:
    with pytest.raises((TypeError, WriteFailed)):
        await pending.create("announce", 1, {"bad": object()})

    assert await pending.create("announce", 1, {"good": 1}) > 0
    assert query(store.path, "SELECT payload FROM pending_actions") == [('{"good": 1}',)]
