"""Someone who is not an operator tries every operator command and button: refused, nothing
happens, and the attempt is in the audit table (under a pseudonym, see tests/hostile)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.insight.pseudonym import AUDIT_SCOPE, Pseudonymizer, load_key
from kooch.operators.audit import AuditLog
from kooch.operators.wording import REFUSAL
from kooch.simulator import BotAPISimulator, SimChat, SimUser
from kooch.store import Store
from tests.kit import ask_announce, callback_of, eventually, say

OPERATOR_COMMANDS = ["/preview", "/announce", "/announce demo", "/stats", "/stats demo"]


async def audit(path: Path) -> list[tuple[int | str | None, str, str]]:
    """(operator id, or the pseudonym of a non-operator; action; result) of every audit row."""
    store = await Store.open(path)
    try:
        return [
            (e.operator_id if e.operator_id is not None else e.pseudonym, e.action, e.result)
            for e in await AuditLog(store).recent(100)
        ]
    finally:
        await store.close()


async def refusal_audited(bot: App, path: Path, n: int) -> list[tuple[int | str | None, str, str]]:
    """The audit rows once there are ``n`` refused ones: the refusal is answered first, then
    audited, so the rows are read again at each of the bot's commits."""
    return await eventually(
        lambda: audit(path),
        f"{n} refusal(s) audited",
        until=lambda rows: sum(r[2] == "refused: not an operator" for r in rows) >= n,
        on=services_of(bot).store,
    )


def pseudonym(folder: Path, user: SimUser) -> str:
    """How the audit names ``user``: their pseudonym under the key beside the database."""
    return Pseudonymizer(load_key(folder), AUDIT_SCOPE)(user.id)


@pytest.mark.parametrize("command", OPERATOR_COMMANDS)
async def test_operator_commands_refuse_others(
    sim: BotAPISimulator,
    channel: SimChat,
    bot: App,
    tmp_path: Path,
    command: str,
) -> None:
    stranger = sim.add_user("Stranger", "en")
    reply = await say(sim, stranger, command)
    assert reply.text == REFUSAL
    assert reply.buttons == []
    assert sim.messages(channel.id) == []
    assert not sim.calls_of("getChatMemberCount")
    action = command.split()[0][1:]
    assert await refusal_audited(bot, tmp_path / "kooch.db", 1) == [
        (pseudonym(tmp_path, stranger), action, "refused: not an operator")
    ]


@pytest.mark.parametrize("button", ["announce:confirm:", "announce:cancel:"])
async def test_operator_buttons_refuse_others(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
    tmp_path: Path,
    button: str,
) -> None:
    question = await ask_announce(sim, operator)
    stranger = sim.add_user("Stranger", "en")
    # A modified client can send any callback data: forge the press on the operator's message.
    query_id = sim.forge_callback_query(stranger, question, callback_of(question, button))
    answer = await sim.wait_for_answer(query_id)
    assert (answer.text, answer.show_alert) == (REFUSAL, True)
    assert sim.messages(channel.id) == []
    # The real operator's confirmation is still open and still works.
    assert callback_of(sim.message(operator.id, question.message_id), "announce:confirm:")
    entries = await refusal_audited(bot, tmp_path / "kooch.db", 1)
    assert entries[-1] == (pseudonym(tmp_path, stranger), button.rstrip(":"), "refused: not an operator")


async def test_operator_commands_are_ignored_outside_private_chats(
    sim: BotAPISimulator,
    operator: SimUser,
    channel: SimChat,
    bot: App,
) -> None:
    group = sim.add_group(title="Team")
    sent = await sim.send_text(operator, "/stats", chat_id=group.id)
    await sim.send_text(operator, "/help")  # the bot keeps answering; the group got nothing
    reply = await sim.wait_for_message(operator.id, timeout=10)
    assert reply.text is not None
    assert [m for m in sim.messages(group.id) if m.from_bot and m.message_id > sent.message_id] == []
