"""The operator's language end to end: a Persian operator reads Kooch entirely in Persian (Persian
digits, Solar Hijri dates), an English one in English, an Arabic one in Arabic, each from their
Telegram app's language or from the config's choice; replies, buttons, toasts and progress alike.

The real bot runs against the Bot API simulator over loopback HTTP, with a real SQLite file.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jdatetime
import pytest

from kooch.app.services import services_of
from kooch.config.texts import builtin_texts
from kooch.i18n import format_datetime
from kooch.i18n.bidi import CONTROLS
from kooch.simulator import BotAPISimulator, SimChat, SimMessage, SimUser
from tests.bidi_kit import assert_reads_right, plain
from tests.kit import (
    OPERATOR_ID,
    ask_announce,
    base_config,
    callback_of,
    press,
    running_bot,
    say,
    say_and_collect,
    write_config,
)
from tests.links_kit import Seen, serving

TZ = "Asia/Tehran"
LATIN_DIGIT = re.compile(r"[0-9]")
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
#: A word of Latin letters (an apostrophe inside, as in "channel's").
LATIN_WORD = re.compile(r"^[A-Za-z]+(?:'[A-Za-z]+)?$")
#: Single Latin words a right-to-left reply may hold: command syntax, language codes and config
#: values such as ``link_checks: false`` (a run of two is a sentence left in English, whatever the
#: words).
SYNTAX_WORDS = {"at", "in", "undo", "N", "xx", "CSV", "fa", "en", "ar", "false", "true"}


def _allowed_token(token: str, names: set[str]) -> bool:
    """URLs, @usernames, /commands, option:value, file and config paths, and the config's own names."""
    return any(c in token for c in "/@:._=<>#") or token in names


def latin_runs(text: str, names: Iterable[str] = ()) -> list[str]:
    """Runs of Latin words in ``text``: two or more in a row, or one that is not command syntax.

    Allowed: URLs, @usernames, /commands, ``to:all``-style options, paths (``config.yaml``,
    ``web.public_url``), the time zone and the names from the config (channel keys, service names).
    """
    known = set(names)
    runs: list[str] = []
    current: list[str] = []
    for raw in text.translate(dict.fromkeys(map(ord, CONTROLS), " ")).split():
        token = raw.strip("()[]«»“”\"'،,;؛:.!?…—-•✅❌⚠️📢⏰")
        if token and not _allowed_token(token, known) and LATIN_WORD.match(token):
            current.append(token)
            continue
        if current:
            runs.append(" ".join(current))
            current = []
    if current:
        runs.append(" ".join(current))
    return [run for run in runs if " " in run or run not in SYNTAX_WORDS]


def test_the_latin_run_check_catches_english_and_lets_names_through() -> None:
    names = {"demo", "Soroush"}
    assert latin_runs("‏✅ ‎@kooch_demo‏: فرستاده شد (پیام ۱) و سنجاق شد", names) == []
    assert latin_runs("⚙️ پیکربندی /tmp/x/config.yaml، نسخهٔ abc123؛ ‎/reload (Asia/Tehran)", names) == []
    assert latin_runs("پیام‌رسان‌ها: Soroush، گپ — demo (fa)", names) == []
    assert latin_runs("لغو شد: nothing was posted.", names) == ["nothing was posted"]
    assert latin_runs("✅ posted", names) == ["posted"]


@dataclass
class Reader:
    """Everything the bot showed the operator: messages (every version), buttons and toasts."""

    sim: BotAPISimulator
    user: SimUser
    toasts: list[str] = field(default_factory=list)

    def messages(self) -> list[SimMessage]:
        return [m for m in self.sim.messages(self.user.id) if m.from_bot]

    def texts(self) -> list[str]:
        out: list[str] = []
        for m in self.messages():
            out += [e.text or e.caption or "" for e in m.edits]
            out.append(m.text or m.caption or "")
            out += [label for row in m.button_texts() for label in row]
        return [*out, *self.toasts]

    async def press(self, message: SimMessage, prefix: str) -> str:
        answer = await press(self.sim, self.user, self.user.id, message, callback_of(message, prefix))
        self.toasts.append(answer.text or "")
        return answer.text or ""


@dataclass
class Session:
    """What one operator saw going through the operator path."""

    help: str
    preview: list[str]
    question: str
    confirm_toast: str
    report: str
    stats: str
    chart_caption: str
    status: str
    campaign_question: str
    progress: str
    final: str
    campaigns: str
    unknown_channel: str
    everything: list[str]


async def reply_after(sim: BotAPISimulator, user: SimUser, sent: int, what: str = "") -> SimMessage:
    return await sim.wait_for_message(user.id, lambda m: what in (m.text or m.caption or ""), after=sent)


async def operator_path(sim: BotAPISimulator, operator: SimUser, subscriber: SimUser) -> Session:
    """help, preview, announce and confirm, stats (with its chart), status, a reminder campaign
    to its end, /campaigns, and an error (an unknown channel)."""
    reader = Reader(sim, operator)
    await say(sim, subscriber, "/start")  # someone for the reminder campaign

    help_text = (await say(sim, operator, "/help")).text or ""

    sent = await sim.send_text(operator, "/preview")
    await sim.wait_until(lambda: len([m for m in reader.messages() if m.message_id > sent.message_id]) >= 2)
    preview = [m.text or "" for m in reader.messages() if m.message_id > sent.message_id]

    sent = await sim.send_text(operator, "/announce")
    question = await sim.wait_for_message(
        operator.id,
        lambda m: any(d.startswith("announce:confirm:") for _, d in m.callback_buttons()),
        after=sent.message_id,
        timeout=10,
    )
    asked = question.text or ""
    toast = await reader.press(question, "announce:confirm:")
    edited = await sim.wait_for_message(
        operator.id, lambda m: m.message_id == question.message_id and not m.callback_buttons()
    )

    sent = await sim.send_text(operator, "/stats")
    stats = await reply_after(sim, operator, sent.message_id, "📊")
    photo = await sim.wait_for_message(
        operator.id, lambda m: m.photo is not None, after=stats.message_id, timeout=60
    )

    status = (await say(sim, operator, "/status")).text or ""

    sent = await sim.send_text(operator, "/remind یادآوری: ما کوچ کرده‌ایم.")
    remind_question = await sim.wait_for_message(
        operator.id,
        lambda m: any(d.startswith("remind:confirm:") for _, d in m.callback_buttons()),
        after=sent.message_id,
        timeout=10,
    )
    campaign_question = remind_question.text or ""
    await reader.press(remind_question, "remind:confirm:")
    final = await sim.wait_for_message(
        operator.id,
        lambda m: not m.edits and "🏁" in plain(m.text or ""),
        after=remind_question.message_id,
        timeout=30,
    )
    progress = await sim.wait_for_message(
        operator.id, lambda m: m.message_id == remind_question.message_id and "🏁" in plain(m.text or "")
    )

    campaigns = (await say(sim, operator, "/campaigns")).text or ""
    unknown = (await say(sim, operator, "/stats nosuch")).text or ""
    return Session(
        help=help_text,
        preview=preview,
        question=asked,
        confirm_toast=toast,
        report=edited.text or "",
        stats=stats.text or "",
        chart_caption=photo.caption or "",
        status=status,
        campaign_question=campaign_question,
        progress="\n".join([*(e.text or "" for e in progress.edits), progress.text or ""]),
        final=final.text or "",
        campaigns=campaigns,
        unknown_channel=unknown,
        everything=reader.texts(),
    )


def kooch_config(tmp_path: Path, **extra: Any) -> Path:
    config = base_config(tmp_path)
    config["campaigns"] = {"rate_per_s": 50, "progress_every_s": 1}
    config.update(extra)
    return write_config(tmp_path / "config.yaml", config)


@pytest.fixture
async def persian(sim: BotAPISimulator, channel: SimChat, tmp_path: Path) -> AsyncIterator[Session]:
    operator = sim.add_user("گرداننده", "fa", user_id=OPERATOR_ID)
    subscriber = sim.add_user("Sara", "fa")
    async with running_bot(kooch_config(tmp_path), sim.token, sim.url, poll_timeout=1):
        session = await operator_path(sim, operator, subscriber)
        # Words compared without the direction controls; how they lay out is checked on everything.
        yield replace(plain(session), everything=session.everything)


@pytest.fixture
async def english(sim: BotAPISimulator, channel: SimChat, tmp_path: Path) -> AsyncIterator[Session]:
    operator = sim.add_user("Operator", "en-GB", user_id=OPERATOR_ID)
    subscriber = sim.add_user("Sara", "fa")
    async with running_bot(kooch_config(tmp_path), sim.token, sim.url, poll_timeout=1):
        session = await operator_path(sim, operator, subscriber)
        # Words compared without the direction controls; how they lay out is checked on everything.
        yield replace(plain(session), everything=session.everything)


def solar_hijri_today(message_date: float) -> set[str]:
    """The Solar Hijri dates (Persian digits) a reply sent at ``message_date`` may carry."""
    return {plain(format_datetime(message_date - lag, TZ, "fa", numeric=True))[:10] for lag in (0, 60)}


async def test_a_persian_operator_sees_no_english_sentence(persian: Session) -> None:
    # The channel key, a config key, and what the operator typed (the time zone is said in words).
    names = {"demo", "reminders", "nosuch"}
    offending = {text: latin_runs(text, names) for text in persian.everything if latin_runs(text, names)}
    assert plain(offending) == plain({})


async def test_every_text_a_persian_operator_reads_is_laid_out_right(persian: Session) -> None:
    assert len(persian.everything) > 20
    assert_reads_right(persian.everything)


async def test_a_persian_operator_reads_each_step_in_persian(persian: Session, sim: BotAPISimulator) -> None:
    assert "فرمان‌های گردانندگان:" in persian.help
    assert "/preview [کانال] — اعلان درست همان‌گونه که فرستاده خواهد شد" in persian.help
    assert persian.preview[0] == "پیش‌نمایش برای @kooch_demo (فارسی):"
    assert persian.question == "اعلان بالا در همهٔ کانال‌ها (@kooch_demo) فرستاده شود؟"
    assert persian.confirm_toast == "در حال فرستادن…"
    assert persian.report == "✅ @kooch_demo: فرستاده شد (پیام ۱) و سنجاق شد"
    assert persian.stats.startswith("📊 ربات کوچ — همهٔ کانال‌ها — ")
    assert "کاربرانی که ربات را شروع کرده‌اند: ۱" in persian.stats
    assert "👥 اعضا: ۱٬۰۰۰؛ کوچ‌کرده ≥ ۰٫۰٪" in persian.stats
    assert persian.chart_caption == "📈 ۰ نفر کوچ کردند"
    assert persian.status.startswith("📡 وضعیت ربات کوچ — همهٔ کانال‌ها (@kooch_demo) — ")
    assert "✅ با پیکربندی یکسان است" in persian.status
    assert persian.campaign_question.startswith("یادآوری بالا برای ۱ گیرنده فرستاده شود: ")
    assert "📨 پویش یادآوری #۱: در حال آغاز" in persian.progress
    # Sent or not yet, depending on when the progress was drawn; in Persian digits either way.
    assert re.search("✅ فرستاده [۰۱] · ❌ ناموفق ۰ · 🚫 دست‌نیافتنی ۰ · ⏳ مانده [۰۱] از ۱", persian.progress)
    assert persian.final.startswith("📨 پویش یادآوری #۱ پس از ")
    assert "✅ فرستاده: ۱ از ۱" in persian.final
    assert persian.campaigns.startswith("📨 پویش‌های یادآوری")
    assert persian.unknown_channel == "کانال ناشناختهٔ «nosuch». کانال‌های شناخته: demo (@kooch_demo)"


async def test_a_persian_operator_reads_solar_hijri_dates_and_persian_digits(
    persian: Session, sim: BotAPISimulator
) -> None:
    replies = [m for m in sim.messages(OPERATOR_ID) if m.from_bot]
    stats = next(m for m in replies if "📊" in plain(m.text or ""))
    dates = re.findall(
        f"[{PERSIAN_DIGITS}]{{4}}-[{PERSIAN_DIGITS}]{{2}}-[{PERSIAN_DIGITS}]{{2}}", persian.stats
    )
    assert dates and set(dates) <= solar_hijri_today(stats.date)
    year = int(dates[0][:4].translate(str.maketrans(PERSIAN_DIGITS, "0123456789")))
    assert year == jdatetime.date.today().year or year == jdatetime.date.today().year - 1
    # No Latin digit anywhere but inside names and paths (a time zone, a config path, a hash).
    for text in (
        persian.help,
        persian.report,
        persian.stats,
        persian.progress,
        persian.final,
        persian.question,
    ):
        # (``in 2h`` and ``at 2025-06-01T18:00`` in the help are syntax to type as it is.)
        stray = [t for t in text.split() if LATIN_DIGIT.search(t) and not re.search(r"[/:@._a-zA-Z]|^\[", t)]
        assert stray == [], text


async def test_an_english_operator_reads_english_with_latin_digits(english: Session) -> None:
    assert english.help.startswith("Operator commands:\n/preview [channel] — the announcement exactly")
    assert english.preview[0] == "Preview for @kooch_demo (Persian):"
    # The announcement itself is the channel's, in Persian.
    assert english.preview[1].startswith("📢 این کانال در تلگرام ادامه نمی‌دهد.")
    assert english.question == "Post the announcement above to all channels (@kooch_demo)?"
    assert english.confirm_toast == "Posting…"
    assert english.report == "✅ @kooch_demo: posted (message 1), pinned"
    assert re.match(r"📊 Kooch — all channels — 20\d\d-\d\d-\d\d \d\d:\d\d \(Tehran time\)\n", english.stats)
    assert "Users who started the bot: 1" in english.stats
    assert "👥 members: 1,000; moved ≥ 0.0%" in english.stats
    assert english.chart_caption == "📈 0 moved"
    assert "✅ matches the config" in english.status
    assert english.campaign_question.startswith("Send the reminder above to 1 recipient: ")
    assert "📨 Reminder campaign #1: starting" in english.progress
    assert re.search(
        "✅ sent [01] · ❌ failed 0 · 🚫 unreachable 0 · ⏳ remaining [01] of 1", english.progress
    )
    assert english.final.startswith("📨 Reminder campaign #1 🏁 finished after ")
    assert english.unknown_channel == "Unknown channel 'nosuch'. Known channels: demo (@kooch_demo)"
    assert not any(c in text for text in english.everything for c in PERSIAN_DIGITS)
    # Right-to-left marks only in Persian texts (the channel's post, its button, the reminder).
    assert all(re.search("[\u0600-\u06ff]", t) for t in english.everything if "\u200f" in t)


async def test_the_configs_choice_wins_over_the_telegram_app(
    sim: BotAPISimulator, channel: SimChat, tmp_path: Path
) -> None:
    """An operator whose app is in English but who chose Persian in the config reads Persian."""
    operator = sim.add_user("Operator", "en", user_id=OPERATOR_ID)
    path = kooch_config(tmp_path, operators=[{"id": OPERATOR_ID, "language": "fa"}])
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        reply = await say(sim, operator, "/status nosuch")
        assert plain(reply.text) == "کانال ناشناختهٔ «nosuch». کانال‌های شناخته: demo (@kooch_demo)"
        # Someone who is no operator is refused in the words a subscriber of theirs would get:
        # English for an English app, the config's default language (Persian) for a German one.
        english = sim.add_user("Stranger", "en")
        assert (
            await say(sim, english, "/status")
        ).text == "This command is for the channel's operators only."
        german = sim.add_user("Fremder", "de")
        assert (await say(sim, german, "/status")).text == "این فرمان تنها برای گردانندگان کانال است."


async def test_an_arabic_operator_with_an_arabic_channel(sim: BotAPISimulator, tmp_path: Path) -> None:
    sim.add_channel(username="kooch_ar", title="كوچ", member_count=1234)
    operator = sim.add_user("مشرف", "ar-EG", user_id=OPERATOR_ID)
    config = base_config(tmp_path)
    config["channels"] = [{"chat": "@kooch_ar", "key": "arabic", "language": "ar", "pin": True}]
    config["default_language"] = "ar"
    config["texts"] = {"ar": builtin_texts("ar")}
    config["services"] = [
        {"key": "soroush", "name": {"ar": "سروش", "en": "Soroush"}, "url": "https://splus.ir/kooch_ar"}
    ]
    async with running_bot(
        write_config(tmp_path / "config.yaml", config), sim.token, sim.url, poll_timeout=1
    ):
        sent = await sim.send_text(operator, "/announce")
        question = await sim.wait_for_message(
            OPERATOR_ID,
            lambda m: any(d.startswith("announce:confirm:") for _, d in m.callback_buttons()),
            after=sent.message_id,
            timeout=10,
        )
        assert plain(question.text) == "هل يُنشر الإعلان أعلاه في كل القنوات (@kooch_ar)؟"
        assert question.button_texts() == [["📢 انشر", "إلغاء"]]
        answer = await press(sim, operator, OPERATOR_ID, question, callback_of(question, "announce:confirm:"))
        assert answer.text == "جارٍ النشر…"
        report = await sim.wait_for_message(
            OPERATOR_ID, lambda m: m.message_id == question.message_id and not m.callback_buttons()
        )
        assert plain(report.text) == "✅ @kooch_ar: نُشر (الرسالة ١) وثُبّت"
        stats = await say(sim, operator, "/stats")
        assert stats.text is not None
        assert "👥 الأعضاء: ١٬٢٣٤؛ انتقل ≥ ٠٫٠٪" in plain(stats.text)
        # Arabic dates are Gregorian, in Arabic-Indic digits.
        assert re.search(f"— [{ARABIC_DIGITS}]{{4}}-[{ARABIC_DIGITS}]{{2}}-", plain(stats.text))
        assert_reads_right([stats.text])
        status = await say(sim, operator, "/status")
        assert status.text is not None and plain(status.text).startswith(
            "📡 حالة كوچ — كل القنوات (@kooch_ar) — "
        )
        assert latin_runs(status.text, {"arabic", "Asia", "Tehran"}) == []


async def test_a_persian_operators_reload_is_answered_in_persian(
    sim: BotAPISimulator, channel: SimChat, tmp_path: Path
) -> None:
    operator = sim.add_user("گرداننده", "fa", user_id=OPERATOR_ID)
    path = kooch_config(tmp_path)
    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        reply = await say(sim, operator, "/reload")
    assert plain(reply.text) == f"بی‌تغییر: {path} همان نسخهٔ برقرار است."
    assert latin_runs(reply.text or "") == []
    assert_reads_right([reply.text or ""])


SECOND_ID = 4343
BALE_ENV = "KOOCH_TEST_BALE_TOKEN"


async def test_a_persian_operator_reads_link_checks_approval_and_arrivals_in_persian(
    sim: BotAPISimulator, channel: SimChat, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Link-check verdicts under /preview and /announce, a four-eyes request and its approval,
    and the arrivals lines of /stats: all in Persian, for a Persian operator (their app's
    language) and a second one (the config's choice, so the notices before their first press
    are Persian too, and win over their app's Arabic)."""
    operator = sim.add_user("گرداننده", "fa", user_id=OPERATOR_ID)
    # Their app is in Arabic (their /start is answered in it); the config's Persian wins for operators.
    second = sim.add_user("دومی", "ar", user_id=SECOND_ID)
    first_reader, second_reader = Reader(sim, operator), Reader(sim, second)
    async with (
        BotAPISimulator(token="777000:BALE-secret-token", bot_username="kooch_bale_bot") as bale,
        serving(Seen()) as site,
    ):
        bale.add_channel(username="kooch_bale", title="کوچ در بله", member_count=10)
        monkeypatch.setenv(BALE_ENV, bale.token)
        raw = base_config(tmp_path)
        raw["operators"] = [OPERATOR_ID, {"id": SECOND_ID, "language": "fa"}]
        raw["approval"] = 2
        raw["link_checks"] = True
        raw["services"][0]["url"] = f"{site}/ok"
        raw["services"][1]["url"] = f"{site}/status/404"
        raw["services"].append(
            {
                "key": "bale",
                "name": {"fa": "بله", "en": "Bale"},
                "url": f"{site}/ok",
                "arrivals": {"api": bale.url, "chat": "@kooch_bale", "token_env": BALE_ENV},
            }
        )
        path = write_config(tmp_path / "config.yaml", raw)
        async with running_bot(path, sim.token, sim.url, poll_timeout=1) as app:
            await services_of(app).arrivals.wait_idle()  # the reading at start-up
            await say(sim, second, "/start")  # a bot cannot write first to someone
            _header, _post, verdicts = await say_and_collect(sim, operator, "/preview", 3)
            assert plain(verdicts.text) == plain(
                "\n".join(
                    [
                        "🔗 پیوندها، همین الان بررسی شد: ۲ سالم، ۱ پیوند خراب",
                        f"• سروش (پیوند) {site}/ok: ✅ سالم",
                        f"• گپ (پیوند) {site}/status/404: ❌ HTTP ۴۰۴",
                        f"• بله (پیوند) {site}/ok: ✅ سالم",
                    ]
                )
            )

            question = await ask_announce(sim, operator)
            assert [t for t, _ in question.callback_buttons()] == ["⚠️ 📢 بفرست با وجود ۱ پیوند خراب", "لغو"]
            toast = await first_reader.press(question, "announce:confirm:")
            assert toast == "برخی پیوندها خراب‌اند: دوباره تأیید کنید."
            again = await sim.wait_for_message(
                operator.id, lambda m: m.message_id == question.message_id and bool(m.edits)
            )
            assert again.text is not None
            assert plain(again.text).startswith("⚠️ اعلان ۱ پیوند خراب دارد: مشترکانی که آن را بزنند")
            assert await first_reader.press(again, "announce:anyway:") == "برای تأیید فرستاده شد."
            waiting = await sim.wait_for_message(
                operator.id, lambda m: m.message_id == question.message_id and not m.callback_buttons()
            )
            assert plain(waiting.text or "").startswith(
                "🔐 درخواست #۲ برای ۱ گردانندهٔ دیگر فرستاده شد: به محض تأیید او انجام می‌شود"
            )

            request = await sim.wait_for_message(
                second.id, lambda m: any(d.startswith("approval:") for _, d in m.callback_buttons())
            )
            asked = plain(request.text or "")
            assert_reads_right([request.text or ""])
            assert asked.startswith("🔐 تأیید لازم است (#۲): گرداننده درخواست فرستادن اعلان (demo) را دارد.")
            assert f"• گپ (پیوند) {site}/status/404: ❌ HTTP ۴۰۴" in asked
            assert [t for t, _ in request.callback_buttons()] == ["✅ تأیید", "✖️ رد"]
            assert await second_reader.press(request, "approval:approve:") == "تأیید شد: در حال انجام…"
            approved = await sim.wait_for_message(
                second.id, lambda m: m.message_id == request.message_id and not m.callback_buttons()
            )
            assert plain(approved.text or "").startswith("✅ درخواست #۲ را تأیید کردید:\n")
            told = await sim.wait_for_message(
                operator.id, lambda m: "را دومی تأیید کرد" in plain(m.text or "")
            )
            assert plain(told.text or "").startswith("✅ درخواست #۲ (فرستادن اعلان (")
            assert len(sim.messages(channel.id)) == 1  # posted once, on the second's approval

            sent = await sim.send_text(operator, "/stats")
            stats = await reply_after(sim, operator, sent.message_id, "📊")
            lines = plain(stats.text or "").splitlines()
            at = lines.index("🛬 تازه‌واردها: اعضای هر کانال مقصد")
            assert lines[at + 1] == "  • بله (@kooch_bale): ۱۰ عضو (±۰ از زمان اعلان)"
    names = {"demo", "Asia", "Tehran", "url", "HTTP", "soroush", "gap", "bale"}
    everything = first_reader.texts() + second_reader.texts()
    offending = {text: latin_runs(text, names) for text in everything if latin_runs(text, names)}
    assert offending == {}
    assert_reads_right(everything)
