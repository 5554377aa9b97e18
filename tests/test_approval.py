"""Four-eyes approval (``approval: 2``) end to end, with two operators: the request goes to the
other one with the preview; approved it is done, refused or expired it is not; the requester
cannot approve their own, nor can someone who is not an operator; every step is audited. With
``approval: 1`` (the default) a second operator sees nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.clock import ManualClock
from kooch.handlers.approval import EXPIRY_JOB
from kooch.handlers.guards import CONFIRM_TTL_S
from kooch.operators.approval.service import Decision, decide, expire_requests, open_request
from kooch.operators.approval.wording import EXPIRED, OWN, STALE
from kooch.operators.pending import PendingActions
from kooch.operators.wording import REFUSAL
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from kooch.store import Store
from tests.bidi_kit import plain
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
from tests.test_announce import audit_actions

SECOND_ID = 4343


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def second(sim: BotAPISimulator) -> SimUser:
    return sim.add_user("Second", "en", user_id=SECOND_ID)


def two_operators(tmp_path: Path, approval: int) -> Path:
    config = base_config(tmp_path)
    config["operators"] = [OPERATOR_ID, SECOND_ID]
    config["approval"] = approval
    return write_config(tmp_path / "config.yaml", config)


@pytest.fixture
async def four_eyes(
    sim: BotAPISimulator,
    operator: SimUser,
    second: SimUser,
    channel: SimChat,
    tmp_path: Path,
    clock: ManualClock,
) -> AsyncIterator[App]:
    async with running_bot(
        two_operators(tmp_path, 2), sim.token, sim.url, poll_timeout=1, clock=clock
    ) as app:
        await say(sim, second, "/help")  # a bot writes only to who started it
        yield app


async def audited(app: App, path: Path, *rows: tuple[str, str]) -> list[tuple[str, str]]:
    """The audit once it holds ``rows`` (each as often as given): a button's answer goes out
    before its audit row is written, so it is read again at each of the bot's commits."""
    return await eventually(
        lambda: audit_actions(path),
        f"audited: {rows}",
        until=lambda actions: all(actions.count(row) >= rows.count(row) for row in rows),
        on=services_of(app).store,
    )


def has_button(prefix: str) -> Callable[[SimMessage], bool]:
    return lambda m: any(d.startswith(prefix) for _, d in m.callback_buttons())


async def request_announce(sim: BotAPISimulator, operator: SimUser, second: SimUser) -> SimMessage:
    """The first operator asks and confirms; returns the request the second operator got."""
    question = await ask_announce(sim, operator)
    answer = await press(sim, operator, operator.id, question, callback_of(question, "announce:confirm:"))
    assert answer.text == "Sent for approval."
    waiting = await sim.wait_for_message(
        operator.id, lambda m: m.message_id == question.message_id and not m.callback_buttons()
    )
    assert waiting.text is not None
    assert plain(waiting.text).startswith(
        "🔐 Request #2 sent to 1 other operator: it is done once they approve"
    )
    return await sim.wait_for_message(second.id, has_button("approval:approve:"))


async def test_the_second_operator_approves_and_the_announcement_is_posted(
    sim: BotAPISimulator, operator: SimUser, second: SimUser, channel: SimChat, four_eyes: App, tmp_path: Path
) -> None:
    request = await request_announce(sim, operator, second)
    assert request.text is not None
    assert plain(request.text).startswith(
        "🔐 Approval needed (#2): Operator asks to post the announcement (demo)."
    )
    assert [t for t, _ in request.callback_buttons()] == ["✅ Approve", "✖️ Refuse"]
    # The preview came first: the post exactly as it will be, its moved button recording nothing.
    preview = sim.messages(second.id)[-2]
    assert plain(preview.callback_buttons()) == plain([("✅ کوچ کردم", "preview:ack")])
    assert sim.messages(channel.id) == []  # one operator's thumb posts nothing

    approve = callback_of(request, "approval:approve:")
    answer = await press(sim, second, second.id, request, approve)
    assert answer.text == "Approved: working…"
    done = await sim.wait_for_message(
        second.id, lambda m: m.message_id == request.message_id and not m.callback_buttons()
    )
    assert plain(done.text) == plain(
        "✅ You approved request #2:\n✅ @kooch_demo: posted (message 1), pinned"
    )
    told = await sim.wait_for_message(operator.id, lambda m: plain(m.text or "").startswith("✅ Request #2"))
    assert plain(told.text) == (
        plain(
            "✅ Request #2 (post the announcement (demo)) was approved by Second:\n"
            "✅ @kooch_demo: posted (message 1), pinned"
        )
    )
    assert len(sim.messages(channel.id)) == 1
    await audited(
        four_eyes,
        tmp_path / "kooch.db",
        ("announce:confirm", "announce requested #2 n=1"),
        ("approval:approve", "announce approved #2 demo:pinned ids 1"),
    )
    # A second approval (the button pressed again) does nothing more.
    late = await sim.wait_for_answer(sim.forge_callback_query(second, done, approve))
    assert late.text == STALE
    assert len(sim.messages(channel.id)) == 1


async def test_the_requester_cannot_approve_their_own_request(
    sim: BotAPISimulator, operator: SimUser, second: SimUser, channel: SimChat, four_eyes: App, tmp_path: Path
) -> None:
    request = await request_announce(sim, operator, second)
    approve = callback_of(request, "approval:approve:")
    for _ in range(2):  # twice: still no
        own = await sim.wait_for_answer(sim.forge_callback_query(operator, request, approve))
        assert own.text == OWN
    assert sim.messages(channel.id) == []
    row = ("approval:approve", "announce own #2")
    actions = await audited(four_eyes, tmp_path / "kooch.db", row, row)
    own_rows = [a for a in actions if a[0] == "approval:approve"]
    assert own_rows == [("approval:approve", "announce own #2")] * 2
    # Still open for the other operator.
    answer = await press(sim, second, second.id, request, approve)
    assert answer.text == "Approved: working…"
    await sim.wait_until(lambda: len(sim.messages(channel.id)) == 1, what="the post")


async def test_someone_who_is_not_an_operator_is_refused(
    sim: BotAPISimulator, operator: SimUser, second: SimUser, channel: SimChat, four_eyes: App, tmp_path: Path
) -> None:
    request = await request_announce(sim, operator, second)
    stranger = sim.add_user("Stranger", "en")
    answer = await sim.wait_for_answer(
        sim.forge_callback_query(stranger, request, callback_of(request, "approval:approve:"))
    )
    assert answer.text == REFUSAL
    assert sim.messages(channel.id) == []
    # The stranger's tap closed nothing: the second operator still decides.
    answer = await press(sim, second, second.id, request, callback_of(request, "approval:refuse:"))
    assert answer.text == "Refused."
    told = await sim.wait_for_message(operator.id, lambda m: plain(m.text or "").startswith("✖️ Request #2"))
    assert plain(told.text) == (
        "✖️ Request #2 (post the announcement (demo)) was refused by Second: nothing was done."
    )
    assert sim.messages(channel.id) == []
    await audited(
        four_eyes,
        tmp_path / "kooch.db",
        ("approval:approve", "refused: not an operator"),
        ("approval:refuse", "announce refused #2"),
    )


async def test_a_request_expires_after_the_confirmation_ttl(
    sim: BotAPISimulator,
    operator: SimUser,
    second: SimUser,
    channel: SimChat,
    four_eyes: App,
    tmp_path: Path,
    clock: ManualClock,
) -> None:
    request = await request_announce(sim, operator, second)
    clock.advance(CONFIRM_TTL_S + 1)
    answer = await press(sim, second, second.id, request, callback_of(request, "approval:approve:"))
    assert answer.text == EXPIRED
    told = await sim.wait_for_message(operator.id, lambda m: plain(m.text or "").startswith("⌛ Request #2"))
    assert plain(told.text) == (
        "⌛ Request #2 (post the announcement (demo)) expired without a second operator's approval."
    )
    assert sim.messages(channel.id) == []
    await audited(
        four_eyes,
        tmp_path / "kooch.db",
        ("approval:approve", "announce expired #2"),
    )
    again = await sim.wait_for_answer(
        sim.forge_callback_query(second, request, callback_of(request, "approval:approve:"))
    )
    assert again.text == STALE


async def test_a_request_nobody_decides_is_expired_by_the_sweep_and_audited(
    sim: BotAPISimulator,
    operator: SimUser,
    second: SimUser,
    channel: SimChat,
    four_eyes: App,
    tmp_path: Path,
    clock: ManualClock,
) -> None:
    request = await request_announce(sim, operator, second)
    approve = callback_of(request, "approval:approve:")
    assert four_eyes.job_queue is not None
    (job,) = four_eyes.job_queue.get_jobs_by_name(EXPIRY_JOB)
    await job.run(four_eyes)  # within the TTL: nothing expires
    clock.advance(CONFIRM_TTL_S + 1)
    await job.run(four_eyes)
    told = await sim.wait_for_message(operator.id, lambda m: plain(m.text or "").startswith("⌛ Request #2"))
    assert plain(told.text) == (
        "⌛ Request #2 (post the announcement (demo)) expired without a second operator's approval."
    )
    await job.run(four_eyes)  # once
    await audited(
        four_eyes,
        tmp_path / "kooch.db",
        ("approval:expired", "announce expired #2"),
    )
    expired = [a for a in await audit_actions(tmp_path / "kooch.db") if a[0] == "approval:expired"]
    assert len(expired) == 1
    late = await sim.wait_for_answer(sim.forge_callback_query(second, request, approve))
    assert late.text == STALE
    assert sim.messages(channel.id) == []


async def test_moved_needs_the_second_operator_too(
    sim: BotAPISimulator, operator: SimUser, second: SimUser, channel: SimChat, four_eyes: App
) -> None:
    sent = await sim.send_text(operator, "/moved")
    question = await sim.wait_for_message(operator.id, has_button("moved:confirm:"), after=sent.message_id)
    answer = await press(sim, operator, operator.id, question, callback_of(question, "moved:confirm:"))
    assert answer.text == "Sent for approval."
    request = await sim.wait_for_message(second.id, has_button("approval:approve:"))
    assert request.text is not None
    assert "asks to change the channels (/moved) (demo)." in plain(request.text)
    assert "Put all channels (@kooch_demo) into the moved state?" in plain(request.text)
    assert channel.title == "Kooch demo"
    await press(sim, second, second.id, request, callback_of(request, "approval:approve:"))
    await sim.wait_until(lambda: channel.title == "Kooch demo | کوچ کرد", what="the moved title")


async def test_with_approval_1_one_operator_posts_and_the_other_sees_nothing(
    sim: BotAPISimulator, operator: SimUser, second: SimUser, channel: SimChat, tmp_path: Path
) -> None:
    async with running_bot(two_operators(tmp_path, 1), sim.token, sim.url, poll_timeout=1):
        await say(sim, second, "/help")
        seen_by_second = len(sim.messages(second.id))
        question = await ask_announce(sim, operator)
        answer = await press(sim, operator, operator.id, question, callback_of(question, "announce:confirm:"))
        assert answer.text == "Posting…"
        await sim.wait_until(lambda: len(sim.messages(channel.id)) == 1, what="the post")
    assert len(sim.messages(second.id)) == seen_by_second


async def test_an_undecided_request_is_swept_as_expired_once(tmp_path: Path) -> None:
    clock = ManualClock()
    store = await Store.open(tmp_path / "k.db", clock=clock)
    try:
        pending = PendingActions(store)
        request_id = await open_request(pending, "announce", OPERATOR_ID, {"channels": ["demo"]})
        assert await expire_requests(pending, clock.now(), CONFIRM_TTL_S) == []  # not yet
        clock.advance(CONFIRM_TTL_S + 1)
        (expired,) = await expire_requests(pending, clock.now(), CONFIRM_TTL_S)
        assert (expired.id, expired.action, expired.requester) == (request_id, "announce", OPERATOR_ID)
        assert await expire_requests(pending, clock.now(), CONFIRM_TTL_S) == []  # once
        decision, _ = await decide(
            pending, request_id, SECOND_ID, approve=True, now=clock.now(), ttl=CONFIRM_TTL_S
        )
        assert decision is Decision.STALE
    finally:
        await store.close()


async def test_a_scheduled_announcement_needs_the_second_operator_too(
    sim: BotAPISimulator, operator: SimUser, second: SimUser, channel: SimChat, four_eyes: App, tmp_path: Path
) -> None:
    # Scheduling is posting later: without this, "/announce in 1m" would post on one thumb.
    sent = await sim.send_text(operator, "/announce in 2h")
    question = await sim.wait_for_message(operator.id, has_button("schedule:confirm:"), after=sent.message_id)
    answer = await press(sim, operator, operator.id, question, callback_of(question, "schedule:confirm:"))
    assert answer.text == "Sent for approval."
    request = await sim.wait_for_message(second.id, has_button("approval:approve:"))
    assert request.text is not None and "asks to schedule the announcement (demo)." in plain(request.text)
    assert query(tmp_path / "kooch.db", "SELECT COUNT(*) FROM scheduled_posts") == [(0,)]
    await press(sim, second, second.id, request, callback_of(request, "approval:approve:"))
    done = await sim.wait_for_message(
        second.id, lambda m: m.message_id == request.message_id and not m.callback_buttons()
    )
    assert done.text is not None and plain(done.text).startswith("✅ You approved request #2:\n⏰ #1: demo, ")
    # Scheduled in the requester's name.
    assert query(tmp_path / "kooch.db", "SELECT channel, created_by FROM scheduled_posts") == [
        ("demo", OPERATOR_ID)
    ]
