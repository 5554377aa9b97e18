"""The bot as a person first meets it: the "/" menu per audience and language, the descriptions
before START, the answer to a typo, an operator's /start, the deep link ``/start <channel>`` and the
subscriber /help. End to end: the real bot against the simulator, which keeps the menus per scope
and language as Telegram does; every Persian and Arabic text is laid out as a client draws it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram.ext import CommandHandler

import kooch.handlers.actions
import kooch.handlers.approval
import kooch.handlers.campaigns
import kooch.handlers.insight
import kooch.handlers.living
import kooch.handlers.operators
import kooch.handlers.schedule
import kooch.handlers.subscribers
from kooch.app.runner import App
from kooch.app.services import services_of
from kooch.config import load_config
from kooch.config.channels import MOVED_TITLE_SUFFIXES
from kooch.config.texts import DEFAULT_TEXTS
from kooch.i18n.bidi import strip_controls
from kooch.menus.model import COMMANDS, checked_menu, commands_of, nearest
from kooch.menus.wording import command_descriptions, meanings, menu, profile
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from kooch.store.leader import PgLeader
from kooch.telegram.profile import MAX_DESCRIPTION, MAX_SHORT_DESCRIPTION
from tests.bidi_kit import assert_reads_right, screen
from tests.kit import GAP_URL, OPERATOR_ID, SOROUSH_URL, base_config, press, running_bot, say, write_config

SETTERS = ("setMyCommands", "deleteMyCommands", "setMyDescription", "setMyShortDescription")


def plain(message: SimMessage) -> str:
    """A reply as its words, without the invisible direction controls."""
    assert message.text is not None
    return strip_controls(message.text)


def laid_out(*messages: SimMessage) -> None:
    """Every message read right as a client draws it (and shown with -s, for a person to read)."""
    texts = [m.text or "" for m in messages]
    assert_reads_right(texts)
    for text in texts:
        print("\n".join(screen(text)), end="\n\n")


def set_calls(sim: BotAPISimulator) -> int:
    return sum(len(sim.calls_of(method)) for method in SETTERS)


def menu_of(audience: str, language: str) -> list[tuple[str, str]]:
    words = command_descriptions(language)
    return [(name, words[name]) for name in commands_of(audience)]  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# The one table is what the handlers register


def test_the_command_table_is_the_commands_the_handlers_register() -> None:
    registered = {
        command
        for module in (
            kooch.handlers.actions,
            kooch.handlers.subscribers,
            kooch.handlers.operators,
            kooch.handlers.schedule,
            kooch.handlers.insight,
            kooch.handlers.campaigns,
            kooch.handlers.living,
            kooch.handlers.approval,
        )
        for handler in module.HANDLERS
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    assert {c.name for c in COMMANDS} == registered


# --------------------------------------------------------------------------------------------
# Menus and descriptions, read back from the simulator


async def test_menus_and_descriptions_are_set_per_scope_and_language_once(
    sim: BotAPISimulator, channel: SimChat, config_file: Path
) -> None:
    operator = sim.add_user("Operator", "en", user_id=OPERATOR_ID, started=True)
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1) as app:
        await services_of(app).menus.settled()  # set in the background while the bot runs
    for language in ("fa", "en", "ar"):
        assert sim.menu(None, language) == menu_of("subscriber", language)
        assert sim.menu(operator, language) == menu_of("operator", language)
    # Every other language: subscribers the config's default language (fa); operators English,
    # as their replies.
    assert sim.menu(None, "") == menu_of("subscriber", "fa")
    assert sim.menu(operator, "") == menu_of("operator", "en")
    assert [name for name, _ in sim.menu(None, "en")] == ["start", "links", "help", "privacy", "forget"]
    assert [name for name, _ in sim.menu(operator, "en")][:3] == ["preview", "announce", "stats"]
    # What the empty chat shows before START, in each language.
    assert set(sim.descriptions) == {"", "fa", "en", "ar"}
    assert strip_controls(sim.descriptions["en"]).startswith("@kooch_demo has moved off Telegram.\n")
    assert "New addresses: Soroush, Gap." in strip_controls(sim.descriptions["en"])
    assert strip_controls(sim.short_descriptions["en"]) == "The new addresses of @kooch_demo: Soroush, Gap"
    assert strip_controls(sim.descriptions["fa"]).startswith("@kooch_demo از تلگرام کوچ کرد.")
    assert sim.descriptions[""] == sim.descriptions["fa"]
    rtl = [sim.descriptions[lang] for lang in ("fa", "ar")] + [
        sim.short_descriptions[lang] for lang in ("fa", "ar")
    ]
    rtl += [f"/{name} — {words}" for lang in ("fa", "ar") for name, words in sim.menu(operator, lang)]
    assert_reads_right(rtl)
    for text in (sim.descriptions["fa"], sim.descriptions["en"], sim.short_descriptions["fa"]):
        print("\n".join(screen(text)), end="\n\n")

    # A second start with the same config reads the menus back and sets nothing.
    first = set_calls(sim)
    reads = len(sim.calls_of("getMyCommands"))
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1) as app:
        await services_of(app).menus.settled()
    assert set_calls(sim) == first
    assert len(sim.calls_of("getMyCommands")) == 2 * reads


async def test_an_operator_who_never_started_the_bot_gets_the_menu_at_the_first_start(
    sim: BotAPISimulator, operator: SimUser, bot: App
) -> None:
    # Telegram refuses a menu for a private chat it does not know: the bot started without it.
    await services_of(bot).menus.settled()
    assert sim.menu(operator, "en") == []
    assert sim.calls_of("setMyCommands")[-1].ok
    await say(sim, operator, "/start")
    await sim.wait_until(lambda: sim.menu(operator, "en") != [], timeout=10, what="the operator's menu")
    assert sim.menu(operator, "en") == menu_of("operator", "en")
    assert sim.menu(operator, "fa") == menu_of("operator", "fa")


async def test_a_reload_sets_the_new_operators_menus_and_deletes_the_old_ones(
    sim: BotAPISimulator, channel: SimChat, tmp_path: Path
) -> None:
    old = sim.add_user("Old", "en", user_id=OPERATOR_ID, started=True)
    new = sim.add_user("Nasrin", "en", user_id=OPERATOR_ID + 1, started=True)
    config: dict[str, Any] = base_config(tmp_path)
    path = write_config(tmp_path / "config.yaml", config)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1) as app:
        await services_of(app).menus.settled()
        assert sim.menu(old, "en") == menu_of("operator", "en")
        # Nasrin chooses Persian in the config: one menu in Persian whatever her app speaks.
        config["operators"] = [{"id": new.id, "language": "fa"}]
        write_config(path, config)
        outcome = await services_of(app).reloader.reload("test")
        assert outcome.kind == "applied"
        await services_of(app).menus.settled()
        assert sim.menu(new, "") == menu_of("operator", "fa")
        for language in ("fa", "en", "ar"):
            assert sim.menu(new, language) == []
            assert sim.menu(old, language) == []
        assert sim.menu(old, "") == []
        assert sim.menu(None, "en") == menu_of("subscriber", "en")


async def test_an_operator_removed_while_kooch_was_stopped_loses_the_menu_when_refused(
    sim: BotAPISimulator, channel: SimChat, tmp_path: Path
) -> None:
    gone = sim.add_user("Gone", "en", user_id=OPERATOR_ID, started=True)
    config: dict[str, Any] = base_config(tmp_path)
    path = write_config(tmp_path / "config.yaml", config)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1) as app:
        await services_of(app).menus.settled()
        assert sim.menu(gone, "en") == menu_of("operator", "en")
    config["operators"] = [OPERATOR_ID + 1]
    write_config(path, config)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1) as app:
        await services_of(app).menus.settled()
        assert sim.menu(gone, "en") == menu_of("operator", "en")  # no reload saw them go
        refused = await say(sim, gone, "/stats")
        assert plain(refused) == "This command is for the channel's operators only."
        await sim.wait_until(lambda: sim.menu(gone, "") == [], timeout=10, what="the stale menu deleted")
        assert all(sim.menu(gone, language) == [] for language in ("fa", "en", "ar"))


async def test_under_replicas_only_the_leader_sets_the_menus(
    sim: BotAPISimulator, channel: SimChat, tmp_path: Path, postgresql_url: str
) -> None:
    # Another replica leads: this one takes updates, and leaves the menus to the leader.
    other = PgLeader(postgresql_url, "other replica", retry_s=0.05)
    await other.start()
    await other.wait_until_leader()
    config = base_config(tmp_path)
    config["storage"]["url"] = postgresql_url
    path = write_config(tmp_path / "config.yaml", config)
    try:
        async with running_bot(path, sim.token, sim.url, poll_timeout=1) as app:
            assert services_of(app).leadership.role == "follower"
            await say(sim, sim.add_user("Sara", "en"), "/help")
            assert set_calls(sim) == 0 and sim.calls_of("getMyCommands") == []
            await other.close()  # the leader goes: this replica leads, and sets them
            wanted = menu_of("subscriber", "en")
            await sim.wait_until(
                lambda: sim.menu(None, "en") == wanted, timeout=30, what="the leader's menus"
            )
    finally:
        await other.close()


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"scope": {"type": "chat", "chat_id": 987654}}, "Bad Request: chat not found"),
        ({"language_code": "fas"}, "Bad Request: invalid language code specified"),
        ({"scope": {"type": "everyone"}}, "Bad Request: unsupported bot command scope type"),
        ({"scope": {"type": "chat_administrators", "chat_id": OPERATOR_ID}}, "Bad Request: can't change"),
    ],
    ids=["unknown-chat", "language-of-three-letters", "unknown-scope", "administrators-of-a-private-chat"],
)
async def test_the_simulator_refuses_menus_as_telegram_does(
    sim: BotAPISimulator, params: dict[str, Any], error: str
) -> None:
    sim.add_user("Operator", "en", user_id=OPERATOR_ID, started=True)
    commands = [{"command": "help", "description": "help"}]
    async with httpx.AsyncClient(base_url=f"{sim.url}/bot{sim.token}", timeout=10) as http:
        for method, extra in (("setMyCommands", {"commands": commands}), ("getMyCommands", {})):
            answer = (await http.post(f"/{method}", json={**params, **extra})).json()
            assert answer["ok"] is False
            assert answer["description"].startswith(error)
        # The chat scope of a started private chat, given as a string id, is that chat's.
        scope = {"type": "chat", "chat_id": str(OPERATOR_ID)}
        assert (await http.post("/setMyCommands", json={"commands": commands, "scope": scope})).json()["ok"]
    assert sim.menu(OPERATOR_ID, "") == [("help", "help")]


# --------------------------------------------------------------------------------------------
# Typos: the nearest command this person may use


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        (
            "en",
            "/stat",
            "There is no /stat command.\nDid you mean /stats?\nSend /help for the commands you can use.",
        ),
        ("en", "/anounce", "Did you mean /announce?"),
        ("fa", "/آمار", "منظورتان /stats بود؟"),
        ("fa", "/stat", "منظورتان /stats بود؟"),
        ("en", "/foo", "There is no /foo command.\nSend /help for the commands you can use."),
    ],
    ids=["en-stat", "en-anounce", "fa-amar", "fa-stat", "en-foo"],
)
async def test_an_operators_typo_gets_the_nearest_operator_command(
    sim: BotAPISimulator, channel: SimChat, config_file: Path, language: str, typed: str, expected: str
) -> None:
    operator = sim.add_user("Operator", language, user_id=OPERATOR_ID)
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1):
        reply = await say(sim, operator, typed)
    assert expected in plain(reply)
    laid_out(reply)


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("en", "/strat", "Did you mean /start?"),
        ("en", "/link", "Did you mean /links?"),
        ("en", "/foo", "There is no /foo command.\nSend /help for the commands you can use."),
        ("fa", "/forgett", "منظورتان /forget بود؟"),
        ("fa", "/راهنما", "منظورتان /help بود؟"),
        (
            "fa",
            "/foo",
            "فرمان /foo وجود ندارد.\nبرای دیدن فرمان‌هایی که می‌توانید به کار ببرید /help را بفرستید.",
        ),
    ],
    ids=["en-strat", "en-link", "en-foo", "fa-forgett", "fa-rahnama", "fa-foo"],
)
async def test_a_subscribers_typo_gets_the_nearest_subscriber_command(
    sim: BotAPISimulator, bot: App, language: str, typed: str, expected: str
) -> None:
    reply = await say(sim, sim.add_user("Sara", language), typed)
    assert expected in plain(reply)
    laid_out(reply)


async def test_a_subscriber_is_never_offered_an_operator_command(sim: BotAPISimulator, bot: App) -> None:
    reply = await say(sim, sim.add_user("Sara", "en"), "/statss")
    assert "Did you mean /start?" in plain(reply)  # the nearest of theirs, not /stats


async def test_known_commands_and_other_chats_get_no_typo_answer(
    sim: BotAPISimulator, operator: SimUser, bot: App
) -> None:
    user = sim.add_user("Reza", "en")
    group = sim.add_group()
    await sim.send_text(user, "/foo", chat_id=group.id)
    # A known command gets exactly its own answer, and nothing from the typo handler after it.
    sent = await sim.send_text(user, "/links")
    reply = await sim.wait_for_message(user.id, after=sent.message_id, timeout=10)
    assert plain(reply).startswith(DEFAULT_TEXTS["en"]["links_header"])
    last = await say(sim, user, "/privacy")
    between = [
        m for m in sim.messages(user.id) if m.from_bot and reply.message_id < m.message_id < last.message_id
    ]
    assert between == []
    assert [m for m in sim.messages(group.id) if m.from_bot] == []


# --------------------------------------------------------------------------------------------
# First contact: an operator's /start, the deep link, the subscriber /help, several channels


@pytest.mark.parametrize("language", ["en", "fa"])
async def test_an_operators_start_says_they_are_one_and_what_to_do_first(
    sim: BotAPISimulator, channel: SimChat, config_file: Path, language: str
) -> None:
    operator = sim.add_user("Operator", language, user_id=OPERATOR_ID)
    async with running_bot(config_file, sim.token, sim.url, poll_timeout=1):
        sent = await sim.send_text(operator, "/start")
        await sim.wait_until(
            lambda: len([m for m in sim.messages(operator.id) if m.from_bot]) >= 2,
            timeout=10,
            what="2 replies",
        )
    welcome, links = [m for m in sim.messages(operator.id) if m.from_bot and m.message_id > sent.message_id]
    text = plain(welcome)
    if language == "en":
        assert text.startswith("👋 You are an operator of Kooch for the channel @kooch_demo.")
        assert "1. /preview:" in text and "2. /announce:" in text
    else:
        assert text.startswith("👋 شما گردانندهٔ ربات کوچ برای کانال @kooch_demo هستید.")
        assert "۱. /preview:" in text and "۲. /announce:" in text
    assert text.index("/preview") < text.index("/announce")
    # Then what subscribers get: the links.
    assert SOROUSH_URL in plain(links)
    laid_out(welcome, links)


@pytest.mark.parametrize(
    ("language", "header", "thanks"),
    [
        ("en", "Kooch demo (@kooch_demo) has moved. Its new addresses:", "Thank you! Your move is recorded."),
        ("fa", "Kooch demo (@kooch_demo) کوچ کرده است. نشانی‌های تازه‌اش:", "ممنون! کوچ شما ثبت شد."),
    ],
)
async def test_a_deep_link_names_its_channel_gives_its_links_and_a_working_moved_button(
    sim: BotAPISimulator, bot: App, tmp_path: Path, language: str, header: str, thanks: str
) -> None:
    user = sim.add_user("Sara", language)
    reply = await say(sim, user, "/start demo")
    text = plain(reply)
    assert text.startswith(header)
    assert SOROUSH_URL in text and GAP_URL in text
    assert [data for _, data in reply.callback_buttons()] == ["ack:demo"]
    laid_out(reply)
    answer = await press(sim, user, user.id, reply, "ack:demo")
    assert strip_controls(answer.text or "") == thanks
    with closing(sqlite3.connect(tmp_path / "kooch.db")) as db:
        acks = db.execute("SELECT channel, user_id FROM acks").fetchall()
        source = db.execute("SELECT source FROM subscribers WHERE user_id = ?", (user.id,)).fetchone()
    assert acks == [("demo", user.id)]
    assert source == ("demo",)


async def test_a_deep_link_flood_reads_the_title_once_without_the_moved_suffix(
    sim: BotAPISimulator, channel: SimChat, bot: App
) -> None:
    # After /moved the title carries the suffix; the reply says "has moved" in words of its own.
    channel.title = "Kooch demo" + MOVED_TITLE_SUFFIXES["fa"]
    before = len(sim.calls_of("getChat"))
    users = [sim.add_user(f"S{i}", "en") for i in range(20)]
    sent = [await sim.send_text(user, "/start demo") for user in users]
    replies = [
        await sim.wait_for_message(user.id, after=message.message_id, timeout=10)
        for user, message in zip(users, sent, strict=True)
    ]
    assert {plain(reply).split("\n")[0] for reply in replies} == {
        "Kooch demo (@kooch_demo) has moved. Its new addresses:"
    }
    assert len(sim.calls_of("getChat")) == before + 1


@pytest.mark.parametrize("language", ["en", "fa"])
async def test_the_subscriber_help_is_a_message_of_its_own_in_the_readers_language(
    sim: BotAPISimulator, bot: App, language: str
) -> None:
    reply = await say(sim, sim.add_user("Ali", language), "/help")
    lines = plain(reply).split("\n")
    words = command_descriptions(language)
    if language == "en":
        assert lines[0] == "ℹ️ Kooch: the new addresses of @kooch_demo"
        assert "Send /forget to delete all of it; /privacy tells more." in lines
    else:
        assert lines[0] == "ℹ️ ربات کوچ: نشانی‌های تازهٔ @kooch_demo"
        assert "برای پاک کردن همهٔ آن /forget را بفرستید؛ /privacy بیشتر می‌گوید." in lines
        # Set right to left: every line starts with a right-to-left mark.
        assert all(line.startswith("\u200f") for line in (reply.text or "").split("\n") if line)
    for name in ("start", "links", "help", "privacy", "forget"):
        assert f"/{name} — {words[name]}" in lines
    assert "/stats" not in plain(reply)
    laid_out(reply)


async def test_with_several_channels_the_welcome_speaks_of_them_all(
    sim: BotAPISimulator, channel: SimChat, tmp_path: Path
) -> None:
    sim.add_channel(username="kooch_news", title="Kooch news")
    config = base_config(tmp_path)
    config["channels"].append({"chat": "@kooch_news", "key": "news", "language": "en"})
    path = write_config(tmp_path / "config.yaml", config)
    operator = sim.add_user("Operator", "fa", user_id=OPERATOR_ID)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        subscriber = await say(sim, sim.add_user("Sara", "fa"), "/start")
        english = await say(sim, sim.add_user("Sam", "en"), "/start")
        deep = await say(sim, sim.add_user("Ali", "en"), "/start news")
        welcome = await say(sim, operator, "/start")
    assert plain(subscriber).startswith("سلام! @kooch_demo، @kooch_news به این پیام‌رسان‌ها کوچ کرده‌اند:")
    assert plain(english).startswith("Hello! @kooch_demo, @kooch_news have moved to these messengers:")
    assert plain(deep).startswith("Kooch news (@kooch_news) has moved.")
    assert [data for _, data in deep.callback_buttons()] == ["ack:news"]
    assert plain(welcome).startswith("👋 شما گردانندهٔ ربات کوچ برای کانال‌های @kooch_demo، @kooch_news هستید.")
    laid_out(subscriber, english, deep, welcome)


# --------------------------------------------------------------------------------------------
# Telegram's limits, checked where the texts are made


@pytest.mark.parametrize(
    ("commands", "why"),
    [
        ((("Stats", "statistics"),), "a-z 0-9 _"),
        ((("s" * 33, "statistics"),), "a-z 0-9 _"),
        ((("stats", ""),), "0 characters"),
        ((("stats", "x" * 257),), "257 characters"),
        (tuple((f"c{i}", "x") for i in range(101)), "at most 100"),
    ],
    ids=["capital", "33-characters", "empty-description", "long-description", "101-commands"],
)
def test_a_menu_telegram_would_refuse_is_refused_where_it_is_made(
    commands: tuple[tuple[str, str], ...], why: str
) -> None:
    with pytest.raises(ValueError, match=why):
        checked_menu(commands)


def test_descriptions_fit_telegrams_limits_however_many_channels_and_services(tmp_path: Path) -> None:
    config = base_config(tmp_path)
    config["channels"] = [
        {"chat": f"@kooch_channel_number_{i}", "key": f"c{i}", "language": "fa"} for i in range(8)
    ]
    config["services"] = [
        {
            "key": f"s{i}",
            "name": {"fa": f"پیام‌رسان شمارهٔ {i}", "en": f"Messenger number {i}"},
            "url": SOROUSH_URL,
        }
        for i in range(12)
    ]
    loaded = load_config(write_config(tmp_path / "config.yaml", config))
    wanted = profile(loaded)
    for language in ("", "fa", "en", "ar"):
        assert len(wanted.descriptions[language]) <= MAX_DESCRIPTION
        assert len(wanted.short_descriptions[language]) <= MAX_SHORT_DESCRIPTION
    # Too many to list in 120 characters: the short one says it without the list.
    assert strip_controls(wanted.short_descriptions["en"]) == "The channel's new addresses, after Telegram"
    for language in ("fa", "en", "ar"):
        for audience in ("subscriber", "operator"):
            checked_menu(menu(audience, language))


@pytest.mark.parametrize(
    ("typed", "audience", "suggestion"),
    [
        ("stat", "operator", "stats"),
        ("stat", "subscriber", "start"),
        ("priview", "operator", "preview"),
        ("آمار", "operator", "stats"),
        ("راهنما", "subscriber", "help"),
        ("فراموشی", "subscriber", "forget"),
        ("foo", "operator", None),
        ("سلام", "subscriber", None),
    ],
)
def test_the_nearest_command(typed: str, audience: str, suggestion: str | None) -> None:
    assert nearest(typed, commands_of(audience), meanings()) == suggestion  # type: ignore[arg-type]
