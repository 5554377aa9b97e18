"""The update intake's spool on both backends (SQLite, PostgreSQL): its SQL reads JSON, which each
says its own way (json_each and json_tree; unnest and a JSON path)."""

from __future__ import annotations

import json

from kooch.store import Store
from kooch.store.inbox import Inbox, erase_user
from tests.kit import committed


def update(update_id: int, sender: int, chat: int | None = None, text: str = "hi") -> str:
    chat_id = sender if chat is None else chat
    return json.dumps(
        {
            "update_id": update_id,
            "message": {"from": {"id": sender}, "chat": {"id": chat_id}, "text": text},
        },
        ensure_ascii=False,
    )


async def test_spooled_updates_load_in_order_with_the_offset(store: Store) -> None:
    inbox = Inbox(store, bot_id=1)
    await inbox.save([(11, update(11, 7)), (10, update(10, 8, text="سلام"))], 12, [])
    await inbox.save([(10, update(10, 8, text="again"))], 12, [])  # fetched twice: spooled once

    offset, bodies = await inbox.load()

    assert offset == 12
    assert [json.loads(b)["update_id"] for b in bodies] == [10, 11]
    assert json.loads(bodies[0])["message"]["text"] == "سلام"
    assert await Inbox(store, bot_id=2).load() == (0, [])  # another bot's spool is apart


async def test_handled_updates_leave_the_spool(store: Store) -> None:
    inbox = Inbox(store, bot_id=1)
    await inbox.save([(1, update(1, 7)), (2, update(2, 7)), (3, update(3, 8))], 4, [])

    await inbox.forget([1, 3])
    assert [json.loads(b)["update_id"] for b in (await inbox.load())[1]] == [2]
    await inbox.save([], 5, [2])  # dropped in the same commit as the next offset
    assert await inbox.load() == (5, [])


async def test_forget_drops_every_update_that_names_the_user_anywhere(store: Store) -> None:
    inbox = Inbox(store, bot_id=1)
    await inbox.save(
        [
            (1, update(1, 7)),  # sent by them
            (2, update(2, 8, chat=7)),  # in their chat
            (3, update(3, 8, text="7")),  # their id as text only: not them
            (4, json.dumps({"update_id": 4, "chat_member": {"new_chat_member": {"user": {"id": 7}}}})),
            (5, update(5, 8)),
        ],
        6,
        [],
    )

    assert await store.write(lambda db: erase_user(db, 7)) == 0  # the spool is not counted

    left = await committed(store, "SELECT update_id FROM inbox ORDER BY update_id")
    assert left == [(3,), (5,)]
