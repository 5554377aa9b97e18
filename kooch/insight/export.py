"""/export: acknowledgements and daily clicks as CSV files, streamed from the database.

Blocking by design (:func:`write_export` runs in a worker thread): it opens its own read-only
connection, reads both files from one snapshot in chunks of a few thousand rows and writes them
straight to temporary files, so memory stays flat whether there are a hundred rows or ten million.

Three files, because they answer three questions and have different rows:

* ``kooch-acks-….csv``: one row per acknowledgement: ``time`` (ISO 8601 in the configured time
  zone, with its offset), ``channel``, ``service`` (empty when the tap did not say), ``language``,
  ``source``, ``arrived_on`` (the services whose move code the person used, space-separated:
  "arrived on Bale"), and the person: ``user_pseudonym`` by default (HMAC-SHA256 of the id under the
  pseudonym key, the same person gets the same code in every export, so destination admins can
  deduplicate without learning who anyone is), or ``user_id`` when the config sets
  ``privacy.export_user_ids: true``. The column's name says which. No names are exported.
* ``kooch-clicks-….csv``: clicks on the redirect links per day (configured time zone), channel
  and service: ``clicks`` by people, ``bot_requests`` by link previews and crawlers.
* ``kooch-audience-per-day.csv``: per day and channel, the people who ``joined`` and ``left`` the
  channel (``chat_member``), ``left_after_moving`` (had tapped "I've moved"), and the last
  ``reactions`` total reported that day on the announcement: counts only, nobody named.

Files are UTF-8 with a byte-order mark, so Excel shows Persian text correctly. A file larger than
Telegram's 50 MB upload limit for bots is sent zipped (CSV shrinks about fivefold); one still too
large after that is refused with advice to narrow the export (a channel, a later ``since``).
"""

from __future__ import annotations

import csv
import shutil
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from kooch.i18n import format_number, gettext, isolate, paragraph
from kooch.insight.audience import iter_audience_days
from kooch.insight.store import iter_acks, iter_click_slots
from kooch.store.snapshot import Snapshot, open_snapshot

#: Telegram's limit on a file a bot uploads through the Bot API (cloud server).
UPLOAD_LIMIT_BYTES = 50 * 1024 * 1024
ACK_COLUMNS = ("time", "channel", "service", "language", "source", "arrived_on")
CLICK_COLUMNS = ("day", "channel", "service", "clicks", "bot_requests")
#: Makes Excel read the file as UTF-8 (Persian text); other CSV readers skip it as "utf-8-sig".
BOM = "\ufeff"


class ExportTooLarge(Exception):
    """Even zipped, a file is over the upload limit; the message says how to narrow it."""


@dataclass(frozen=True)
class ExportRequest:
    database: Path
    channels: tuple[str, ...]
    since: float | None
    timezone: str
    #: Real ids when True; otherwise ``pseudonymize`` must be given.
    user_ids: bool
    pseudonymize: Callable[[int], str] | None
    out_dir: Path
    stem: str = "kooch"
    upload_limit: int = UPLOAD_LIMIT_BYTES
    #: The PostgreSQL database to read instead of ``database`` (the store's :attr:`~Store.url`).
    database_url: str | None = None


@dataclass(frozen=True)
class ExportFile:
    path: Path
    #: The name the operator sees (``….csv`` or ``….csv.zip``).
    filename: str
    rows: int
    zipped: bool


@dataclass(frozen=True)
class ExportResult:
    acks: ExportFile
    clicks: ExportFile
    user_column: str
    #: Joins, departures (those after moving apart) and reactions per day and channel (issue 26).
    audience: ExportFile | None = None

    @property
    def files(self) -> tuple[ExportFile, ...]:
        """What is sent, in order."""
        return (self.acks, self.clicks) if self.audience is None else (self.acks, self.clicks, self.audience)


def user_column(user_ids: bool) -> str:
    return "user_id" if user_ids else "user_pseudonym"


def write_export(request: ExportRequest) -> ExportResult:
    """Write both files to ``request.out_dir`` (blocking; run it with ``asyncio.to_thread``)."""
    if not request.user_ids and request.pseudonymize is None:
        raise ValueError("a pseudonymised export needs the pseudonymizer")
    tz = ZoneInfo(request.timezone)
    column = user_column(request.user_ids)
    conn = open_snapshot(request.database, request.database_url)
    try:
        acks_path = request.out_dir / f"{request.stem}-acks.csv"
        ack_rows = _write_acks(_ack_rows(conn, request, tz), acks_path, column)
        clicks_path = request.out_dir / f"{request.stem}-clicks-per-day.csv"
        click_rows = _write_clicks(conn, request, tz, clicks_path)
        audience_path = request.out_dir / f"{request.stem}-audience-per-day.csv"
        audience_rows = _write_audience(conn, request, audience_path)
    finally:
        conn.close()
    return ExportResult(
        acks=_fit(acks_path, ack_rows, request.upload_limit),
        clicks=_fit(clicks_path, click_rows, request.upload_limit),
        user_column=column,
        # Only when Telegram reported joins, departures or reactions: no empty file.
        audience=_fit(audience_path, audience_rows, request.upload_limit) if audience_rows else None,
    )


#: The audience file's columns: counts per day (the configured time zone) and channel; reactions
#: is the last total Telegram reported that day on the announcement (empty: none that day).
AUDIENCE_COLUMNS = ("day", "channel", "joined", "left", "left_after_moving", "reactions")


def _write_audience(conn: Snapshot, request: ExportRequest, path: Path) -> int:
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(BOM)
        writer = csv.writer(f)
        writer.writerow(AUDIENCE_COLUMNS)
        for d in iter_audience_days(conn, request.channels, request.timezone):
            reactions = "" if d.reactions is None else d.reactions
            writer.writerow((d.day, d.channel, d.joined, d.left, d.left_after_moving, reactions))
            rows += 1
    return rows


AckRow = tuple[str, str, str, str, str, str, str | int]


def _ack_rows(conn: Snapshot, request: ExportRequest, tz: ZoneInfo) -> Iterator[list[AckRow]]:
    who: Callable[[int], str | int] = (
        (lambda uid: uid) if request.user_ids or request.pseudonymize is None else request.pseudonymize
    )
    for chunk in iter_acks(
        conn, request.channels, request.since, postgresql=request.database_url is not None
    ):
        yield [
            (
                datetime.fromtimestamp(at, tz).isoformat(timespec="seconds"),
                channel,
                service or "",
                language or "",
                source,
                arrived or "",
                who(user_id),
            )
            for at, channel, service, language, source, user_id, arrived in chunk
        ]


def _write_acks(chunks: Iterator[list[AckRow]], path: Path, column: str) -> int:
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(BOM)  # "utf-8-sig" would do it too, but through a Python-level codec on every write
        writer = csv.writer(f)
        writer.writerow((*ACK_COLUMNS, column))
        for chunk in chunks:
            writer.writerows(chunk)
            rows += len(chunk)
    return rows


def _write_clicks(conn: Snapshot, request: ExportRequest, tz: ZoneInfo, path: Path) -> int:
    """Slots come oldest first, so a day is complete when the next one starts: one day in memory."""
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(BOM)  # "utf-8-sig" would do it too, but through a Python-level codec on every write
        writer = csv.writer(f)
        writer.writerow(CLICK_COLUMNS)
        day: str | None = None
        counts: dict[tuple[str, str], list[int]] = {}

        def flush() -> int:
            for (channel, service), (humans, bots) in sorted(counts.items()):
                writer.writerow((day, channel, service, humans, bots))
            n = len(counts)
            counts.clear()
            return n

        for slot in iter_click_slots(conn, request.channels, request.since):
            slot_day = datetime.fromtimestamp(slot.bucket, tz).date().isoformat()
            if slot_day != day:
                rows += flush()
                day = slot_day
            entry = counts.setdefault((slot.channel, slot.service), [0, 0])
            entry[0] += slot.humans
            entry[1] += slot.bots
        rows += flush()
    return rows


def _fit(path: Path, rows: int, limit: int) -> ExportFile:
    """The file as is when it fits Telegram's limit, else zipped (streamed, chunk by chunk)."""
    if path.stat().st_size <= limit:
        return ExportFile(path, path.name, rows, zipped=False)
    zipped = path.with_name(path.name + ".zip")
    with (
        zipfile.ZipFile(zipped, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive,
        path.open("rb") as source,
        archive.open(path.name, "w", force_zip64=True) as target,
    ):
        shutil.copyfileobj(source, target, 1024 * 1024)
    path.unlink()
    if zipped.stat().st_size > limit:
        raise ExportTooLarge(
            f"{path.name} holds {rows:,} rows and is {zipped.stat().st_size / 2**20:.1f} MB even "
            f"zipped, more than Telegram's {limit / 2**20:.1f} MB for a bot's upload. Export one "
            "channel at a time, or from a later date: /export <channel> <YYYY-MM-DD>."
        )
    return ExportFile(zipped, zipped.name, rows, zipped=True)


def describe(
    result: ExportResult, channels: Sequence[str], since_text: str | None, language: str = "en"
) -> str:
    """The caption sent with the export: what it holds and how people are identified."""
    _ = partial(gettext, language)
    scope = _(", ").join(isolate(c) for c in channels)
    if since_text:
        lines = [
            _("📤 Acknowledgements of {channels} since {since}.").format(channels=scope, since=since_text)
        ]
    else:
        lines = [_("📤 Acknowledgements of {channels}.").format(channels=scope)]
    lines.append(
        _("{acks} acknowledgements; {clicks} rows of clicks per day.").format(
            acks=format_number(result.acks.rows, language), clicks=format_number(result.clicks.rows, language)
        )
    )
    if result.audience is not None:
        lines.append(
            _("{rows} rows of joins, departures and reactions per day.").format(
                rows=format_number(result.audience.rows, language)
            )
        )
    if result.user_column == "user_id":
        lines.append(_("⚠️ Real Telegram user ids (privacy.export_user_ids: true). Share with care."))
    else:
        lines.append(
            _(
                "People appear as user_pseudonym: a keyed hash of the id, the same person gets the "
                "same code in every export, and it cannot be turned back into the id."
            )
        )
    if any(part.zipped for part in result.files):
        lines.append(_("Zipped: larger than Telegram's 50 MB limit for a bot's file."))
    return "\n".join(paragraph(line, language) for line in lines)


__all__ = [
    "ACK_COLUMNS",
    "AUDIENCE_COLUMNS",
    "CLICK_COLUMNS",
    "UPLOAD_LIMIT_BYTES",
    "ExportFile",
    "ExportRequest",
    "ExportResult",
    "ExportTooLarge",
    "describe",
    "user_column",
    "write_export",
]
