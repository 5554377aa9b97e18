"""SQL of the update intake's spool (migration 0006): updates fetched but not yet handled.

A thin class over :class:`~kooch.store.engine.Store`: writes go through its group commit, so the
spooling of a batch shares its fsync with the taps committed at the same moment.

The spool holds whole updates (ids, names, texts) for as long as they are being handled. Deleted
rows are overwritten (the store runs with ``secure_delete``), and whenever the spool has emptied
the WAL is truncated too (at most once per :data:`CHECKPOINT_EVERY_S`), so what a person sent does
not linger on disk after it was handled; ``/forget`` drops that person's spooled updates at once.
On PostgreSQL the deleted rows wait for VACUUM instead (README, Privacy).

The spool's SQL reads JSON, which each database says its own way: both versions are here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from kooch.store.db import Database
from kooch.store.engine import Store

#: Least seconds between two WAL truncations asked for by an emptied spool: a flood empties and
#: refills it many times a second, and each truncation costs a copy of the WAL into the database.
CHECKPOINT_EVERY_S = 60.0


class Inbox:
    """The spool of one bot (update ids are per bot, so a new token never replays another's)."""

    def __init__(self, store: Store, bot_id: int) -> None:
        self.store = store
        self.bot_id = bot_id
        self._checkpointed_at: float | None = None

    async def load(self) -> tuple[int, list[str]]:
        """The saved next getUpdates offset (0: none) and the spooled updates' JSON, oldest first."""
        reader = self.store.reader
        offset = await reader.fetchval(
            "SELECT next_offset FROM intake_offsets WHERE bot_id = ?", (self.bot_id,)
        )
        rows = await reader.fetch(
            "SELECT body FROM inbox WHERE bot_id = ? ORDER BY update_id", (self.bot_id,)
        )
        return int(offset or 0), [str(r[0]) for r in rows]

    async def save(self, rows: Sequence[tuple[int, str]], next_offset: int, forget: Sequence[int]) -> None:
        """Spool ``rows`` (update id, JSON), remember ``next_offset`` and drop ``forget``, in one
        commit; returns once it is committed."""
        bot_id, at = self.bot_id, self.store.clock.now()
        spooled = json.dumps([[update_id, body] for update_id, body in rows], ensure_ascii=False)

        async def op(db: Database) -> None:
            if db.dialect == "postgresql":
                await db.execute(
                    "INSERT INTO inbox (bot_id, update_id, body, spooled_at)"
                    " SELECT ?, u, b, ? FROM unnest(?::bigint[], ?::text[]) AS r (u, b)"
                    " ON CONFLICT DO NOTHING",
                    (bot_id, at, [r[0] for r in rows], [r[1] for r in rows]),
                )
            else:
                await db.execute(
                    "INSERT INTO inbox (bot_id, update_id, body, spooled_at)"
                    " SELECT ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?"
                    " FROM json_each(?) WHERE true ON CONFLICT DO NOTHING",
                    (bot_id, at, spooled),
                )
            await db.execute(
                "INSERT INTO intake_offsets (bot_id, next_offset) VALUES (?, ?)"
                " ON CONFLICT (bot_id) DO UPDATE SET next_offset = excluded.next_offset",
                (bot_id, next_offset),
            )
            await _delete(db, bot_id, forget)

        await self.store.write(op)

    async def keep(self, rows: Sequence[tuple[int, str]]) -> None:
        """Spool ``rows`` (update id, JSON) without touching the polling offset (webhook mode: an
        update too slow for its response); returns once committed."""
        bot_id, at = self.bot_id, self.store.clock.now()

        async def op(db: Database) -> None:
            await db.executemany(
                "INSERT INTO inbox (bot_id, update_id, body, spooled_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                [(bot_id, update_id, body, at) for update_id, body in rows],
            )

        await self.store.write(op)

    async def forget(self, update_ids: Sequence[int]) -> None:
        """Drop handled updates from the spool; truncate the WAL if that emptied it."""
        bot_id = self.bot_id

        async def op(db: Database) -> bool:
            await _delete(db, bot_id, update_ids)
            return await db.fetchrow("SELECT 1 FROM inbox LIMIT 1") is None

        emptied = await self.store.write(op)
        now = self.store.clock.monotonic()
        due = self._checkpointed_at is None or now - self._checkpointed_at >= CHECKPOINT_EVERY_S
        if emptied and due:
            self._checkpointed_at = now
            await self.store.checkpoint()


async def _delete(db: Database, bot_id: int, update_ids: Sequence[int]) -> None:
    if update_ids and db.dialect == "postgresql":
        await db.execute(
            "DELETE FROM inbox WHERE bot_id = ? AND update_id = ANY(?::bigint[])", (bot_id, list(update_ids))
        )
    elif update_ids:
        await db.execute(
            "DELETE FROM inbox WHERE bot_id = ? AND update_id IN (SELECT value FROM json_each(?))",
            (bot_id, json.dumps(list(update_ids))),
        )


async def erase_user(db: Database, user_id: int) -> int:
    """``/forget``'s part here: spooled updates that name the user anywhere (as sender, chat or
    member), the /forget message itself among them. Runs inside the /forget transaction."""
    if db.dialect == "postgresql":
        # Every "id" key at any depth whose value is this number (strict: not the string).
        await db.execute(
            "DELETE FROM inbox WHERE jsonb_path_exists(body::jsonb, 'strict $.**.id ? (@ == $uid)',"
            " jsonb_build_object('uid', ?::bigint))",
            (user_id,),
        )
        return 0
    await db.execute(
        "DELETE FROM inbox WHERE EXISTS"
        " (SELECT 1 FROM json_tree(inbox.body) WHERE key = 'id' AND type = 'integer' AND atom = ?)",
        (user_id,),
    )
    # Not counted: the spool always holds this very /forget, which is no data of theirs that Kooch
    # kept, and "all your data was deleted" must not answer someone who had none.
    return 0
