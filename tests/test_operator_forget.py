"""An operator's /forget end to end (issue 23), with two operators in two languages (a Persian
requester, an English approver, ``approval: 2``): it asks first, Cancel changes nothing; confirmed,
the other operator is told by name (never the id), the audit keeps every row under one pseudonym
(never the id nor the name), the request waiting for approval is cancelled, and the ids given
after it are new ones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.clock import ManualClock
from kooch.i18n import strip_controls
from kooch.operators.approval.wording import STALE
from kooch.operators.audit import AuditLog
from kooch.operators.forget.service import KIND, Taken, take
from kooch.operators.pending import PendingActions
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from kooch.store import Store
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import (
    OPERATOR_ID,
    ask_announce,
    base_config,
    callback_of,
    eventually,
    press,
    query,
    running_bot,
    say,
    write_config,
)

SECOND_ID = 4343
#: The Persian operator's Telegram name: what the other operator is told, and nowhere stored.
NAME = "مریم"
LAST_NAME = "Karimi"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def maryam(sim: BotAPISimulator) -> SimUser:
    return sim.add_user(NAME, "fa", last_name=LAST_NAME, user_id=OPERATOR_ID)


@pytest.fixture
def second(sim: BotAPISimulator) -> SimUser:
    return sim.add_user("Second", "en", user_id=SECOND_ID)


@pytest.fixture
async def two_operators(
    sim: BotAPISimulator,
    maryam: SimUser,
    second: SimUser,
    channel: SimChat,
    tmp_path: Path,
    clock: ManualClock,
) -> AsyncIterator[App]:
    config = base_config(tmp_path)
    config["operators"] = [{"id": OPERATOR_ID, "language": "fa"}, {"id": SECOND_ID, "language": "en"}]
    config["approval"] = 2
    async with running_bot(
        write_config(tmp_path / "config.yaml", config), sim.token, sim.url, poll_timeout=1, clock=clock
    ) as app:
        for user in (maryam, second):
            await say(sim, user, "/help")  # a bot writes only to who started it
        yield app


def db_of(tmp_path: Path) -> Path:
    return tmp_path / "kooch.db"


async def request_announce(sim: BotAPISimulator, requester: SimUser, approver: SimUser) -> SimMessage:
    """``requester`` asks to post and confirms; returns the request ``approver`` got."""
    before = max((m.message_id for m in sim.messages(approver.id)), default=0)
    question = await ask_announce(sim, requester)
    await press(sim, requester, requester.id, question, callback_of(question, "announce:confirm:"))
    return await sim.wait_for_message(
        approver.id,
        lambda m: any(d.startswith("approval:approve:") for _, d in m.callback_buttons()),
        after=before,
    )


def request_id(request: SimMessage) -> int:
    return int(callback_of(request, "approval:approve:").rsplit(":", 1)[1])


async def ask_forget(sim: BotAPISimulator, operator: SimUser) -> SimMessage:
    sent = await sim.send_text(operator, "/forget")
    return await sim.wait_for_message(
        operator.id,
        lambda m: any(d.startswith("forget:confirm:") for _, d in m.callback_buttons()),
        after=sent.message_id,
    )


async def edited(sim: BotAPISimulator, chat_id: int, message: SimMessage) -> SimMessage:
    return await sim.wait_for_message(
        chat_id, lambda m: m.message_id == message.message_id and not m.callback_buttons()
    )


async def test_an_operators_forget_asks_keeps_the_audit_under_a_pseudonym_and_tells_the_others(
    sim: BotAPISimulator, maryam: SimUser, second: SimUser, two_operators: App, tmp_path: Path
) -> None:
    db = db_of(tmp_path)
    request = await request_announce(sim, maryam, second)
    waiting = request_id(request)
    # The announce question and its confirm (a button's audit row follows its answer).
    store = services_of(two_operators).store
    await eventually(
        lambda: query(db, "SELECT COUNT(*) FROM audit WHERE operator_id = ?", (OPERATOR_ID,)) == [(2,)],
        "the request audited",
        on=store,
    )
    acted = 2

    # Asked first, in Persian, with the request it would cancel; Cancel keeps everything.
    question = await ask_forget(sim, maryam)
    assert question.text is not None
    assert_reads_right([question.text])
    assert plain(question.text).startswith("⚠️ داده‌هایتان پاک شود؟ شما گرداننده‌اید، پس:")
    assert f"#{waiting}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) in plain(question.text)
    assert [label for label, _ in question.callback_buttons()] == ["🗑 فراموشم کن", "لغو"]
    toast = await press(sim, maryam, maryam.id, question, callback_of(question, "forget:cancel:"))
    assert toast.text == "لغو شد."
    kept = await edited(sim, maryam.id, question)
    assert plain(kept.text) == "چیزی پاک نشد؛ همه‌چیز سر جایش است."
    assert query(db, "SELECT state FROM pending_actions WHERE id = ?", (waiting,)) == [("open",)]
    await eventually(
        lambda: query(db, "SELECT COUNT(*) FROM audit WHERE operator_id = ?", (OPERATOR_ID,))[0][0] > acted,
        "the cancel audited under their id",
        on=store,
    )
    assert not [m for m in sim.messages(second.id) if "asked Kooch to forget" in plain(m.text or "")]

    # Confirmed: done, told to the other operator by name, in English.
    names = services_of(two_operators).operator_languages
    assert names.name(OPERATOR_ID) == f"{NAME} {LAST_NAME}"  # kept in memory for /campaigns, /reload
    question = await ask_forget(sim, maryam)
    await press(sim, maryam, maryam.id, question, callback_of(question, "forget:confirm:"))
    done = await edited(sim, maryam.id, question)
    assert names.name(OPERATOR_ID) is None  # the name kept in memory went with the rest
    assert plain(done.text or "").startswith("🗑 انجام شد: آنچه ربات از شما نگه می‌داشت پاک شد")
    told = await sim.wait_for_message(second.id, lambda m: "asked Kooch to forget" in plain(m.text or ""))
    assert told.text is not None
    assert plain(told.text) == (
        f"ℹ️ {NAME} {LAST_NAME} asked Kooch to forget them. Their actions stay in /audit, under a code "
        "instead of their id.\n"
        f"Their requests waiting for approval were cancelled: #{waiting} (/announce).\n"
        "If they have left, remove them from operators in the config."
    )
    assert_reads_right([told.text])
    assert str(OPERATOR_ID) not in told.text

    # The audit: every row of theirs kept, under one pseudonym; their id and name nowhere.
    assert query(db, "SELECT COUNT(*) FROM audit WHERE operator_id = ?", (OPERATOR_ID,)) == [(0,)]
    codes = query(db, "SELECT DISTINCT pseudonym FROM audit WHERE pseudonym LIKE 'operator:%'")
    assert len(codes) == 1
    [(code,)] = codes
    [(kept_rows,)] = query(db, "SELECT COUNT(*) FROM audit WHERE pseudonym = ?", (code,))
    assert kept_rows >= acted + 3  # with the two questions, the cancel, and the forget itself
    assert query(db, "SELECT COUNT(*) FROM pending_actions WHERE operator_id = ?", (OPERATOR_ID,)) == [(0,)]
    sent = await sim.send_text(second, "/audit 200")
    listing = await sim.wait_for_message(second.id, after=sent.message_id)
    text = plain(listing.text or "")
    short = code.removeprefix("operator:")
    assert f"former operator {short} · forget · /forget → forgotten" in text
    assert text.count(f"former operator {short}") == kept_rows
    assert str(OPERATOR_ID) not in text and NAME not in text and LAST_NAME not in text

    # Their request cannot be approved any more; the next request gets a new number.
    answer = await press(sim, second, second.id, request, callback_of(request, "approval:approve:"))
    assert answer.text == STALE
    [(highest,)] = query(db, "SELECT MAX(seq) FROM sqlite_sequence WHERE name = 'pending_actions'")
    fresh = await request_announce(sim, second, maryam)  # still in the config: still an operator
    assert request_id(fresh) > highest >= waiting


async def test_the_forget_buttons_are_the_operators_own_and_expire(store: Store) -> None:
    """A button's data can be forged: nobody confirms or cancels another's forget; an hour-old
    question is asked again."""
    pending = PendingActions(store)
    question = await pending.create(KIND, OPERATOR_ID, {}, at=1000.0)

    assert await take(pending, question, SECOND_ID, "done", not_before=0.0) is Taken.STALE
    assert await take(pending, question, OPERATOR_ID, "done", not_before=1001.0) is Taken.EXPIRED
    assert await take(pending, question, OPERATOR_ID, "done", not_before=0.0) is Taken.STALE
    again = await pending.create(KIND, OPERATOR_ID, {}, at=2000.0)
    assert await take(pending, again, OPERATOR_ID, "done", not_before=1000.0) is Taken.DONE
    assert await take(pending, again, OPERATOR_ID, "done", not_before=1000.0) is Taken.STALE


async def test_an_operators_privacy_says_what_their_forget_keeps(
    sim: BotAPISimulator, maryam: SimUser, second: SimUser, two_operators: App
) -> None:
    operator_reply = await say(sim, maryam, "/privacy")
    assert "شما گرداننده‌اید: پس از /forget" in plain(operator_reply.text or "")
    subscriber = sim.add_user("Reza", "fa")
    subscriber_reply = await say(sim, subscriber, "/privacy")
    assert "گرداننده‌اید" not in plain(subscriber_reply.text or "")


async def test_a_subscribers_forget_asks_nothing(
    sim: BotAPISimulator, two_operators: App, tmp_path: Path
) -> None:
    subscriber = sim.add_user("Reza", "fa")
    await say(sim, subscriber, "/start")

    reply = await say(sim, subscriber, "/forget")

    assert reply.callback_buttons() == []
    assert strip_controls(reply.text or "") == "همهٔ داده‌های شما پاک شد."
    audit = await AuditLog(services_of(two_operators).store).recent(200)
    assert not [e for e in audit if e.former_operator]
