"""All the SQL of reminder campaigns: campaigns, their recipients' delivery states, reminders.

The delivery state machine of one recipient, each step committed before the next one starts:

    pending ──claim──▶ sending ──Telegram answered──▶ sent | failed | unreachable
       ▲                  │
       └──transient error─┘ (retried later)       pending ──left the audience──▶ skipped

A claim is committed *before* the HTTP call, and the outcome of the previous send is committed in
the same transaction as the next claim (:meth:`CampaignStore.claim`), so a sender costs one commit
per message and a row is 'sending' exactly while its HTTP call may be in flight. After a crash,
:meth:`CampaignStore.recover_in_flight` turns those rows back to 'pending' (they are sent again,
and counted in ``campaigns.resent``): no recipient is skipped, and the only possible duplicates are
the sends that were in flight.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kooch.campaigns.model import UNMOVED, Audience, CampaignInfo, ReminderInfo, Tally
from kooch.campaigns.preview import campaign_source
from kooch.store.db import Database
from kooch.store.engine import Store

WriteOp = Callable[[Database], Awaitable[Any]]

_CAMPAIGN_COLUMNS = (
    "id, created_at, created_by, reminder_key, texts, audience, state, started_at, finished_at, total, resent"
)


@dataclass(frozen=True)
class Outcome:
    """How a send ended: ``state`` one of sent, failed, unreachable, skipped, ``error`` the reason if any."""

    user_id: int
    state: str
    error: str | None = None


@dataclass(frozen=True)
class ReminderSpec:
    """A reminder as the config schedules it, ready to be stored."""

    key: str
    due_at: float
    texts: Mapping[str, str]
    audience: Audience


def _audience_sql(audience: Audience) -> tuple[str, list[Any]]:
    """WHERE clause over ``subscribers s`` selecting the audience (never users who blocked)."""
    clauses = ["s.blocked = 0"]
    params: list[Any] = []
    if audience.kind == UNMOVED:
        if audience.channel:
            clauses.append("NOT EXISTS (SELECT 1 FROM acks a WHERE a.user_id = s.user_id AND a.channel = ?)")
            params.append(audience.channel)
        else:
            clauses.append("NOT EXISTS (SELECT 1 FROM acks a WHERE a.user_id = s.user_id)")
    elif audience.channel:
        clauses.append(
            "(s.source = ? OR EXISTS (SELECT 1 FROM acks a WHERE a.user_id = s.user_id AND a.channel = ?))"
        )
        params += [audience.channel, audience.channel]
    if audience.language:
        clauses.append("s.language = ?")
        params.append(audience.language)
    return " AND ".join(clauses), params


def _campaign(row: Any) -> CampaignInfo:
    return CampaignInfo(
        id=int(row[0]),
        created_at=float(row[1]),
        created_by=None if row[2] is None else int(row[2]),
        reminder_key=row[3],
        texts=json.loads(row[4]),
        audience=Audience.from_json(row[5]),
        state=str(row[6]),
        started_at=None if row[7] is None else float(row[7]),
        finished_at=None if row[8] is None else float(row[8]),
        total=int(row[9]),
        resent=int(row[10]),
    )


def _reminder(row: Any) -> ReminderInfo:
    return ReminderInfo(
        key=str(row[0]),
        due_at=float(row[1]),
        texts=json.loads(row[2]),
        audience=Audience.from_json(row[3]),
        state=str(row[4]),
        campaign_id=None if row[5] is None else int(row[5]),
    )


async def _finish(db: Database, campaign_id: int, outcome: Outcome, now: float) -> None:
    await db.execute(
        "UPDATE campaign_recipients SET state = ?, error = ?, updated_at = ?"
        " WHERE campaign_id = ? AND user_id = ? AND state = 'sending'",
        (outcome.state, outcome.error, now, campaign_id, outcome.user_id),
    )
    if outcome.state == "unreachable":
        # Blocked the bot or deleted the account: never in an audience again, unless they /start anew.
        await db.execute("UPDATE subscribers SET blocked = 1 WHERE user_id = ?", (outcome.user_id,))


async def _insert_campaign(
    db: Database,
    texts: Mapping[str, str],
    audience: Audience,
    created_by: int | None,
    reminder_key: str | None,
    now: float,
) -> int:
    new_id = await db.fetchval(
        "INSERT INTO campaigns (created_at, created_by, reminder_key, texts, audience)"
        " VALUES (?, ?, ?, ?, ?) RETURNING id",
        (now, created_by, reminder_key, json.dumps(dict(texts), ensure_ascii=False), audience.to_json()),
    )
    return int(new_id)


class CampaignStore:
    """Campaign queries and writes on Kooch's :class:`Store` (its group commit and reader); the
    times it writes are the store's clock's.

    ``fence`` wraps the sender's writes (a recipient claimed, sent, released, the ones in flight
    recovered): the leader's :meth:`~kooch.store.leader.PgLeader.fenced`, so a replica that lost
    the leadership while paused cannot mark (nor send to) anyone after another took over.
    """

    def __init__(self, store: Store, fence: Callable[[WriteOp], WriteOp] | None = None) -> None:
        self.store = store
        self.fence: Callable[[WriteOp], WriteOp] = fence or (lambda op: op)

    # ----------------------------------------------------------------------------- audience

    async def count_audience(self, audience: Audience) -> int:
        where, params = _audience_sql(audience)
        row = await self.store.reader.fetchrow(f"SELECT COUNT(*) FROM subscribers s WHERE {where}", params)
        return int(row[0]) if row else 0

    async def count_by_language(self, audience: Audience) -> dict[str | None, int]:
        """The audience's size per subscriber language (as stored: None when unknown)."""
        where, params = _audience_sql(audience)
        rows = await self.store.reader.fetch(
            f"SELECT s.language, COUNT(*) FROM subscribers s WHERE {where} GROUP BY s.language", params
        )
        return {None if lang is None else str(lang): int(n) for lang, n in rows}

    async def clicks(self, campaign_ids: Sequence[int]) -> dict[int, int]:
        """Clicks by people on the links of each campaign's reminders (their redirect links'
        source is ``campaign-<id>``; bots and link previews left out). The LIKE repeats the
        partial index's condition (migration 0015), so that the database uses it."""
        if not campaign_ids:
            return {}
        sources = {campaign_source(i): i for i in campaign_ids}
        marks = ",".join("?" * len(sources))
        rows = await self.store.reader.fetch(
            "SELECT source, COUNT(*) FROM clicks"
            f" WHERE source LIKE 'campaign-%' AND source IN ({marks}) AND is_bot = 0 GROUP BY source",
            list(sources),
        )
        return {sources[str(source)]: int(n) for source, n in rows}

    # ----------------------------------------------------------------------------- campaigns

    async def create(
        self,
        texts: Mapping[str, str],
        audience: Audience,
        created_by: int | None,
        reminder_key: str | None = None,
        at: float | None = None,
        progress: tuple[int, int] | None = None,
    ) -> int:
        """A new queued campaign; its recipients are chosen when it starts (:meth:`start`).

        ``progress`` (chat id, message id) is the operator message that will show its progress,
        recorded in the same transaction so the runner never starts it without knowing it."""
        now = self.store.clock.now() if at is None else at

        async def op(db: Database) -> int:
            campaign_id = await _insert_campaign(db, texts, audience, created_by, reminder_key, now)
            if progress is not None:
                await db.execute(
                    "INSERT INTO campaign_progress (campaign_id, chat_id, message_id) VALUES (?, ?, ?)",
                    (campaign_id, *progress),
                )
            return campaign_id

        return int(await self.store.write(op))

    async def start(self, campaign_id: int, at: float | None = None) -> int | None:
        """queued → running, choosing its recipients now; their number, or None if not queued."""
        now = self.store.clock.now() if at is None else at

        async def op(db: Database) -> int | None:
            row = await db.fetchrow(
                "SELECT audience FROM campaigns WHERE id = ? AND state = 'queued'", (campaign_id,)
            )
            if row is None:
                return None
            where, params = _audience_sql(Audience.from_json(row[0]))
            total = await db.execute(
                "INSERT INTO campaign_recipients (campaign_id, user_id, language, updated_at)"
                " SELECT CAST(? AS BIGINT), s.user_id, s.language, CAST(? AS DOUBLE PRECISION)"
                f" FROM subscribers s WHERE {where}",
                [campaign_id, now, *params],
            )
            await db.execute(
                "UPDATE campaigns SET state = 'running', started_at = ?, total = ? WHERE id = ?",
                (now, total, campaign_id),
            )
            return total

        result: int | None = await self.store.write(op)
        return result

    async def set_state(
        self, campaign_id: int, state: str, from_states: Sequence[str], at: float | None = None
    ) -> bool:
        """Move a campaign to ``state`` if it is in one of ``from_states``; True if it moved."""
        now = self.store.clock.now() if at is None else at
        marks = ",".join("?" * len(from_states))
        finished = state in ("done", "cancelled")

        async def op(db: Database) -> bool:
            changed = await db.execute(
                f"UPDATE campaigns SET state = ?, finished_at = CASE WHEN ? = 1 THEN ? ELSE finished_at END"
                f" WHERE id = ? AND state IN ({marks})",
                (state, int(finished), now, campaign_id, *from_states),
            )
            return changed == 1

        return bool(await self.store.write(op))

    async def get(self, campaign_id: int) -> CampaignInfo | None:
        row = await self.store.reader.fetchrow(
            f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE id = ?", (campaign_id,)
        )
        return _campaign(row) if row else None

    async def next_to_run(self) -> CampaignInfo | None:
        """The campaign to work on: one already running (after a restart), else the oldest queued."""
        row = await self.store.reader.fetchrow(
            f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE state IN ('running', 'queued')"
            " ORDER BY state = 'queued', id LIMIT 1"
        )
        return _campaign(row) if row else None

    async def active(self) -> list[CampaignInfo]:
        return [
            _campaign(r)
            for r in await self.store.reader.fetch(
                f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns WHERE state IN ('running', 'queued') ORDER BY id"
            )
        ]

    async def recent(self, limit: int = 10) -> list[CampaignInfo]:
        return [
            _campaign(r)
            for r in await self.store.reader.fetch(
                f"SELECT {_CAMPAIGN_COLUMNS} FROM campaigns ORDER BY id DESC LIMIT ?", (limit,)
            )
        ]

    async def tally(self, campaign_id: int) -> Tally:
        return Tally.of(
            {
                str(state): int(n)
                for state, n in await self.store.reader.fetch(
                    "SELECT state, COUNT(*) FROM campaign_recipients WHERE campaign_id = ? GROUP BY state",
                    (campaign_id,),
                )
            }
        )

    async def failure_reasons(self, campaign_id: int) -> list[tuple[str, int]]:
        return [
            (str(r[0]), int(r[1]))
            for r in await self.store.reader.fetch(
                "SELECT error, COUNT(*) AS n FROM campaign_recipients"
                " WHERE campaign_id = ? AND state = 'failed' GROUP BY error ORDER BY n DESC",
                (campaign_id,),
            )
        ]

    async def recipients(self, campaign_id: int) -> dict[int, str]:
        """user id → delivery state; for tests and exports."""
        return {
            int(r[0]): str(r[1])
            for r in await self.store.reader.fetch(
                "SELECT user_id, state FROM campaign_recipients WHERE campaign_id = ?", (campaign_id,)
            )
        }

    # ----------------------------------------------------------------------------- progress messages

    async def add_progress_message(self, campaign_id: int, chat_id: int, message_id: int) -> None:
        async def op(db: Database) -> None:
            await db.execute(
                "INSERT INTO campaign_progress (campaign_id, chat_id, message_id) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (campaign_id, chat_id, message_id),
            )

        await self.store.write(op)

    async def progress_messages(self, campaign_id: int) -> list[tuple[int, int]]:
        return [
            (int(r[0]), int(r[1]))
            for r in await self.store.reader.fetch(
                "SELECT chat_id, message_id FROM campaign_progress WHERE campaign_id = ?", (campaign_id,)
            )
        ]

    # ----------------------------------------------------------------------------- delivery

    async def pending_batch(
        self, campaign_id: int, after_user_id: int, limit: int
    ) -> list[tuple[int, str | None, int]]:
        """(user id, language, attempts so far) of the next pending recipients, in user id order."""
        return [
            (int(r[0]), r[1], int(r[2]))
            for r in await self.store.reader.fetch(
                "SELECT user_id, language, attempts FROM campaign_recipients"
                " WHERE campaign_id = ? AND state = 'pending' AND user_id > ? ORDER BY user_id LIMIT ?",
                (campaign_id, after_user_id, limit),
            )
        ]

    async def claim(
        self,
        campaign_id: int,
        user_id: int,
        audience: Audience,
        finished: Outcome | None = None,
        at: float | None = None,
    ) -> bool:
        """Commit ``finished`` (the previous send's outcome) and mark ``user_id`` 'sending'.

        True if the recipient is to be sent to now. A recipient who left the audience meanwhile
        (moved, blocked the bot, used /forget) is marked 'skipped' (or is gone) and False returned.
        """
        now = self.store.clock.now() if at is None else at
        where, params = _audience_sql(audience)

        async def op(db: Database) -> bool:
            if finished is not None:
                await _finish(db, campaign_id, finished, now)
            eligible = (
                await db.fetchrow(
                    f"SELECT 1 FROM subscribers s WHERE s.user_id = ? AND {where}", [user_id, *params]
                )
                is not None
            )
            if not eligible:
                await db.execute(
                    "UPDATE campaign_recipients SET state = 'skipped', error = 'left the audience',"
                    " updated_at = ? WHERE campaign_id = ? AND user_id = ? AND state = 'pending'",
                    (now, campaign_id, user_id),
                )
                return False
            changed = await db.execute(
                "UPDATE campaign_recipients SET state = 'sending', attempts = attempts + 1, updated_at = ?"
                " WHERE campaign_id = ? AND user_id = ? AND state = 'pending'",
                (now, campaign_id, user_id),
            )
            return changed == 1

        return bool(await self.store.write(self.fence(op)))

    async def finish(self, campaign_id: int, outcome: Outcome, at: float | None = None) -> None:
        now = self.store.clock.now() if at is None else at

        async def op(db: Database) -> None:
            await _finish(db, campaign_id, outcome, now)

        await self.store.write(self.fence(op))

    async def release(
        self,
        campaign_id: int,
        user_id: int,
        error: str,
        *,
        undo_attempt: bool = False,
        at: float | None = None,
    ) -> int:
        """'sending' → 'pending': after a transient error (to retry later), or with
        ``undo_attempt`` when the campaign stopped before the send began. Returns the attempts."""
        now = self.store.clock.now() if at is None else at

        async def op(db: Database) -> int:
            row = await db.fetchrow(
                "UPDATE campaign_recipients SET state = 'pending', error = ?, updated_at = ?,"
                " attempts = attempts - ? WHERE campaign_id = ? AND user_id = ? AND state = 'sending'"
                " RETURNING attempts",
                (error, now, int(undo_attempt), campaign_id, user_id),
            )
            return int(row[0]) if row else 0

        return int(await self.store.write(self.fence(op)))

    async def recover_in_flight(self) -> dict[int, int]:
        """At start-up: sends left 'sending' by a crash go back to 'pending' (they will be sent
        again); counted per campaign in ``campaigns.resent``. Returns {campaign id: count}."""

        async def op(db: Database) -> dict[int, int]:
            found = {
                int(r[0]): int(r[1])
                for r in await db.fetch(
                    "SELECT campaign_id, COUNT(*) FROM campaign_recipients WHERE state = 'sending'"
                    " GROUP BY campaign_id"
                )
            }
            for campaign_id, n in found.items():
                await db.execute(
                    "UPDATE campaign_recipients SET state = 'pending',"
                    " error = 'in flight at an abrupt stop: sent again'"
                    " WHERE campaign_id = ? AND state = 'sending'",
                    (campaign_id,),
                )
                await db.execute("UPDATE campaigns SET resent = resent + ? WHERE id = ?", (n, campaign_id))
            return found

        result: dict[int, int] = await self.store.write(self.fence(op))
        return result

    # ----------------------------------------------------------------------------- reminders

    async def sync_reminders(self, specs: Iterable[ReminderSpec], at: float | None = None) -> None:
        """Make the table follow the config: new reminders are scheduled, a scheduled one's text
        follows the config, one no longer in the config is 'removed'. Cancelled, missed and started
        reminders keep their state: a restart or a config edit never re-sends or revives them."""
        now = self.store.clock.now() if at is None else at
        rows = [
            (s.key, s.due_at, json.dumps(dict(s.texts), ensure_ascii=False), s.audience.to_json(), now)
            for s in specs
        ]

        async def op(db: Database) -> None:
            for row in rows:
                await db.execute(
                    "INSERT INTO reminders (key, due_at, texts, audience, updated_at) VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (key) DO UPDATE SET texts = excluded.texts,"
                    " updated_at = excluded.updated_at, state = CASE WHEN reminders.state = 'removed'"
                    " THEN 'scheduled' ELSE reminders.state END"
                    " WHERE reminders.state IN ('scheduled', 'missed', 'removed')",
                    row,
                )
            keys = [r[0] for r in rows]
            # PostgreSQL has no empty list: with no reminder in the config, every one is removed.
            kept = f" AND key NOT IN ({','.join('?' * len(keys))})" if keys else ""
            await db.execute(
                "UPDATE reminders SET state = 'removed', updated_at = ?"
                f" WHERE state IN ('scheduled', 'missed'){kept}",
                (now, *keys),
            )

        await self.store.write(op)

    async def reminders(self, states: Sequence[str] | None = None) -> list[ReminderInfo]:
        sql = "SELECT key, due_at, texts, audience, state, campaign_id FROM reminders"
        params: list[Any] = []
        if states is not None:
            sql += f" WHERE state IN ({','.join('?' * len(states))})"
            params = list(states)
        return [_reminder(r) for r in await self.store.reader.fetch(sql + " ORDER BY due_at", params)]

    async def set_reminder_state(
        self, key: str, state: str, from_states: Sequence[str], at: float | None = None
    ) -> bool:
        now = self.store.clock.now() if at is None else at
        marks = ",".join("?" * len(from_states))

        async def op(db: Database) -> bool:
            changed = await db.execute(
                f"UPDATE reminders SET state = ?, updated_at = ? WHERE key = ? AND state IN ({marks})",
                (state, now, key, *from_states),
            )
            return changed == 1

        return bool(await self.store.write(op))

    async def start_reminder(
        self, key: str, from_states: Sequence[str], at: float | None = None
    ) -> int | None:
        """Turn a reminder into a queued campaign, once: the campaign id, or None if already taken."""
        now = self.store.clock.now() if at is None else at
        marks = ",".join("?" * len(from_states))

        async def op(db: Database) -> int | None:
            row = await db.fetchrow(
                f"SELECT texts, audience FROM reminders WHERE key = ? AND state IN ({marks})",
                (key, *from_states),
            )
            if row is None:
                return None
            campaign_id = await _insert_campaign(
                db, json.loads(row[0]), Audience.from_json(row[1]), None, key, now
            )
            await db.execute(
                "UPDATE reminders SET state = 'started', campaign_id = ?, updated_at = ? WHERE key = ?",
                (campaign_id, now, key),
            )
            return campaign_id

        result: int | None = await self.store.write(op)
        return result


async def erase_user(db: Database, user_id: int) -> int:
    """``/forget``'s part here, inside the /forget transaction: the user's delivery rows (a campaign
    under way then never sends to them), the progress messages in their chat (an operator's), and
    their name on the campaigns they started (then like a scheduled reminder's: nobody's)."""
    total = 0
    for sql in (
        "DELETE FROM campaign_recipients WHERE user_id = ?",
        "DELETE FROM campaign_progress WHERE chat_id = ?",
        "UPDATE campaigns SET created_by = NULL WHERE created_by = ?",
    ):
        total += await db.execute(sql, (user_id,))
    return total
