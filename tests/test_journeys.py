"""The day as people see it: one journey through Kooch with two operators (one Persian, one English)
and subscribers in Persian, English and Arabic, the real bot against the simulator over HTTP.

First contact, the "/" menu, preview, announce, a tap in the channel, a deep link and its button,
a typo from each side, a schedule while the channel already has a post, /stats with its chart.
Every message, button and toast is laid out by the Unicode Bidirectional Algorithm (the autouse
``laid_out_right`` fixture in conftest.py, and here once more per message that matters), and what
each person reads is checked by its words.
"""

from __future__ import annotations

from pathlib import Path

from kooch.simulator import BotAPISimulator, SimChat, SimMessage
from tests.bidi_kit import assert_reads_right, plain, screen
from tests.kit import (
    GAP_URL,
    OPERATOR_ID,
    SOROUSH_URL,
    ask_announce,
    base_config,
    callback_of,
    press,
    query,
    running_bot,
    say,
    say_and_collect,
    write_config,
)

SECOND_ID = OPERATOR_ID + 1


def read(*messages: SimMessage) -> list[str]:
    """What a person reads: each message laid out right (asserted), as words without controls."""
    texts = [m.text or m.caption or "" for m in messages]
    assert_reads_right(texts)
    for text in texts:  # shown with pytest -s, for a person to read
        print("\n".join(screen(text)), end="\n\n")
    return [plain(t) for t in texts]


async def test_the_day_in_persian_english_and_arabic(
    sim: BotAPISimulator, channel: SimChat, tmp_path: Path
) -> None:
    config = base_config(tmp_path)
    config["operators"] = [{"id": OPERATOR_ID, "language": "fa"}, {"id": SECOND_ID, "language": "en"}]
    config["services"][0]["handle"] = "@kooch_demo"
    config["services"][1]["handle"] = "@kooch_gap"
    path = write_config(tmp_path / "config.yaml", config)
    fa_op = sim.add_user("Nasrin", "fa", user_id=OPERATOR_ID)
    en_op = sim.add_user("Sam", "en", user_id=SECOND_ID)
    sara = sim.add_user("Sara", "fa")
    john = sim.add_user("John", "en")
    layla = sim.add_user("Layla", "ar")

    async with running_bot(path, sim.token, sim.url, poll_timeout=1):
        # First contact: each operator is told they are one and what to do first.
        [fa_welcome] = read(await say(sim, fa_op, "/start"))
        assert "/preview" in fa_welcome and "/announce" in fa_welcome and "@kooch_demo" in fa_welcome
        [en_welcome] = read(await say(sim, en_op, "/start"))
        assert "operator" in en_welcome and en_welcome.index("/preview") < en_welcome.index("/announce")

        # The "/" menu a subscriber sees before START, in their language.
        await sim.wait_until(lambda: bool(sim.menu(None, "ar")), timeout=10, what="the Arabic menu")
        assert {"start", "links", "help", "forget"} <= {c for c, _ in sim.menu(None, "fa")}
        assert "stats" not in {c for c, _ in sim.menu(None, "en")}
        # An operator's own menu (set at their first /start; in the config's language for them).
        await sim.wait_until(lambda: bool(sim.menu(fa_op.id)), timeout=10, what="the operator's menu")
        assert "stats" in {c for c, _ in sim.menu(fa_op.id)}

        # Preview, then announce: the Persian post draws every handle and link whole.
        read(await say(sim, fa_op, "/preview"))
        question = await ask_announce(sim, fa_op)
        read(question)
        await press(sim, fa_op, fa_op.id, question, callback_of(question, "announce:confirm:"))
        await sim.wait_until(lambda: sim.last_message(channel.id) is not None, timeout=10, what="the post")
        post = sim.last_message(channel.id)
        assert post is not None
        [post_text] = read(post)
        assert any("(@kooch_demo)" in line for line in screen(post.text or ""))
        assert SOROUSH_URL in post_text and GAP_URL in post_text

        # A Persian subscriber taps "I've moved" under the post: a toast in Persian.
        toast = await press(sim, sara, channel.id, post, callback_of(post, "ack:"))
        read_toast = plain(toast.text or "")
        assert toast.text and not read_toast.isascii()

        # An English subscriber comes by the deep link: the channel's name, links and button.
        deep = await say(sim, john, "/start demo")
        [deep_text] = read(deep)
        assert "@kooch_demo" in deep_text and SOROUSH_URL in deep_text
        thanks = await press(sim, john, john.id, deep, callback_of(deep, "ack:demo"))
        assert thanks.text and plain(thanks.text).isascii()

        # An Arabic subscriber asks for the links and for help.
        [links] = read(await say(sim, layla, "/links"))
        assert SOROUSH_URL in links and "@kooch_gap" in links
        [help_ar] = read(await say(sim, layla, "/help"))
        assert "/forget" in help_ar and "/stats" not in help_ar

        # Typos get an answer, never silence: the nearest command of the person's own audience.
        [typo_op] = read(await say(sim, en_op, "/stat"))
        assert "/stats" in typo_op
        [typo_sub] = read(await say(sim, sara, "/linkz"))
        assert "/links" in typo_sub and "/stats" not in typo_sub

        # A schedule while the channel has its post: warned, and only an explicit second one offered.
        sent = await sim.send_text(fa_op, "/announce demo in 2m")
        scheduled = await sim.wait_for_message(
            fa_op.id,
            lambda m: any(d.startswith(("schedule:", "announce:")) for _, d in m.callback_buttons()),
            after=sent.message_id,
            timeout=10,
        )
        [warning] = read(scheduled)
        assert "@kooch_demo" in warning
        assert next(d.split(":")[1] for _, d in scheduled.callback_buttons()) == "second"

        # /stats: the text, then the chart, in Persian.
        stats, chart = await say_and_collect(sim, fa_op, "/stats", 2, timeout=30)
        read(stats, chart)
        assert chart.photo is not None

    # Both taps are in the database, one per person.
    assert sorted(query(tmp_path / "kooch.db", "SELECT user_id FROM acks")) == sorted(
        [(sara.id,), (john.id,)]
    )
