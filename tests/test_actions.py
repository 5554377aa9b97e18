"""The gated actions (kooch.actions) with two operators who read two languages, ``approval: 2``:
each person reads every step in their own language, whoever asked and whoever approved; the
audit keeps data and /audit says it in the reader's language, right to left in Persian."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from kooch.actions.gated.moved import Moved, MovedPayload
from kooch.actions.gated.schedule import SchedulePayload
from kooch.actions.model import Action, Actions, dump, load
from kooch.actions.registry import actions
from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.campaigns.preview import PreviewGroup
from kooch.campaigns.wording import duration_line, fallback_lines, preview_label
from kooch.config.channels import MOVED_TITLE_SUFFIXES
from kooch.config.model import CampaignSettings
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from kooch.telegram.post import Post
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import (
    OPERATOR_ID,
    base_config,
    callback_of,
    eventually,
    press,
    query,
    running_bot,
    say,
    write_config,
)

PERSIAN_ID = 5151
ENGLISH_ID = 5252
THIRD_ID = 5353

PERSIAN_LETTER = re.compile(r"[\u0600-\u06ff]")
#: What is not Kooch's own words: handles, URLs, commands, ids, config keys, the channel's name.
NOT_WORDS = re.compile(r"@\w+|https?://\S+|/\w+(?: undo)?|#\S+|\bdemo\b|\bAsia/Tehran\b")
#: The channel's own words (its title, and the title /moved gives it): the channel's, not Kooch's.
CHANNEL_WORDS = ("Kooch demo" + MOVED_TITLE_SUFFIXES["fa"], "Kooch demo")
#: The operators' Telegram names (how the others are told who asked or decided): theirs, not Kooch's.
PEOPLE = re.compile(r"\b(?:Reza|Emma)\b")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def foreign_words(text: str, language: str) -> list[str]:
    """Kooch's own words in ``text`` that are not in ``language`` (fa or en): Persian ones in an
    English text, English ones in a Persian text. Handles, URLs, commands, ids and config keys
    are no one's words; a line quoting the channel's own description (indented) is the channel's."""
    lines = [line for line in plain(text).splitlines() if not line.startswith("    ")]
    words = "\n".join(lines)
    for theirs in CHANNEL_WORDS:
        words = words.replace(theirs, " ")
    words = PEOPLE.sub(" ", NOT_WORDS.sub(" ", words))
    if language == "en":
        return PERSIAN_LETTER.findall(words)
    return LATIN_WORD.findall(words)


def test_the_language_check_finds_foreign_words() -> None:
    assert foreign_words("✅ @kooch_demo: posted (message 1)", "en") == []
    assert foreign_words("✅ @kooch_demo: فرستاده شد", "en") != []
    assert foreign_words("✅ @kooch_demo: فرستاده شد /status #12 https://x.ir", "fa") == []
    assert foreign_words("✅ @kooch_demo: posted", "fa") == ["posted"]


def is_content(message: SimMessage) -> bool:
    """A preview of what subscribers get (the channel's words, not Kooch's to the operator)."""
    return any(d.startswith("preview:") for _, d in message.callback_buttons()) or any(
        url for _, url in message.url_buttons()
    )


def two_languages(tmp_path: Path) -> Path:
    config = base_config(tmp_path)
    config["operators"] = [
        {"id": PERSIAN_ID, "language": "fa"},
        {"id": ENGLISH_ID, "language": "en"},
    ]
    config["approval"] = 2
    return write_config(tmp_path / "config.yaml", config)


@pytest.fixture
async def running_pair(
    sim: BotAPISimulator, channel: SimChat, tmp_path: Path
) -> AsyncIterator[tuple[SimUser, SimUser, App]]:
    persian = sim.add_user("Reza", "fa", user_id=PERSIAN_ID)
    english = sim.add_user("Emma", "en", user_id=ENGLISH_ID)
    async with running_bot(two_languages(tmp_path), sim.token, sim.url, poll_timeout=1) as app:
        for user in (persian, english):
            await say(sim, user, "/help")
        subscriber = sim.add_user("Sub", "en")
        await say(sim, subscriber, "/start")
        yield persian, english, app


@pytest.fixture
def pair(running_pair: tuple[SimUser, SimUser, App]) -> tuple[SimUser, SimUser]:
    return running_pair[0], running_pair[1]


async def audited(app: App, *actions: str) -> list[str]:
    """The audit's actions once it holds ``actions`` (each as often as given): a command's row
    is written once its handler returned, after its replies, so it is read at each commit."""
    store = services_of(app).store
    return await eventually(
        lambda: [row[0] for row in query(store.path, "SELECT action FROM audit")],
        f"audited: {actions}",
        until=lambda rows: all(rows.count(a) >= actions.count(a) for a in actions),
        on=store,
    )


#: Each gated action: the command, its confirm button, and what shows it was done.
JOURNEYS = [
    pytest.param("/announce", "announce:confirm:", id="announce"),
    pytest.param("/announce in 2h", "schedule:confirm:", id="schedule"),
    pytest.param("/moved", "moved:confirm:", id="moved"),
    pytest.param("/remind to:all See you there", "remind:confirm:", id="remind"),
]


def has_button(prefix: str) -> Callable[[SimMessage], bool]:
    return lambda m: any(d.startswith(prefix) for _, d in m.callback_buttons())


async def journey(
    sim: BotAPISimulator, requester: SimUser, approver: SimUser, command: str, confirm: str
) -> None:
    sent = await sim.send_text(requester, command)
    question = await sim.wait_for_message(
        requester.id,
        lambda m: any(d.startswith(confirm) for _, d in m.callback_buttons()),
        after=sent.message_id,
    )
    await press(sim, requester, requester.id, question, callback_of(question, confirm))
    request = await sim.wait_for_message(
        approver.id, lambda m: any(d.startswith("approval:approve:") for _, d in m.callback_buttons())
    )
    await press(sim, approver, approver.id, request, callback_of(request, "approval:approve:"))
    await sim.wait_for_message(
        approver.id, lambda m: m.message_id == request.message_id and not m.callback_buttons()
    )
    await sim.wait_for_message(
        requester.id, lambda m: (m.text or "").lstrip("\u2067\u2066\u200f").startswith("✅")
    )


def check(sim: BotAPISimulator, user: SimUser, language: str, since: int) -> None:
    """Every message ``user`` got from the ``since``-th on (the journey's) is in ``language``."""
    # Every version of each message (a question edited into its report), not the commands the
    # user sent (the chat holds both sides), not the previews of what subscribers get.
    texts = [
        text
        for m in sim.messages(user.id)[since:]
        if not is_content(m)
        for text in (*(e.text for e in m.edits), m.text)
        if text and not text.startswith("/")
    ]
    foreign = {t: w for t in texts if (w := foreign_words(t, language))}
    assert not foreign, f"{language} reader got foreign words: {foreign}"
    assert_reads_right(texts)


@pytest.mark.parametrize(("command", "confirm"), JOURNEYS)
async def test_a_persian_request_approved_in_english(
    sim: BotAPISimulator, pair: tuple[SimUser, SimUser], command: str, confirm: str
) -> None:
    persian, english = pair
    seen = len(sim.messages(english.id)), len(sim.messages(persian.id))
    await journey(sim, persian, english, command, confirm)
    check(sim, english, "en", seen[0])
    check(sim, persian, "fa", seen[1])


@pytest.mark.parametrize(("command", "confirm"), JOURNEYS)
async def test_an_english_request_approved_in_persian(
    sim: BotAPISimulator, pair: tuple[SimUser, SimUser], command: str, confirm: str
) -> None:
    persian, english = pair
    seen = len(sim.messages(english.id)), len(sim.messages(persian.id))
    await journey(sim, english, persian, command, confirm)
    check(sim, english, "en", seen[0])
    check(sim, persian, "fa", seen[1])


async def test_audit_in_persian_reads_right_to_left_in_persian_words(
    sim: BotAPISimulator, running_pair: tuple[SimUser, SimUser, App]
) -> None:
    persian, english, app = running_pair
    await journey(sim, english, persian, "/moved", "moved:confirm:")
    await audited(app, "approval:approve")  # written once its answer went out
    text = (await say(sim, persian, "/audit 5")).text or ""
    assert "حالت کوچ" in text and "تأیید کرد" in text
    assert_reads_right([text])
    for line in plain(text).splitlines()[1:]:
        if "حالت کوچ" in line:
            assert foreign_words(line, "fa") == [], line


async def test_audit_says_other_commands_results_in_the_readers_words(
    sim: BotAPISimulator, running_pair: tuple[SimUser, SimUser, App]
) -> None:
    """Issue 23: the results of ungated commands (/stats, /status, a refused /reload) were an
    English log inside a Persian /audit; they are said in the reader's words now."""
    persian, english, app = running_pair
    await say(sim, persian, "/stats")
    await say(sim, persian, "/status")
    await say(sim, english, "/stats")
    await audited(app, "stats", "stats", "status")  # each written once its handler returned
    fa = (await say(sim, persian, "/audit 200")).text or ""
    en = (await say(sim, english, "/audit 200")).text or ""
    assert_reads_right([fa, en])
    results = [line.split("→", 1)[1] for line in plain(fa).splitlines()[1:] if "→" in line]
    assert any("آمار" in r for r in results) and any("وضعیت" in r for r in results), fa
    for result in results:
        assert foreign_words(result, "fa") == [], result
    assert "stats for" in plain(en) and "status for" in plain(en), en


def test_every_gated_action_is_registered_once() -> None:
    assert sorted(actions().names) == ["announce", "moved", "remind", "schedule"]
    assert OPERATOR_ID not in (PERSIAN_ID, ENGLISH_ID)


async def test_a_failed_announce_reaches_the_persian_requester_in_persian(
    sim: BotAPISimulator, tmp_path: Path
) -> None:
    # Issue 23: the report used to be the approver's (English) inside a Persian sentence.
    sim.add_channel(username="kooch_demo", title="Kooch demo", bot_rights=None)
    persian = sim.add_user("Reza", "fa", user_id=PERSIAN_ID)
    english = sim.add_user("Emma", "en", user_id=ENGLISH_ID)
    async with running_bot(two_languages(tmp_path), sim.token, sim.url, poll_timeout=1):
        for user in (persian, english):
            await say(sim, user, "/help")
        seen = len(sim.messages(english.id)), len(sim.messages(persian.id))
        await journey(sim, persian, english, "/announce", "announce:confirm:")
    told = [plain(m.text or "") for m in sim.messages(persian.id)[seen[1] :]]
    assert any("فرستاده نشد" in t for t in told), told
    approver = [plain(m.text or "") for m in sim.messages(english.id)[seen[0] :]]
    assert any("not posted: the bot is not a member of this channel" in t for t in approver), approver
    check(sim, english, "en", seen[0])
    check(sim, persian, "fa", seen[1])


async def test_a_moved_request_reaches_the_english_approver_all_in_english(
    sim: BotAPISimulator, pair: tuple[SimUser, SimUser]
) -> None:
    # Issue 23: the preview was the requester's Persian question inside an English frame.
    persian, english = pair
    sent = await sim.send_text(persian, "/moved")
    question = await sim.wait_for_message(
        persian.id,
        lambda m: any(d.startswith("moved:confirm:") for _, d in m.callback_buttons()),
        after=sent.message_id,
    )
    await press(sim, persian, persian.id, question, callback_of(question, "moved:confirm:"))
    request = await sim.wait_for_message(
        english.id, lambda m: any(d.startswith("approval:approve:") for _, d in m.callback_buttons())
    )
    text = plain(request.text or "")
    assert "asks to change the channels (/moved) (demo)" in text
    assert "Put all channels (@kooch_demo) into the moved state?" in text
    assert "title → Kooch demo" in text
    assert foreign_words(text, "en") == []


async def test_the_other_operators_read_the_outcome_each_in_their_language(
    sim: BotAPISimulator, channel: SimChat, tmp_path: Path
) -> None:
    config = base_config(tmp_path)
    config["operators"] = [
        {"id": PERSIAN_ID, "language": "fa"},
        {"id": ENGLISH_ID, "language": "en"},
        {"id": THIRD_ID, "language": "fa"},
    ]
    config["approval"] = 2
    persian = sim.add_user("Reza", "fa", user_id=PERSIAN_ID)
    english = sim.add_user("Emma", "en", user_id=ENGLISH_ID)
    third = sim.add_user("Sara", "fa", user_id=THIRD_ID)
    async with running_bot(
        write_config(tmp_path / "config.yaml", config), sim.token, sim.url, poll_timeout=1
    ):
        for user in (persian, english, third):
            await say(sim, user, "/help")
        seen = len(sim.messages(third.id))
        await journey(sim, english, persian, "/moved", "moved:confirm:")
        # The third operator was asked too; once another approved, they read how it ended.
        told = await sim.wait_for_message(
            third.id, lambda m: "تأیید کرد" in plain(m.text or "") and "/moved" in (m.text or "")
        )
    assert told.text is not None
    assert plain(told.text).startswith("✅ درخواست #۲")
    check(sim, third, "fa", seen)


# --------------------------------------------------------------------------------------------
# The model: payloads as stored, the registry


def test_a_payload_reads_back_as_it_was_stored() -> None:
    payload = SchedulePayload(
        ("demo", "news"),
        named=False,
        due=1_800_000_000.5,
        known={"demo": 4},
        broken=(("gap", "url", "https://gap.im/x", "http_error", 404, None, ""),),
    )
    stored = json.loads(json.dumps(dump(payload)))  # as pending_actions keeps it
    assert load(SchedulePayload, stored) == payload
    # An older Kooch's extra key is left out; a key it did not write takes its default.
    assert load(MovedPayload, {"channels": ["demo"], "named": True, "question": "…"}) == MovedPayload(
        ("demo",), True
    )


def test_an_action_is_registered_once_and_whole() -> None:
    registry = Actions()

    class Half(Action[MovedPayload, None]):
        name = "half"
        payload = MovedPayload
        rerun = "/half"

    with pytest.raises(TypeError):  # no execute, report, record…: not made
        registry.register(Half)  # type: ignore[type-abstract]
    registry.register(Moved)
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(Moved)


async def test_an_approved_reminder_leaves_the_approver_its_cancel_button(
    sim: BotAPISimulator, pair: tuple[SimUser, SimUser]
) -> None:
    persian, english = pair
    sent = await sim.send_text(persian, "/remind to:all See you there")
    question = await sim.wait_for_message(
        persian.id,
        lambda m: any(d.startswith("remind:confirm:") for _, d in m.callback_buttons()),
        after=sent.message_id,
    )
    await press(sim, persian, persian.id, question, callback_of(question, "remind:confirm:"))
    request = await sim.wait_for_message(
        english.id, lambda m: any(d.startswith("approval:approve:") for _, d in m.callback_buttons())
    )
    await press(sim, english, english.id, request, callback_of(request, "approval:approve:"))

    def versions() -> list[tuple[str | None, dict[str, Any] | None]]:
        (message,) = [m for m in sim.messages(english.id) if m.message_id == request.message_id]
        return [(e.text, e.reply_markup) for e in message.edits] + [(message.text, message.reply_markup)]

    def reported() -> list[dict[str, Any] | None]:
        return [markup for text, markup in versions() if text and plain(text).startswith("✅ You approved")]

    await sim.wait_until(lambda: bool(reported()), what="the approver's report")
    # The report's own edit has the button, not only the campaign's next progress edit.
    assert all("campaign:cancel:" in str(markup) for markup in reported())


async def test_a_reminder_request_shows_each_approver_the_previews_per_language_in_their_words(
    sim: BotAPISimulator, pair: tuple[SimUser, SimUser]
) -> None:
    """The approver reads what the requester read before confirming: one preview per recipient
    language under a label, then under the question the duration and who gets a text not in their
    language, all in the approver's language (whoever asked)."""
    persian, english = pair
    sara = sim.add_user("Sara", "fa")
    await say(sim, sara, "/start")
    rate = CampaignSettings().rate_per_s
    # One English reader (the fixture's) and one Persian reader; the text is English.
    english_group = PreviewGroup("en", 1, "en", Post(""))
    persian_group = PreviewGroup("fa", 1, "en", Post(""))
    for requester, approver, reader in ((persian, english, "en"), (english, persian, "fa")):
        seen = len(sim.messages(approver.id))
        last = sim.messages(approver.id)[-1].message_id if seen else 0
        sent = await sim.send_text(requester, "/remind to:all See you there")
        question = await sim.wait_for_message(
            requester.id, has_button("remind:confirm:"), after=sent.message_id
        )
        await press(sim, requester, requester.id, question, callback_of(question, "remind:confirm:"))
        request = await sim.wait_for_message(approver.id, has_button("approval:approve:"), after=last)
        got = [m for m in sim.messages(approver.id)[seen:] if m.message_id <= request.message_id]
        labels = [plain(m.text or "") for m in got if plain(m.text or "").startswith("👁")]
        assert labels == [plain(preview_label(g, reader)) for g in (english_group, persian_group)]
        # Each label is followed by what that group receives, with its buttons.
        contents = [m for m in got if is_content(m)]
        assert [plain(m.text or "") for m in contents] == ["See you there", "See you there"]
        asked = plain(request.text or "")
        assert plain(duration_line(2, rate, reader)) in asked
        assert plain(fallback_lines([english_group, persian_group], reader)[0]) in asked
        check(sim, approver, reader, seen)
