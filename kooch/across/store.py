"""The SQL of move codes, confirmed arrivals, the destinations' polling offsets and the mirror
(migration 0017).

Nothing here names a person's account on a destination: a code maps to the Telegram user and
channel, and a used one leaves "arrived on <service> at T" against the Telegram user.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kooch.across.model import MirrorBody, Redeemed, Redemption, new_code
from kooch.store.db import Database
from kooch.store.engine import Store


class AcrossStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def code_for(self, user_id: int, channel: str, service: str, ttl_s: float) -> str:
        """The user's usable code for this channel and service (the same one until it is used or
        expires, so every message shows the same link), else a new one."""
        now = self.store.clock.now()

        async def op(db: Database) -> str:
            found = await db.fetchval(
                "SELECT code FROM move_codes WHERE user_id = ? AND channel = ? AND service = ?"
                " AND used_at IS NULL AND expires_at > ? ORDER BY expires_at DESC LIMIT 1",
                (user_id, channel, service, now + 60.0),
            )
            if found is not None:
                return str(found)
            code = new_code()
            await db.execute(
                "INSERT INTO move_codes (code, user_id, channel, service, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (code, user_id, channel, service, now, now + ttl_s),
            )
            return code

        result: str = await self.store.write(op)
        return result

    async def redeem(self, code: str, service: str, update_id: int) -> Redemption:
        """Use ``code`` at ``service`` (from its bot's update ``update_id``), in one transaction.
        The same update handled again (after a crash) gets the same answer and changes nothing."""
        now = self.store.clock.now()

        async def op(db: Database) -> Redemption:
            row = await db.fetchrow(
                "SELECT user_id, channel, service, expires_at, used_at, used_update,"
                " (SELECT language FROM subscribers WHERE subscribers.user_id = move_codes.user_id),"
                " (SELECT language FROM acks WHERE acks.user_id = move_codes.user_id"
                "  AND acks.channel = move_codes.channel)"
                " FROM move_codes WHERE code = ?",
                (code,),
            )
            if row is None or row[2] != service:
                return Redemption(Redeemed.UNKNOWN)
            user_id, channel = int(row[0]), str(row[1])
            language = row[6] or row[7]
            if row[4] is not None:
                again = row[5] is not None and int(row[5]) == update_id
                return Redemption(Redeemed.ARRIVED if again else Redeemed.USED, channel, language)
            if float(row[3]) <= now:
                return Redemption(Redeemed.EXPIRED, channel, language)
            await db.execute(
                "UPDATE move_codes SET used_at = ?, used_update = ? WHERE code = ?", (now, update_id, code)
            )
            await db.execute(
                "INSERT INTO service_arrivals (channel, service, user_id, arrived_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (channel, service, user_id) DO NOTHING",
                (channel, service, user_id, now),
            )
            return Redemption(Redeemed.ARRIVED, channel, language)

        result: Redemption = await self.store.write(op)
        return result

    async def arrivals(self, channels: Sequence[str]) -> dict[tuple[str, str], int]:
        """People who arrived, by (channel, service)."""
        if not channels:
            return {}
        marks = ", ".join("?" for _ in channels)
        rows = await self.store.reader.fetch(
            f"SELECT channel, service, COUNT(*) FROM service_arrivals WHERE channel IN ({marks})"
            " GROUP BY channel, service",
            tuple(channels),
        )
        return {(str(r[0]), str(r[1])): int(r[2]) for r in rows}

    async def tapped_channel(self, user_id: int) -> str | None:
        """The channel of the user's latest "I've moved" (None: they never tapped)."""
        found = await self.store.reader.fetchval(
            "SELECT channel FROM acks WHERE user_id = ? ORDER BY acked_at DESC LIMIT 1", (user_id,)
        )
        return None if found is None else str(found)

    # ----------------------------------------------------------------------------- polling offsets

    async def offset(self, service: str) -> int:
        value = await self.store.reader.fetchval(
            "SELECT next_offset FROM destination_offsets WHERE service = ?", (service,)
        )
        return int(value or 0)

    async def save_offset(self, service: str, next_offset: int) -> None:
        async def op(db: Database) -> None:
            await db.execute(
                "INSERT INTO destination_offsets (service, next_offset) VALUES (?, ?)"
                " ON CONFLICT (service) DO UPDATE SET next_offset = excluded.next_offset",
                (service, next_offset),
            )

        await self.store.write(op)


async def erase_user(db: Database, user_id: int) -> int:
    """``/forget``'s part here: the user's move codes and arrivals (inside the /forget transaction)."""
    arrived = await db.execute("DELETE FROM service_arrivals WHERE user_id = ?", (user_id,))
    return arrived + await db.execute("DELETE FROM move_codes WHERE user_id = ?", (user_id,))


@dataclass(frozen=True)
class MirrorRow:
    channel: str
    message_id: int
    service: str
    body: MirrorBody
    version: int
    #: The copy on the destination (None: not sent yet, so this is a send; else an edit).
    dest_message_id: int | None


@dataclass(frozen=True)
class MirrorCounts:
    mirrored: int = 0
    pending: int = 0
    failed: int = 0
    last_error: str | None = None


class MirrorStore:
    """The mirror's rows: one per channel post and destination (``mirror_posts``)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def capture(self, channel: str, message_id: int, services: Sequence[str], body: MirrorBody) -> int:
        """A new channel post, to send to each of ``services``; a post already taken is not taken
        again (the same update handled twice). Returns the rows added."""
        now, raw = self.store.clock.now(), body.to_json()

        async def op(db: Database) -> int:
            added = 0
            for service in services:
                added += await db.execute(
                    "INSERT INTO mirror_posts (channel, message_id, service, body, state, created_at)"
                    " VALUES (?, ?, ?, ?, 'pending', ?)"
                    " ON CONFLICT (channel, message_id, service) DO NOTHING",
                    (channel, message_id, service, raw, now),
                )
            return added

        result: int = await self.store.write(op)
        return result

    async def edited(self, channel: str, message_id: int, body: MirrorBody) -> int:
        """An edit of a mirrored post: its new body, to follow on every destination."""

        async def op(db: Database) -> int:
            return await db.execute(
                "UPDATE mirror_posts SET body = ?, version = version + 1,"
                " state = CASE WHEN state = 'failed' THEN 'failed' ELSE 'pending' END"
                " WHERE channel = ? AND message_id = ? AND body <> ?",
                (body.to_json(), channel, message_id, body.to_json()),
            )

        result: int = await self.store.write(op)
        return result

    async def claim(self, service: str) -> MirrorRow | None:
        """The oldest post (or edit) to send to ``service``, marked 'sending' before the call: one
        found 'sending' at a start was cut off by a crash, and is sent again."""

        async def op(db: Database) -> MirrorRow | None:
            row = await db.fetchrow(
                "SELECT channel, message_id, body, version, dest_message_id FROM mirror_posts"
                " WHERE service = ? AND state IN ('pending', 'sending')"
                " ORDER BY created_at, message_id LIMIT 1",
                (service,),
            )
            if row is None:
                return None
            await db.execute(
                "UPDATE mirror_posts SET state = 'sending', attempts = attempts + 1"
                " WHERE channel = ? AND message_id = ? AND service = ?",
                (row[0], row[1], service),
            )
            return MirrorRow(
                str(row[0]),
                int(row[1]),
                service,
                MirrorBody.from_json(str(row[2])),
                int(row[3]),
                None if row[4] is None else int(row[4]),
            )

        result: MirrorRow | None = await self.store.write(op)
        return result

    async def claim_album(self, first: MirrorRow) -> list[MirrorRow]:
        """The items of ``first``'s album not yet sent to its service (``first`` among them),
        every one marked 'sending' in one commit, in the channel's order."""
        group = first.body.media_group_id

        async def op(db: Database) -> list[MirrorRow]:
            rows = await db.fetch(
                "SELECT message_id, body, version FROM mirror_posts WHERE service = ? AND channel = ?"
                " AND state IN ('pending', 'sending') AND dest_message_id IS NULL ORDER BY message_id",
                (first.service, first.channel),
            )
            album = []
            for message_id, raw, version in rows:
                body = MirrorBody.from_json(str(raw))
                if body.media_group_id != group:
                    continue
                await db.execute(
                    "UPDATE mirror_posts SET state = 'sending', attempts = attempts + 1"
                    " WHERE channel = ? AND message_id = ? AND service = ?",
                    (first.channel, message_id, first.service),
                )
                album.append(
                    MirrorRow(first.channel, int(message_id), first.service, body, int(version), None)
                )
            return album

        result: list[MirrorRow] = await self.store.write(op)
        return result

    async def sent(self, row: MirrorRow, dest_message_id: int) -> None:
        """Sent (or edited) as it was at ``row.version``; an edit that came meanwhile is pending."""

        async def op(db: Database) -> None:
            await db.execute(
                "UPDATE mirror_posts SET state = CASE WHEN version = ? THEN 'sent' ELSE 'pending' END,"
                " sent_version = ?, dest_message_id = ?, error = NULL"
                " WHERE channel = ? AND message_id = ? AND service = ?",
                (row.version, row.version, dest_message_id, row.channel, row.message_id, row.service),
            )

        await self.store.write(op)

    async def put_back(self, row: MirrorRow, error: str, *, failed: bool) -> None:
        """Not sent: 'pending' again (tried later) or 'failed' (retrying cannot help), with why."""

        async def op(db: Database) -> None:
            await db.execute(
                "UPDATE mirror_posts SET state = ?, error = ?"
                " WHERE channel = ? AND message_id = ? AND service = ?",
                ("failed" if failed else "pending", error, row.channel, row.message_id, row.service),
            )

        await self.store.write(op)

    async def counts(self, services: Sequence[str]) -> dict[str, MirrorCounts]:
        out = {}
        for service in services:
            rows = await self.store.reader.fetch(
                "SELECT state, COUNT(*) FROM mirror_posts WHERE service = ? GROUP BY state", (service,)
            )
            by = {str(r[0]): int(r[1]) for r in rows}
            error = await self.store.reader.fetchval(
                "SELECT error FROM mirror_posts WHERE service = ? AND error IS NOT NULL"
                " ORDER BY created_at DESC LIMIT 1",
                (service,),
            )
            out[service] = MirrorCounts(
                by.get("sent", 0),
                by.get("pending", 0) + by.get("sending", 0),
                by.get("failed", 0),
                None if error is None else str(error),
            )
        return out
