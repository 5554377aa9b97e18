"""The operators' repositories on both backends (SQLite, PostgreSQL): pending confirmations and
the audit log."""

from __future__ import annotations

import asyncio

import pytest

from kooch.actions.wording import step_words
from kooch.i18n import ltr
from kooch.operators.audit import AuditLog, Record, Step, delete_audit_before
from kooch.operators.forget.wording import former_operator
from kooch.operators.pending import PendingActions, delete_closed_before
from kooch.operators.pending import erase_user as erase_pending
from kooch.store import Store, WriteFailed
from tests.kit import committed

NOW = 1_700_000_000.0


@pytest.fixture
def pending(store: Store) -> PendingActions:
    return PendingActions(store)


@pytest.fixture
def audit(store: Store) -> AuditLog:
    return AuditLog(store)


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
    assert await committed(store, "SELECT state FROM pending_actions WHERE id = ?", (pending_id,)) == [
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
    assert await committed(store, "SELECT DISTINCT state FROM pending_actions") == [("confirmed",)]


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
    assert await committed(store, "SELECT payload FROM pending_actions") == [('{"good": 1}',)]


def stranger_pseudonym(user_id: int) -> str:
    return f"p{user_id % 1000:03d}"


async def test_a_refused_attempt_keeps_a_pseudonym_and_the_command_only(store: Store) -> None:
    audit = AuditLog(store, stranger_pseudonym)

    await audit.refused(7_312_456_789, "stats", at=NOW)
    await AuditLog(store).refused(5, "export", at=NOW + 1)  # no pseudonym key: nobody known

    assert await committed(store, "SELECT operator_id, pseudonym, action, detail, result FROM audit") == [
        (None, "p789", "stats", "", "refused: not an operator"),
        (None, "?", "export", "", "refused: not an operator"),
    ]
    assert [(e.operator_id, e.pseudonym) for e in await audit.recent()] == [(None, "p789"), (None, "?")]


def operator_pseudonym(user_id: int) -> str:
    return f"o{user_id % 1000:03d}"


async def test_erasing_a_user_keeps_their_actions_under_a_pseudonym_and_drops_their_refused_attempts(
    store: Store,
) -> None:
    """/forget takes their refused attempts, but what they did as an operator stays the channels'
    record: the same pseudonym on each of their rows (so /audit still groups them), and in the
    words of the rows that named them."""
    audit = AuditLog(store, stranger_pseudonym, operator_pseudonym)
    await audit.add(4242, "stats", "/stats", "ok", at=NOW)
    await audit.add(111, "stats", "/stats", "ok", at=NOW)
    await audit.add(0, "retention", "privacy.retention_days: 30", "deleted 1", at=NOW)
    await audit.refused(4242, "export", at=NOW)  # once, before they were an operator
    await audit.refused(9_999_999_789, "stats", at=NOW)  # someone else
    await audit.refused(5, "audit", at=NOW)
    await audit.add(4242, "announce:confirm", "announce:confirm:3", "requested approval #4", at=NOW)
    await audit.add(111, "approval:approve", "approval:approve:4", "approved #4 requested by 4242", at=NOW)
    await audit.add(111, "stats", "/stats 42420", "ok", at=NOW)  # another number: left alone

    erased = await store.write(lambda db: audit.erase_user(db, 4242))

    # The refused attempt deleted, their 2 rows and the 1 that named them pseudonymized.
    assert erased == 4
    assert await committed(
        store, "SELECT operator_id, pseudonym, action, detail, result FROM audit ORDER BY id"
    ) == [
        (None, "operator:o242", "stats", "/stats", "ok"),
        (111, None, "stats", "/stats", "ok"),
        (0, None, "retention", "privacy.retention_days: 30", "deleted 1"),
        (None, "p789", "stats", "", "refused: not an operator"),
        (None, "p005", "audit", "", "refused: not an operator"),
        (None, "operator:o242", "announce:confirm", "announce:confirm:3", "requested approval #4"),
        (111, None, "approval:approve", "approval:approve:4", "approved #4 requested by operator:o242"),
        (111, None, "stats", "/stats 42420", "ok"),
    ]
    entries = await audit.recent()
    assert [e.former_operator for e in entries] == [True, False, False, False, False, True, False, False]
    # The same person forgotten again, as a stranger this time: their operator rows stay.
    await store.write(lambda db: audit.erase_user(db, 4242))
    assert len(await audit.recent()) == 8


async def test_a_forgotten_requester_is_named_by_their_pseudonym_in_the_typed_records(store: Store) -> None:
    """Another operator's decision on their request stays the other's row; its requester_id goes
    and requester_pseudonym says the pseudonym their own rows get (the row's pseudonym column is
    the actor's); /audit then names them 'former operator <code>'."""
    audit = AuditLog(store, stranger_pseudonym, operator_pseudonym)
    await audit.add(
        4242, "announce:confirm", "announce:confirm:3", Record("announce", Step.REQUESTED, 4), at=NOW
    )
    await audit.add(111, "approval:approve", "approval:approve:4", Record("announce", Step.APPROVED, 4, 4242))
    await audit.add(4242, "approval:approve", "approval:approve:4", Record("announce", Step.OWN, 4, 4242))
    await audit.add(4242, "approval:refuse", "approval:refuse:5", Record("moved", Step.REFUSED, 5, 111))
    await audit.add(111, "approval:refuse", "approval:refuse:6", Record("moved", Step.REFUSED, 6, 777))

    erased = await store.write(lambda db: audit.erase_user(db, 4242))

    # Their 3 own rows and the 1 decision on their request; the others' request left alone.
    assert erased == 4
    entries = await audit.recent()
    assert [(e.operator_id, e.pseudonym) for e in entries] == [
        (None, "operator:o242"),
        (111, None),
        (None, "operator:o242"),
        (None, "operator:o242"),
        (111, None),
    ]
    records = [e.record for e in entries]
    assert all(r is not None for r in records)
    assert [(r.requester_id, r.requester_pseudonym) for r in records if r is not None] == [
        (None, None),
        (None, "operator:o242"),
        (None, "operator:o242"),
        (111, None),
        (777, None),
    ]
    approved = records[1]
    assert approved is not None
    said = step_words(approved, "en")
    assert said == f"approved {ltr('#4')}, asked by {former_operator('o242', 'en')}"
    assert "4242" not in said


async def test_without_a_key_a_forgotten_operator_gets_one_random_code(store: Store) -> None:
    audit = AuditLog(store)
    await audit.add(4242, "stats", "/stats", "ok", at=NOW)
    await audit.add(4242, "preview", "/preview", "ok", at=NOW)

    await store.write(lambda db: audit.erase_user(db, 4242))

    codes = {e.pseudonym for e in await audit.recent()}
    assert len(codes) == 1
    [code] = codes
    assert code is not None and code.startswith("operator:") and "4242" not in code


async def test_retention_deletes_audit_rows_by_time(store: Store, audit: AuditLog) -> None:
    for n in range(7):
        await audit.add(111, f"old{n}", "", "ok", at=NOW - 100 + n)
    await audit.add(111, "edge", "", "ok", at=NOW)  # exactly at the cutoff: kept
    await audit.refused(5, "stats", at=NOW + 1)

    deleted = [await store.write(lambda db: delete_audit_before(db, NOW, 3)) for _ in range(4)]

    assert deleted == [3, 3, 1, 0]
    assert [e.action for e in await audit.recent()] == ["edge", "stats"]


async def test_forgetting_an_operator_drops_their_confirmations(
    store: Store, pending: PendingActions
) -> None:
    mine = await pending.create("announce", 4242, {"channels": ["demo"]}, at=NOW)
    theirs = await pending.create("announce", 111, {}, at=NOW)

    assert await store.write(lambda db: erase_pending(db, 4242)) == 1

    assert await committed(store, "SELECT id, operator_id FROM pending_actions") == [(theirs, 111)]
    assert await pending.take(mine, "announce", "done") is None


async def test_retention_drops_used_confirmations_and_keeps_open_ones(
    store: Store, pending: PendingActions
) -> None:
    used = await pending.create("announce", 1, {}, at=NOW - 10)
    await pending.take(used, "announce", "done")
    cancelled = await pending.create("announce", 1, {}, at=NOW - 9)
    await pending.take(cancelled, "announce", "cancelled")
    waiting = await pending.create("schedule", 1, {}, at=NOW - 8)  # its button is still there
    recent = await pending.create("announce", 1, {}, at=NOW)
    await pending.take(recent, "announce", "done")

    assert await store.write(lambda db: delete_closed_before(db, NOW, 100)) == 2

    assert await committed(store, "SELECT id FROM pending_actions ORDER BY id") == [(waiting,), (recent,)]
    assert await pending.take(waiting, "schedule", "done") is not None


# ------------------------------------------------------------------------------------------ ids


async def test_an_id_is_never_given_twice(store: Store, pending: PendingActions) -> None:
    """Issue 23: a forget deleted the newest request and the next one got its number, so the
    audit said both "refused #16 (schedule)" and "approved #16 (announce)". Each way a row goes
    (an operator's /forget, the retention job) leaves its number used."""
    first = await pending.create("approval", 4242, {"action": "schedule"}, at=NOW - 10)
    forgotten = await pending.create("approval", 4242, {"action": "schedule"}, at=NOW - 9)
    await store.write(lambda db: erase_pending(db, 4242))
    after_forget = await pending.create("approval", 111, {"action": "announce"}, at=NOW - 8)
    await pending.take(after_forget, "approval", "done")
    await store.write(lambda db: delete_closed_before(db, NOW, 100))  # the table is empty now
    after_retention = await pending.create("approval", 111, {"action": "announce"}, at=NOW)

    assert first < forgotten < after_forget < after_retention
    assert await committed(store, "SELECT id FROM pending_actions") == [(after_retention,)]


async def test_the_open_actions_of_an_operator(pending: PendingActions) -> None:
    mine = await pending.create("approval", 4242, {"action": "announce"}, at=NOW)
    used = await pending.create("announce", 4242, {}, at=NOW)
    await pending.take(used, "announce", "done")
    await pending.create("approval", 111, {"action": "moved"}, at=NOW)
    question = await pending.create("forget", 4242, {}, at=NOW)

    assert [(p.id, p.kind) for p in await pending.open_of(4242)] == [(mine, "approval"), (question, "forget")]
