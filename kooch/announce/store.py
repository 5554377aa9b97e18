"""SQL of the announcements: the ones posted (which is current per channel), their sync state, the
channels' moved state (originals saved before ``/moved``), and scheduled announcements.

A thin class over :class:`~kooch.store.engine.Store`: writes go through its group commit
(``store.write``), reads through its read connection, and the times it writes are the store's
clock's (``store.clock``). Returns typed rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kooch.store.db import Database
from kooch.store.engine import Store


@dataclass(frozen=True)
class Announcement:
    """A posted announcement as recorded when it was posted."""

    id: int
    channel: str
    chat_id: int
    message_id: int
    posted_at: float
    posted_by: int
    content_hash: str
    pinned: bool


@dataclass(frozen=True)
class PostedAnnouncement:
    """A posted announcement with what Kooch knows it shows now."""

    id: int
    channel: str
    chat_id: int
    message_id: int
    posted_at: float
    current: bool
    #: repr-hash of the post as posted (``announcements.content_hash``).
    posted_hash: str
    #: Hashes of the text and of the buttons after the last sync; None: as posted (unknown split).
    text_hash: str | None
    markup_hash: str | None
    synced_at: float
    gone_at: float | None
    error: str | None
    error_hash: str | None

    @property
    def gone(self) -> bool:
        return self.gone_at is not None


@dataclass(frozen=True)
class MovedState:
    channel: str
    chat_id: int
    original_title: str | None
    original_description: str
    pinned_message_id: int | None
    moved_at: float
    moved_by: int
    undone_at: float | None

    @property
    def active(self) -> bool:
        return self.undone_at is None


@dataclass(frozen=True)
class ScheduledPost:
    id: int
    channel: str
    due_at: float
    created_at: float
    created_by: int
    state: str
    result: str | None
    finished_at: float | None
    #: The channel's announcement the schedule was confirmed against (None: it had none); another
    #: one current at the due time holds the post (:func:`kooch.announce.duplicates.posted_since`).
    known_announcement: int | None = None


_POSTED_SQL = (
    "SELECT a.id, a.channel, a.chat_id, a.message_id, a.posted_at, a.current, a.content_hash,"
    " s.text_hash, s.markup_hash, COALESCE(s.synced_at, a.posted_at), s.gone_at, s.error, s.error_hash"
    " FROM announcements a LEFT JOIN announcement_sync s ON s.announcement_id = a.id"
)
_SCHEDULED_COLUMNS = (
    "id, channel, due_at, created_at, created_by, state, result, finished_at, known_announcement"
)
_SCHEDULED_SQL = f"SELECT {_SCHEDULED_COLUMNS} FROM scheduled_posts"


class AnnouncementStore:
    """Posted announcements, their sync state, moved state and scheduled posts. Cheap to create:
    holds only the Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ----------------------------------------------------------------------------- posted

    async def current_announcement(self, channel: str) -> Announcement | None:
        """The live announcement of ``channel``: the newest one posted."""
        row = await self.store.reader.fetchrow(
            "SELECT id, channel, chat_id, message_id, posted_at, posted_by, content_hash, pinned"
            " FROM announcements WHERE channel = ? AND current = 1 ORDER BY id DESC LIMIT 1",
            (channel,),
        )
        return _announcement(row) if row else None

    async def add_announcement(
        self,
        channel: str,
        chat_id: int,
        message_id: int,
        posted_by: int,
        content_hash: str,
        pinned: bool,
        at: float | None = None,
    ) -> None:
        """Record a post; it becomes the channel's current announcement."""
        at = self.store.clock.now() if at is None else at

        async def op(db: Database) -> None:
            await db.execute("UPDATE announcements SET current = 0 WHERE channel = ?", (channel,))
            await db.execute(
                "INSERT INTO announcements"
                " (channel, chat_id, message_id, posted_at, posted_by, content_hash, pinned)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (channel, chat_id, message_id, at, posted_by, content_hash, int(pinned)),
            )

        await self.store.write(op)

    # ----------------------------------------------------------------------------- sync state

    async def posted(self, channels: Iterable[str] | None = None) -> list[PostedAnnouncement]:
        """Every posted announcement (of ``channels``), newest first; gone ones included."""
        sql, params = _POSTED_SQL, ()
        keys = list(channels) if channels is not None else None
        if keys == []:
            return []
        if keys is not None:
            sql += f" WHERE a.channel IN ({','.join('?' * len(keys))})"
            params = tuple(keys)  # type: ignore[assignment]
        rows = await self.store.reader.fetch(sql + " ORDER BY a.id DESC", params)
        return [_posted(r) for r in rows]

    async def announcement(self, announcement_id: int) -> PostedAnnouncement | None:
        row = await self.store.reader.fetchrow(_POSTED_SQL + " WHERE a.id = ?", (announcement_id,))
        return _posted(row) if row else None

    async def find_announcement(self, chat_id: int, message_id: int) -> int | None:
        row = await self.store.reader.fetchrow(
            "SELECT id FROM announcements WHERE chat_id = ? AND message_id = ? ORDER BY id DESC LIMIT 1",
            (chat_id, message_id),
        )
        return int(row[0]) if row else None

    async def mark_synced(
        self, announcement_id: int, text_hash: str, markup_hash: str, at: float | None = None
    ) -> None:
        """The post now shows this text and these buttons (clears any remembered error)."""
        at = self.store.clock.now() if at is None else at

        async def op(db: Database) -> None:
            await db.execute(
                "INSERT INTO announcement_sync (announcement_id, text_hash, markup_hash, synced_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (announcement_id) DO UPDATE SET"
                " text_hash = excluded.text_hash, markup_hash = excluded.markup_hash,"
                " synced_at = excluded.synced_at, error = NULL, error_hash = NULL",
                (announcement_id, text_hash, markup_hash, at),
            )

        await self.store.write(op)

    async def mark_gone(self, announcement_id: int, at: float | None = None) -> bool:
        """The post was deleted from the channel. True the first time (report it), False after."""
        at = self.store.clock.now() if at is None else at

        async def op(db: Database) -> bool:
            changed = await db.execute(
                "INSERT INTO announcement_sync (announcement_id, synced_at, gone_at)"
                " SELECT id, posted_at, CAST(? AS DOUBLE PRECISION) FROM announcements WHERE id = ?"
                " ON CONFLICT (announcement_id) DO UPDATE SET gone_at = excluded.gone_at"
                " WHERE announcement_sync.gone_at IS NULL",
                (at, announcement_id),
            )
            return changed == 1

        return bool(await self.store.write(op))

    async def mark_error(self, announcement_id: int, error: str, content_hash: str) -> bool:
        """Telegram refused this content for good. True if the error is new (report it)."""

        async def op(db: Database) -> bool:
            row = await db.fetchrow(
                "SELECT error FROM announcement_sync WHERE announcement_id = ?", (announcement_id,)
            )
            await db.execute(
                "INSERT INTO announcement_sync (announcement_id, synced_at, error, error_hash)"
                " SELECT CAST(? AS BIGINT), posted_at, CAST(? AS TEXT), CAST(? AS TEXT)"
                " FROM announcements WHERE id = ?"
                " ON CONFLICT (announcement_id) DO UPDATE SET error = excluded.error,"
                " error_hash = excluded.error_hash",
                (announcement_id, error, content_hash, announcement_id),
            )
            return row is None or row[0] != error

        return bool(await self.store.write(op))

    async def ack_totals(self, channels: Iterable[str]) -> dict[str, int]:
        """Acknowledgements per channel: what the live counter shows."""
        keys = list(channels)
        out = dict.fromkeys(keys, 0)
        if not keys:
            return out
        for channel, total in await self.store.reader.fetch(
            f"SELECT channel, COUNT(*) FROM acks WHERE channel IN ({','.join('?' * len(keys))})"
            " GROUP BY channel",
            tuple(keys),
        ):
            out[str(channel)] = int(total)
        return out

    # ----------------------------------------------------------------------------- moved state

    async def moved_state(self, channel: str) -> MovedState | None:
        row = await self.store.reader.fetchrow(
            "SELECT channel, chat_id, original_title, original_description, pinned_message_id,"
            " moved_at, moved_by, undone_at FROM moved_state WHERE channel = ?",
            (channel,),
        )
        if row is None:
            return None
        return MovedState(
            channel=str(row[0]),
            chat_id=int(row[1]),
            original_title=row[2],
            original_description=str(row[3]),
            pinned_message_id=None if row[4] is None else int(row[4]),
            moved_at=float(row[5]),
            moved_by=int(row[6]),
            undone_at=None if row[7] is None else float(row[7]),
        )

    async def save_originals(
        self,
        channel: str,
        chat_id: int,
        title: str | None,
        description: str,
        moved_by: int,
        at: float | None = None,
    ) -> bool:
        """Save the title and description before ``/moved`` changes them.

        Keeps the originals of a channel already in its moved state (a second ``/moved`` must not
        save the moved title as the original); returns True if saved now.
        """
        at = self.store.clock.now() if at is None else at

        async def op(db: Database) -> bool:
            changed = await db.execute(
                "INSERT INTO moved_state (channel, chat_id, original_title, original_description,"
                " moved_at, moved_by) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (channel) DO UPDATE SET chat_id = excluded.chat_id,"
                " original_title = excluded.original_title,"
                " original_description = excluded.original_description, pinned_message_id = NULL,"
                " moved_at = excluded.moved_at, moved_by = excluded.moved_by, undone_at = NULL"
                " WHERE moved_state.undone_at IS NOT NULL",
                (channel, chat_id, title, description, at, moved_by),
            )
            return changed == 1

        return bool(await self.store.write(op))

    async def set_moved_pin(self, channel: str, message_id: int) -> None:
        """Remember that ``/moved`` pinned this message (so the undo unpins it)."""

        async def op(db: Database) -> None:
            await db.execute(
                "UPDATE moved_state SET pinned_message_id = ? WHERE channel = ?", (message_id, channel)
            )

        await self.store.write(op)

    async def mark_undone(self, channel: str, at: float | None = None) -> None:
        at = self.store.clock.now() if at is None else at

        async def op(db: Database) -> None:
            await db.execute(
                "UPDATE moved_state SET undone_at = ? WHERE channel = ? AND undone_at IS NULL",
                (at, channel),
            )

        await self.store.write(op)

    # ----------------------------------------------------------------------------- scheduled posts

    async def schedule(
        self, channels: Iterable[str], due_at: float, created_by: int, known: Mapping[str, int] | None = None
    ) -> list[int]:
        """One scheduled post per channel, each with the announcement it was confirmed against
        (``known``: channel key → announcement id; absent: the channel had none); returns their ids."""
        now = self.store.clock.now()
        keys = list(channels)
        knew = dict(known or {})

        async def op(db: Database) -> list[int]:
            ids = []
            for key in keys:
                new_id = await db.fetchval(
                    "INSERT INTO scheduled_posts"
                    " (channel, due_at, created_at, created_by, known_announcement)"
                    " VALUES (?, ?, ?, ?, ?) RETURNING id",
                    (key, due_at, now, created_by, knew.get(key)),
                )
                ids.append(int(new_id))
            return ids

        result: list[int] = await self.store.write(op)
        return result

    async def scheduled(self, states: Iterable[str] = ("open", "asked", "held")) -> list[ScheduledPost]:
        wanted = list(states)
        rows = await self.store.reader.fetch(
            _SCHEDULED_SQL + f" WHERE state IN ({','.join('?' * len(wanted))}) ORDER BY due_at, id",
            tuple(wanted),
        )
        return [_scheduled(r) for r in rows]

    async def take_scheduled(
        self, post_id: int, from_states: Iterable[str], to_state: str, result: str | None = None
    ) -> ScheduledPost | None:
        """Move a scheduled post from one of ``from_states`` to ``to_state``; None if it was not in
        one of them (already posted, cancelled, …). What makes a post go out once."""
        wanted = list(from_states)
        finished = self.store.clock.now() if to_state in ("done", "cancelled", "failed") else None

        async def op(db: Database) -> ScheduledPost | None:
            row = await db.fetchrow(
                "UPDATE scheduled_posts SET state = ?, result = COALESCE(?, result),"
                " finished_at = COALESCE(?, finished_at)"
                f" WHERE id = ? AND state IN ({','.join('?' * len(wanted))})"
                f" RETURNING {_SCHEDULED_COLUMNS}",
                (to_state, result, finished, post_id, *wanted),
            )
            return _scheduled(row) if row else None

        taken: ScheduledPost | None = await self.store.write(op)
        return taken


def _announcement(row: Any) -> Announcement:
    return Announcement(
        id=int(row[0]),
        channel=str(row[1]),
        chat_id=int(row[2]),
        message_id=int(row[3]),
        posted_at=float(row[4]),
        posted_by=int(row[5]),
        content_hash=str(row[6]),
        pinned=bool(row[7]),
    )


def _posted(row: Any) -> PostedAnnouncement:
    return PostedAnnouncement(
        id=int(row[0]),
        channel=str(row[1]),
        chat_id=int(row[2]),
        message_id=int(row[3]),
        posted_at=float(row[4]),
        current=bool(row[5]),
        posted_hash=str(row[6]),
        text_hash=row[7],
        markup_hash=row[8],
        synced_at=float(row[9]),
        gone_at=None if row[10] is None else float(row[10]),
        error=row[11],
        error_hash=row[12],
    )


def _scheduled(row: Any) -> ScheduledPost:
    return ScheduledPost(
        id=int(row[0]),
        channel=str(row[1]),
        due_at=float(row[2]),
        created_at=float(row[3]),
        created_by=int(row[4]),
        state=str(row[5]),
        result=row[6],
        finished_at=None if row[7] is None else float(row[7]),
        known_announcement=None if row[8] is None else int(row[8]),
    )


async def erase_operator(db: Database, user_id: int) -> int:
    """``/forget``'s part here, inside the /forget transaction: an operator's id on what they
    posted, moved and scheduled becomes 0, the bot's own (the rows stay: they are the channels')."""
    total = 0
    for sql in (
        "UPDATE announcements SET posted_by = 0 WHERE posted_by = ?",
        "UPDATE moved_state SET moved_by = 0 WHERE moved_by = ?",
        "UPDATE scheduled_posts SET created_by = 0 WHERE created_by = ?",
    ):
        total += await db.execute(sql, (user_id,))
    return total
