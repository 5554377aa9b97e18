"""/export's files and pseudonyms, and the pseudonym key: rows, hashes, the user-id switch,
`since`, clicks per day in the configured zone, zipping over the upload limit; read from an SQLite
snapshot and from a PostgreSQL one (server-side cursors)."""

from __future__ import annotations

import csv
import io
import os
import stat
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kooch.insight.export import ExportRequest, ExportResult, ExportTooLarge, write_export
from kooch.insight.pseudonym import KEY_ENV, Pseudonymizer, PseudonymKeyError, key_file, load_key, log_id
from kooch.store import Store
from kooch.store.db import Database
from kooch.subscribers.store import SubscriberStore

TZ = "Asia/Tehran"
T0 = datetime(2026, 3, 1, 23, 50, tzinfo=ZoneInfo(TZ)).timestamp()  # 10 minutes before midnight
KEY_A = b"a" * 32
KEY_B = b"b" * 32


@pytest.fixture
async def store(store: Store) -> Store:
    """conftest's store (each backend in turn) with a few taps and clicks in it."""
    s = store
    subscribers = SubscriberStore(s)
    await subscribers.add_ack("demo", 111, "Sara", "fa", "post", at=T0)
    await subscribers.add_ack("demo", 222, "Reza", None, "site", at=T0 + 60, service="gap")
    await subscribers.add_ack("news", 111, "Sara", "fa", "post", at=T0 + 1200)
    await subscribers.add_ack("other", 333, "Ali", "en", "post", at=T0 + 30)

    async def clicks(db: Database) -> None:
        await db.executemany(
            "INSERT INTO clicks (at, service, channel, source, platform, is_bot) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (T0, "gap", "demo", "post", "android", 0),  # 1 March in Tehran
                (T0 + 60, "gap", "demo", "post", "ios", 0),
                (T0 + 120, "gap", "demo", None, "other", 1),  # a link preview
                (T0 + 900, "gap", "demo", "post", "ios", 0),  # 2 March in Tehran
                (T0 + 900, "bale", None, None, "desktop", 0),  # no channel: in every export
                (T0 + 900, "bale", "other", None, "desktop", 0),  # another channel: left out
            ],
        )

    await s.write(clicks)
    return s


def run_export(
    store: Store, out: Path, **kwargs: Any
) -> tuple[list[dict[str, str]], list[dict[str, str]], ExportResult]:
    out.mkdir(exist_ok=True)
    options: dict[str, Any] = {
        "database": store.path,
        "database_url": store.url,
        "channels": ("demo", "news"),
        "since": None,
        "timezone": TZ,
        "user_ids": False,
        "pseudonymize": Pseudonymizer(KEY_A),
        "out_dir": out,
    }
    options.update(kwargs)
    result = write_export(ExportRequest(**options))
    return read_csv(result.acks.path), read_csv(result.clicks.path), result


def read_csv(path: Path) -> list[dict[str, str]]:
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            (name,) = archive.namelist()
            text = archive.read(name).decode("utf-8-sig")
    else:
        text = path.read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


async def test_acks_rows_in_time_order_with_pseudonyms(store: Store, tmp_path: Path) -> None:
    acks, _, result = run_export(store, tmp_path / "a")
    assert [r["channel"] for r in acks] == ["demo", "demo", "news"]  # "other" not asked for
    first = acks[0]
    assert list(first) == [
        "time",
        "channel",
        "service",
        "language",
        "source",
        "arrived_on",
        "user_pseudonym",
    ]
    assert first["time"] == "2026-03-01T23:50:00+03:30"
    assert (first["service"], first["language"], first["source"]) == ("", "fa", "post")
    assert (acks[1]["service"], acks[1]["language"], acks[1]["source"]) == ("gap", "", "site")
    # The same person is the same code, in one export and across exports; never the id.
    assert acks[0]["user_pseudonym"] == acks[2]["user_pseudonym"] != acks[1]["user_pseudonym"]
    assert len(acks[0]["user_pseudonym"]) == 16
    again, _, _ = run_export(store, tmp_path / "b")
    assert [r["user_pseudonym"] for r in again] == [r["user_pseudonym"] for r in acks]
    assert all("111" not in v and "Sara" not in v for r in acks for v in r.values())
    # Another secret gives other codes.
    other, _, _ = run_export(store, tmp_path / "c", pseudonymize=Pseudonymizer(KEY_B))
    assert {r["user_pseudonym"] for r in other}.isdisjoint({r["user_pseudonym"] for r in acks})
    assert not result.acks.zipped


async def test_export_user_ids_switch_puts_real_ids_under_their_own_header(
    store: Store, tmp_path: Path
) -> None:
    acks, _, _ = run_export(store, tmp_path / "a", user_ids=True, pseudonymize=None)
    assert list(acks[0])[-1] == "user_id"
    assert [r["user_id"] for r in acks] == ["111", "222", "111"]


async def test_since_and_one_channel(store: Store, tmp_path: Path) -> None:
    acks, clicks, _ = run_export(store, tmp_path / "a", channels=("demo",), since=T0 + 30)
    assert [r["user_pseudonym"] for r in acks] == [Pseudonymizer(KEY_A)(222)]
    # Clicks from the slot holding `since` on (15-minute slots): the 2 March ones.
    assert {r["day"] for r in clicks} == {"2026-03-01", "2026-03-02"}


async def test_clicks_per_day_in_the_configured_zone(store: Store, tmp_path: Path) -> None:
    _, clicks, _ = run_export(store, tmp_path / "a", channels=("demo",))
    assert list(clicks[0]) == ["day", "channel", "service", "clicks", "bot_requests"]
    assert [(r["day"], r["channel"], r["service"], r["clicks"], r["bot_requests"]) for r in clicks] == [
        ("2026-03-01", "demo", "gap", "2", "1"),
        ("2026-03-02", "", "bale", "1", "0"),
        ("2026-03-02", "demo", "gap", "1", "0"),
    ]


async def test_a_file_over_the_upload_limit_is_zipped_and_still_parses(store: Store, tmp_path: Path) -> None:
    for i in range(200):
        await SubscriberStore(store).add_ack("demo", 1000 + i, None, "fa", "post", at=T0 + 2000 + i)
    acks, clicks, result = run_export(store, tmp_path / "a", upload_limit=4000)
    assert result.acks.zipped and result.acks.filename.endswith(".csv.zip")
    assert result.acks.path.stat().st_size <= 4000 < result.acks.rows * 40
    assert not result.clicks.zipped
    assert len(acks) == 203 and len(clicks) == 3
    with pytest.raises(ExportTooLarge, match="one channel at a time"):
        run_export(store, tmp_path / "b", upload_limit=50)


def test_pseudonym_key_generated_once_and_kept_private(tmp_path: Path) -> None:
    key = load_key(tmp_path, environ={})
    assert load_key(tmp_path, environ={}) == key
    assert len(key) == 64
    mode = stat.S_IMODE(os.stat(key_file(tmp_path)).st_mode)
    assert mode == 0o600
    # The environment wins over the file, and a short secret is refused with the fix.
    assert load_key(tmp_path, environ={KEY_ENV: "x" * 20}) == b"x" * 20
    with pytest.raises(PseudonymKeyError, match="shorter than 16 characters"):
        load_key(tmp_path, environ={KEY_ENV: "short"})


def test_log_ids_are_pseudonyms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    shown = log_id(123456789, tmp_path)
    assert shown.startswith("user:") and "123456789" not in shown
    assert shown == f"user:{Pseudonymizer(load_key(tmp_path, environ={}))(123456789)}"
