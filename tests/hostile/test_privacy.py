"""Privacy read by someone hostile, who has the database folder: what is kept of a stranger who
tries an operator command, what ``/forget`` leaves behind (no byte of the user's id nor of their
name, in the database, its WAL, the audit or a later backup), what retention removes, and every
promise of docs/features.md's "What is stored (privacy)" held against the real schema and the real bot.

Ids are beyond 2**32 (Telegram's are now), so that their encodings are long enough to search a
file for without matching by chance.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from kooch.app.runner import App
from kooch.app.services import audit_log, services_of, subscriber_store
from kooch.config.texts import DEFAULT_TEXTS
from kooch.insight.pseudonym import AUDIT_SCOPE, Pseudonymizer, key_file, load_key
from kooch.operators.audit import AuditLog
from kooch.operators.wording import REFUSAL, refusal
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from kooch.store import Store
from kooch.store.backup import backup_database
from kooch.store.migrations import discover, migrate
from tests.bidi_kit import plain
from tests.kit import (
    announce,
    ask_announce,
    base_config,
    callback_of,
    eventually,
    press,
    running_bot,
    say,
    write_config,
)
from tests.test_campaigns import final_tally, start_campaign
from tests.web_kit import serving, web_config

ROOT = Path(__file__).resolve().parents[2]
VICTIM_ID = 7_312_456_789
VICTIM_NAME = "Shirin-zq7Lx"
BYSTANDER_ID = 7_398_765_431
BYSTANDER_NAME = "Bahram-Kw3vP"
DAY = 86400.0


# --------------------------------------------------------------------------------------------
# Reading the disk as an intruder would


def varint(n: int) -> bytes:
    """SQLite's variable-length integer (rowids, and the keys of interior pages)."""
    groups = []
    while True:
        groups.append(n & 0x7F)
        n >>= 7
        if not n:
            break
    groups.reverse()
    return bytes([g | 0x80 for g in groups[:-1]] + [groups[-1]])


def id_encodings(user_id: int) -> dict[str, bytes]:
    """Every form in which a database file can hold ``user_id``: as text (JSON, a command), and
    as SQLite writes integers: big-endian in the fewest of 1, 2, 3, 4, 6 or 8 bytes that hold it
    (a suffix of the 8-byte form, which is searched too), and as a varint."""
    width = next(w for w in (1, 2, 3, 4, 6, 8) if -(1 << (8 * w - 1)) <= user_id < 1 << (8 * w - 1))
    return {
        "the id as text": str(user_id).encode(),
        f"the id in {width} bytes": user_id.to_bytes(width, "big", signed=True),
        "the id in 8 bytes": user_id.to_bytes(8, "big", signed=True),
        "the id as a varint": varint(user_id),
    }


def files_of(db: Path) -> dict[str, bytes]:
    """The database and its WAL, as bytes."""
    out = {"database": db.read_bytes()}
    wal = db.with_name(db.name + "-wal")
    if wal.exists():
        out["-wal"] = wal.read_bytes()
    return out


def traces(db: Path, needles: dict[str, bytes]) -> list[str]:
    """Which needles are in which file; [] when none is anywhere."""
    return [
        f"{what} in {name}" for name, data in files_of(db).items() for what, n in needles.items() if n in data
    ]


def found(db: Path, needles: dict[str, bytes]) -> set[str]:
    """Which needles are on disk, in the database or its WAL."""
    return {what for what, n in needles.items() if any(n in data for data in files_of(db).values())}


def user_needles(user_id: int, first_name: str, pseudonym: str | None = None) -> dict[str, bytes]:
    needles = {**id_encodings(user_id), "the first name": first_name.encode()}
    if pseudonym is not None:
        needles["the audit pseudonym"] = pseudonym.encode()
    return needles


def audit_pseudonym(folder: Path, user_id: int) -> str:
    return Pseudonymizer(load_key(folder), AUDIT_SCOPE)(user_id)


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql, params).fetchall()


def test_the_search_finds_an_id_in_every_form_sqlite_writes(tmp_path: Path) -> None:
    """The check the other tests rely on: a stored id is found, as a value and as a rowid."""
    db = tmp_path / "probe.db"
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("CREATE TABLE t (v INTEGER)")
        conn.execute("CREATE TABLE r (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO t VALUES (?)", (VICTIM_ID,))
        conn.execute("INSERT INTO r VALUES (?)", (BYSTANDER_ID,))
    assert "the id in 6 bytes in database" in traces(db, id_encodings(VICTIM_ID))
    assert "the id as a varint in database" in traces(db, id_encodings(BYSTANDER_ID))
    assert traces(db, id_encodings(VICTIM_ID + 1)) == []


# --------------------------------------------------------------------------------------------
# A stranger who tries an operator command


async def test_a_refused_attempt_keeps_a_pseudonym_and_the_command_name_only(
    sim: BotAPISimulator, channel: SimChat, bot: App, tmp_path: Path
) -> None:
    stranger = sim.add_user("Mallory", "en", user_id=VICTIM_ID)
    typed = "/stats my-home-address-is-12-Secret-Lane " + "and-more-of-it " * 270
    assert 4000 < len(typed) <= 4096

    reply = await say(sim, stranger, typed)

    assert reply.text == REFUSAL
    db = tmp_path / "kooch.db"
    # The refusal is answered first, then audited.
    store = services_of(bot).store
    await eventually(
        lambda: query(db, "SELECT COUNT(*) FROM audit") == [(1,)], "the attempt audited", on=store
    )
    pseudonym = audit_pseudonym(tmp_path, VICTIM_ID)
    assert query(db, "SELECT operator_id, pseudonym, action, detail, result FROM audit") == [
        (None, pseudonym, "stats", "", "refused: not an operator")
    ]
    needles = {**id_encodings(VICTIM_ID), "what they typed": b"my-home-address"}
    # The update itself was spooled while it was handled (so a crash would not lose it); once
    # handled it is deleted, overwritten, and the WAL truncated.
    await eventually(
        lambda: traces(db, needles), "nothing left on disk", until=lambda left: left == [], on=store
    )
    # The key the pseudonym needs is beside the database, never in it.
    key = key_file(tmp_path).read_bytes().strip()
    assert traces(db, {"the pseudonym key": key}) == []


async def test_a_refused_button_keeps_no_id_either(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, bot: App, tmp_path: Path
) -> None:
    question = await ask_announce(sim, operator)
    stranger = sim.add_user("Mallory", "en", user_id=VICTIM_ID)
    query_id = sim.forge_callback_query(stranger, question, callback_of(question, "announce:confirm:"))
    assert (await sim.wait_for_answer(query_id)).text == REFUSAL

    store = services_of(bot).store
    await eventually(
        lambda: (
            query(tmp_path / "kooch.db", "SELECT COUNT(*) FROM audit WHERE operator_id IS NULL") == [(1,)]
        ),
        "the attempt audited",
        on=store,
    )
    rows = query(tmp_path / "kooch.db", "SELECT operator_id, pseudonym, action, detail FROM audit")
    assert rows[-1] == (None, audit_pseudonym(tmp_path, VICTIM_ID), "announce:confirm", "")
    # Spooled while handled, then deleted, overwritten and the WAL truncated.
    db = tmp_path / "kooch.db"
    await eventually(
        lambda: traces(db, id_encodings(VICTIM_ID)),
        "the id gone from disk",
        until=lambda left: left == [],
        on=store,
    )


# --------------------------------------------------------------------------------------------
# /forget, end to end


async def test_after_forget_no_byte_of_them_is_left(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    raw = base_config(tmp_path)
    raw["campaigns"] = {"rate_per_s": 400, "paid": True, "progress_every_s": 1}
    config_file = write_config(tmp_path / "config.yaml", raw)
    db = tmp_path / "kooch.db"
    victim = sim.add_user(VICTIM_NAME, "fa", user_id=VICTIM_ID)
    bystander = sim.add_user(BYSTANDER_NAME, "fa", user_id=BYSTANDER_ID)
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1) as app:
        store = services_of(app).store
        await announce(sim, operator)
        post = sim.messages(channel.id)[0]
        for user in (victim, bystander):
            await say(sim, user, "/start demo")
            assert (
                plain((await press(sim, user, channel.id, post, "ack:demo")).text)
                == DEFAULT_TEXTS["fa"]["thanks"]
            )
        assert (await say(sim, victim, "/audit everything about me")).text == refusal("fa")
        question = await start_campaign(sim, operator, "/remind to:all We moved: see you there")
        await final_tally(sim, operator, question.message_id)
        pseudonym = audit_pseudonym(tmp_path, VICTIM_ID)
        victim_needles = user_needles(VICTIM_ID, VICTIM_NAME, pseudonym)
        # Before: they are there, so the search below can see them.
        assert {"the first name", "the id in 6 bytes", "the audit pseudonym"} <= found(db, victim_needles)
        assert query(db, "SELECT COUNT(*) FROM campaign_recipients WHERE user_id = ?", (VICTIM_ID,)) == [(1,)]

        reply = await say(sim, victim, "/forget")

        assert plain(reply.text) == DEFAULT_TEXTS["fa"]["forgotten"]
        await eventually(lambda: not store.checkpoint_owed, "the WAL emptied", on=store)
        assert traces(db, victim_needles) == []
        # The bystander's rows are still there, found by the same search.
        assert "the first name" in found(db, user_needles(BYSTANDER_ID, BYSTANDER_NAME))
        audit = await AuditLog(store).recent(200)
        assert all(e.operator_id != VICTIM_ID and e.pseudonym != pseudonym for e in audit)
        # A backup made now carries nothing of them either.
        copy = await asyncio.to_thread(backup_database, db, tmp_path / "after.db")
        assert traces(copy.path, victim_needles) == []
    # And after a clean stop (the last checkpoint), still nothing.
    assert traces(db, victim_needles) == []
    # Logs never carried their id nor their name.
    logged = [r.getMessage() for r in caplog.records]
    assert logged  # the bot did log (start-up, the campaign)
    assert not [line for line in logged if str(VICTIM_ID) in line or VICTIM_NAME in line]


#: Every column that can say who someone is. A new column whose name looks like one of these
#: fails the schema test below until it is added here and /forget takes care of it.
PERSON_COLUMNS = {
    ("acks", "user_id"),
    ("acks", "first_name"),
    ("subscribers", "user_id"),
    ("campaign_recipients", "user_id"),
    ("campaign_progress", "chat_id"),  # an operator's private chat: their id
    ("campaigns", "created_by"),
    ("pending_actions", "operator_id"),
    ("audit", "operator_id"),
    ("audit", "pseudonym"),
    # Whose request an approval, a refusal or an expiry was about (issue 23).
    ("audit", "requester_id"),
    # The same requester once forgotten as an operator: their pseudonym (issue 23).
    ("audit", "requester_pseudonym"),
    ("announcements", "posted_by"),
    ("moved_state", "moved_by"),
    ("scheduled_posts", "created_by"),
    # Move codes and the arrivals they confirmed (issue 27): the Telegram user's id only.
    ("move_codes", "user_id"),
    ("service_arrivals", "user_id"),
}
#: Columns named like a person's that hold a channel's id.
CHANNEL_COLUMNS = {("announcements", "chat_id"), ("moved_state", "chat_id")}
PERSONISH = re.compile(r"(user|operator|chat|requester)_id$|_by$|(first|last|user)_?name$|pseudonym")


def schema(db: Path) -> dict[str, list[str]]:
    with closing(sqlite3.connect(db)) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: [c[1] for c in conn.execute(f"PRAGMA table_info({t})")] for t in names}


def seed_everyone(db: Path, user_id: int, name: str, offset: int) -> None:
    """A row in every table that can hold a person, for ``user_id`` (as subscriber and operator)."""
    with closing(sqlite3.connect(db)) as conn, conn:
        c = offset
        conn.execute(
            "INSERT INTO acks (channel, user_id, first_name, language, source, acked_at)"
            " VALUES ('demo', ?, ?, 'fa', 'post', 1)",
            (user_id, name),
        )
        conn.execute(
            "INSERT INTO subscribers (user_id, language, started_at, last_seen_at) VALUES (?, 'fa', 1, 1)",
            (user_id,),
        )
        conn.execute(
            "INSERT INTO campaigns (id, created_at, created_by, texts, audience)"
            " VALUES (?, 1, ?, '{}', '{}')",
            (c, user_id),
        )
        conn.execute("INSERT INTO campaign_recipients (campaign_id, user_id) VALUES (?, ?)", (c, user_id))
        conn.execute("INSERT INTO campaign_progress VALUES (?, ?, 5)", (c, user_id))
        conn.execute(
            "INSERT INTO pending_actions (kind, operator_id, payload, created_at)"
            " VALUES ('remind', ?, '{}', 1)",
            (user_id,),
        )
        conn.execute(
            "INSERT INTO audit (at, operator_id, action, detail, result)"
            " VALUES (1, ?, 'stats', '/stats', 'ok')",
            (user_id,),
        )
        # Another operator (0: as good as any) approved their request.
        conn.execute(
            "INSERT INTO audit (at, operator_id, action, detail, result, kind, step, pending_id,"
            " requester_id) VALUES (1, 0, 'approval:approve', '', 'announce approved', 'announce',"
            " 'approved', ?, ?)",
            (c, user_id),
        )
        conn.execute(
            "INSERT INTO announcements (id, channel, chat_id, message_id, posted_at, posted_by, content_hash)"
            " VALUES (?, 'demo', -100123, ?, 1, ?, 'h')",
            (c, c, user_id),
        )
        conn.execute(
            "INSERT INTO moved_state (channel, chat_id, moved_at, moved_by) VALUES (?, -100123, 1, ?)",
            (f"ch{c}", user_id),
        )
        conn.execute(
            "INSERT INTO scheduled_posts (channel, due_at, created_at, created_by) VALUES ('demo', 1, 1, ?)",
            (user_id,),
        )
        conn.execute(
            "INSERT INTO move_codes (code, user_id, channel, service, created_at, expires_at, used_at)"
            " VALUES (?, ?, 'demo', 'bale', 1, 2, 1)",
            (f"code{c}", user_id),
        )
        conn.execute(
            "INSERT INTO service_arrivals (channel, service, user_id, arrived_at)"
            " VALUES ('demo', 'bale', ?, 1)",
            (user_id,),
        )


async def test_forget_reaches_every_column_that_can_name_a_person(tmp_path: Path) -> None:
    db = tmp_path / "kooch.db"
    store = await Store.open(db)
    try:
        personish = {(t, c) for t, cols in schema(db).items() for c in cols if PERSONISH.search(c)}
        assert personish == PERSON_COLUMNS | CHANNEL_COLUMNS, "classify the new column, and forget it"
        seed_everyone(db, VICTIM_ID, VICTIM_NAME, 1)
        seed_everyone(db, BYSTANDER_ID, BYSTANDER_NAME, 2)
        audit = audit_log(store)
        await audit.refused(VICTIM_ID, "export")
        await audit.refused(BYSTANDER_ID, "export")
        pseudonym = audit_pseudonym(tmp_path, VICTIM_ID)

        forgotten = await subscriber_store(store, audit).forget_user(VICTIM_ID)

        # Their ack and start, 3 campaign rows, a confirmation, 2 audit rows (their own, kept under a
        # pseudonym; their refused attempt, deleted), another operator's decision on their request
        # (its requester now that pseudonym), 3 of the channels', a move code and an arrival.
        assert forgotten == 14
        [(requester_pseudonym,)] = query(
            db, "SELECT requester_pseudonym FROM audit WHERE kind = 'announce' AND pending_id = 1"
        )
        [(own,)] = query(db, "SELECT pseudonym FROM audit WHERE action = 'stats' AND operator_id IS NULL")
        assert str(requester_pseudonym).startswith("operator:") and requester_pseudonym == own
        for table, column in sorted(PERSON_COLUMNS):
            value: Any = {"first_name": VICTIM_NAME, "pseudonym": pseudonym}.get(column, VICTIM_ID)
            [(left,)] = query(db, f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (value,))
            assert left == 0, f"{table}.{column} still holds them"
            [(others,)] = query(db, f"SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL")
            assert others >= 1, f"{table}.{column}: the bystander's went too"
        assert traces(db, user_needles(VICTIM_ID, VICTIM_NAME, pseudonym)) == []
        assert "the first name" in found(db, user_needles(BYSTANDER_ID, BYSTANDER_NAME))
    finally:
        await store.close()


# --------------------------------------------------------------------------------------------
# Retention


async def test_retention_removes_old_audit_rows(
    sim: BotAPISimulator, operator: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    now = time.time()
    db = tmp_path / "kooch.db"
    store = await Store.open(db)
    try:
        audit = audit_log(store)
        await audit.add(operator.id, "stats", "/stats demo", "stats for demo", at=now - 40 * DAY)
        await audit.refused(VICTIM_ID, "export", at=now - 31 * DAY)
        await audit.add(operator.id, "preview", "/preview", "previewed 1", at=now - 29 * DAY)
    finally:
        await store.close()
    raw = base_config(tmp_path)
    raw["privacy"] = {"retention_days": 30}
    config_file = write_config(tmp_path / "config.yaml", raw)

    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1) as app:

        def retained() -> list[tuple[Any, ...]]:
            return query(db, "SELECT action, result FROM audit ORDER BY id")

        await eventually(
            lambda: "retention" in {a for a, _ in retained()},
            "the retention job run",
            on=services_of(app).store,
        )

    assert retained() == [
        ("preview", "previewed 1"),
        ("retention", "deleted 0 acknowledgements, 0 starts, 2 audit rows, 0 used confirmations"),
    ]
    assert traces(db, id_encodings(VICTIM_ID) | {"the old command": b"/stats demo"}) == []


# --------------------------------------------------------------------------------------------
# A database written before refused attempts were pseudonymised


def test_the_migration_strips_the_refused_attempts_recorded_before(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    migrate(db, [m for m in discover() if m.name < "0007"])
    typed = "/stats my-home-address-is-12-Secret-Lane"
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute(
            "INSERT INTO audit (at, operator_id, action, detail, result) VALUES (1, ?, 'stats', ?, ?)",
            (VICTIM_ID, typed, "refused: not an operator"),
        )
        conn.execute(
            "INSERT INTO audit (at, operator_id, action, detail, result)"
            " VALUES (2, 4242, 'stats', '/stats', 'ok')"
        )
        conn.execute(
            "INSERT INTO subscribers (user_id, language, source, started_at, last_seen_at, blocked)"
            " VALUES (?, 'fa', 'demo', 3, 4, 1)",
            (BYSTANDER_ID,),
        )

    # Only as far as 0007: the later migrations are not this test's subject.
    assert migrate(db, [m for m in discover() if m.name < "0008"]) == ["0007_privacy"]

    assert query(db, "SELECT at, operator_id, pseudonym, action, detail, result FROM audit ORDER BY id") == [
        (1.0, None, "?", "stats", "", "refused: not an operator"),
        (2.0, 4242, None, "stats", "/stats", "ok"),
    ]
    assert query(db, "SELECT * FROM subscribers") == [(BYSTANDER_ID, "fa", "demo", 3.0, 4.0, 1)]
    assert query(db, "SELECT sql LIKE '%WITHOUT ROWID%' FROM sqlite_master WHERE name = 'subscribers'") == [
        (1,)
    ]
    # The old table's pages were zeroed as they were freed.
    assert traces(db, {**id_encodings(VICTIM_ID), "what they typed": b"my-home-address"}) == []


# --------------------------------------------------------------------------------------------
# docs/features.md: "What is stored (privacy)" (moved there from the README, issue 25)


def readme_section() -> str:
    text = (ROOT / "docs" / "features.md").read_text(encoding="utf-8")
    start = text.index("## What is stored (privacy)")
    return text[start : text.index("\n## ", start + 1)]


def readme_tables() -> set[str]:
    """The tables the section's table names, in its first column."""
    names: set[str] = set()
    for line in readme_section().splitlines():
        cells = line.split("|")
        if len(cells) > 2 and "`" in cells[1]:
            names |= set(re.findall(r"`([a-z_]+)`", cells[1]))
    return names


async def migrated(tmp_path: Path) -> dict[str, list[str]]:
    await (await Store.open(tmp_path / "kooch.db")).close()
    return schema(tmp_path / "kooch.db")


async def test_the_readme_lists_every_table_the_database_holds(tmp_path: Path) -> None:
    assert readme_tables() == set(await migrated(tmp_path))


async def test_the_personal_tables_hold_what_the_readme_says_and_no_more(tmp_path: Path) -> None:
    tables = await migrated(tmp_path)
    # "user id, first name, Telegram language, time, channel, source and service"
    assert set(tables["acks"]) == {
        "user_id",
        "first_name",
        "language",
        "acked_at",
        "channel",
        "source",
        "service",
    }
    # "user id, language, first source, start time, last time seen, whether they blocked the bot,
    # whether they turned reminders off"
    assert set(tables["subscribers"]) == {
        "user_id",
        "language",
        "source",
        "started_at",
        "last_seen_at",
        "blocked",
        "reminders_off",
    }
    # "user id, language, delivery state, attempts, last error" per reminder (and when)
    assert set(tables["campaign_recipients"]) == {
        "campaign_id",
        "user_id",
        "language",
        "state",
        "attempts",
        "error",
        "updated_at",
    }
    # "operator id, action, the command as sent, time, result", or "a pseudonym"; a gated
    # action's step as data: "the action, its step, the request's id, the requester, the outcome's
    # codes and ids" (and a count)
    assert set(tables["audit"]) == {
        "id",
        "at",
        "operator_id",
        "pseudonym",
        "action",
        "detail",
        "result",
        "kind",
        "step",
        "pending_id",
        "requester_id",
        "requester_pseudonym",
        "codes",
        "ids",
        "count",
    }
    # "counts only … no id, no name, no language"
    for table in ("ack_buckets", "ack_totals", "click_buckets", "click_totals", "insight_counters"):
        personal = [c for c in tables[table] if PERSONISH.search(c) or c == "language"]
        assert personal == [], table
        assert table in readme_section()


async def test_clicks_keep_no_ip_no_user_id_and_no_user_agent(tmp_path: Path) -> None:
    agent = "Mozilla/5.0 (Linux; Android 14; Pixel-Zq7Lx) AppleWebKit/537.36 Chrome/124.0 Mobile"
    address = "203.0.113.77"
    async with serving(web_config(tmp_path), tmp_path) as web, aiohttp.ClientSession(web.url) as client:
        headers = {"User-Agent": agent, "X-Forwarded-For": address, "X-Real-IP": address}
        async with client.get("/go/soroush?c=demo&s=post", headers=headers, allow_redirects=False) as r:
            assert r.status == 302
        await web.clicks.flush()
        assert query(web.store.path, "SELECT service, channel, source, platform, is_bot FROM clicks") == [
            ("soroush", "demo", "post", "android", 0)
        ]
        assert set(schema(web.store.path)["clicks"]) == {
            "id",
            "at",
            "service",
            "channel",
            "source",
            "platform",
            "is_bot",
        }
        needles = {
            "the user agent": b"Pixel-Zq7Lx",
            "the address": address.encode(),
            "127.0.0.1": b"127.0.0.1",
        }
        assert traces(web.store.path, needles) == []
