"""The exact words of /stats and /audit (kooch.insight.stats, kooch.insight.audit).

Every wording function with fixed inputs and the full text expected, so a change of wording is
a change of this file too."""

from __future__ import annotations

from kooch.actions.registry import record_words
from kooch.insight.audit import format_audit
from kooch.insight.clicks import ServiceClicks
from kooch.insight.stats import ChannelFigures, Stats
from kooch.insight.wording import format_stats
from kooch.operators.audit import AuditEntry, Record, Step
from kooch.subscribers.store import AckCounts
from tests.bidi_kit import assert_reads_right, plain
from tests.wording_kit import ANNOUNCEMENT, CONFIG, DEMO, NEWS, NOW, TZ, at

# kooch.insight: /stats and /audit


def test_format_stats_without_click_counting() -> None:
    figures = [
        ChannelFigures(DEMO, AckCounts(250, 12), 1000, None, ANNOUNCEMENT),
        ChannelFigures(NEWS, AckCounts(3, 0), None, "Too Many Requests: retry after 5", None),
    ]
    assert plain(format_stats(CONFIG, Stats(figures, 1234, NOW), False)) == plain(
        "\n".join(
            [
                "📊 Kooch — all channels — 2025-06-15 18:30 (Tehran time)",
                "Users who started the bot: 1,234",
                "",
                "@kooch_demo (Persian)",
                "  ✅ moved: 250 (last 24 h: 12)",
                "  👥 members: 1,000; moved ≥ 25.0% (a lower bound: only those who tapped are counted)",
                "  📢 announcement: message 7, posted 2025-06-14 09:05",
                "",
                "news (-1001234) (English)",
                "  ✅ moved: 3 (last 24 h: 0)",
                "  👥 members: unknown (Telegram is rate-limiting the bot; try again in a minute.)",
                "  📢 no announcement posted yet (/announce)",
                "",
                "Services: Soroush, Gap",
                "Per-service figures need click counting: set web.public_url in the config "
                "(the moved button does not say which service).",
                "Total moved: 253",
            ]
        )
    )


def test_format_stats_of_one_channel_with_clicks() -> None:
    figures = [ChannelFigures(DEMO, AckCounts(250, 12), 0, None, None, clicks=400)]
    stats = Stats(figures, 1234, NOW, {"soroush": ServiceClicks(300, 5)})
    assert plain(format_stats(CONFIG, stats, True)) == plain(
        "\n".join(
            [
                "📊 Kooch — @kooch_demo — 2025-06-15 18:30 (Tehran time)",
                "Users who started the bot: 1,234",
                "",
                "@kooch_demo (Persian)",
                "  ✅ moved: 250 (last 24 h: 12)",
                "  👥 members: 0; moved ≥ 0.0% (a lower bound: only those who tapped are counted)",
                "  🔻 funnel: 0 members → 400 clicks → 250 moved",
                "  📢 no announcement posted yet (/announce)",
                "",
                "🔗 Clicks per service (people; bots and link previews beside):",
                "  • Soroush: 300 (+5 bots)",
                "  • Gap: 0 (+0 bots)",
                "Clicks are link opens, not people: one person may open a link twice.",
            ]
        )
    )
    assert stats.members == {"demo": 0}


def test_format_audit() -> None:
    entries = [
        AuditEntry(1, at(15, 9, 0), 4242, "moved", "/moved demo", "asked to confirm #3"),
        AuditEntry(2, at(15, 9, 1), 0, "retention", "d" * 100, "deleted 2 acknowledgements, 0 starts"),
        AuditEntry(3, at(15, 9, 2), None, "stats", "", "refused: not an operator", "0123456789abcdef"),
    ]
    assert plain(format_audit(entries, TZ)) == [
        "🧾 Last 3 operator actions, oldest first (Tehran time):\n"
        "2025-06-15 09:00 · 4242 · moved · /moved demo → asked to confirm #3\n"
        f"2025-06-15 09:01 · system · retention · {'d' * 79}… → deleted 2 acknowledgements, 0 starts\n"
        "2025-06-15 09:02 · user:0123456789abcdef · stats · (text not kept) → refused: not an operator"
    ]
    assert format_audit([], TZ) == ["The audit log is empty."]
    many = [AuditEntry(i, at(15, 9, 0), 4242, "stats", "/stats", "x" * 60) for i in range(200)]
    messages = format_audit(many, TZ)
    assert len(messages) > 1 and all(len(m) <= 4096 for m in messages)
    assert sum(m.count("→") for m in messages) == 200


def test_format_audit_says_a_gated_action_record_in_the_readers_words() -> None:
    approved = Record("moved", Step.APPROVED, 16, 5151, ("demo:moved", "news:not-moved"), ())
    asked = Record("schedule", Step.ANSWERED, codes=("bad-time",))
    entries = [
        AuditEntry(
            1,
            at(15, 9, 0),
            4343,
            "approval:approve",
            "approval:approve:16",
            approved.summary(),
            None,
            approved,
        ),
        AuditEntry(2, at(15, 9, 1), 4242, "announce", "/announce in soon", asked.summary(), None, asked),
    ]
    (english,) = format_audit(entries, TZ, "en", record_words)
    assert plain(english).splitlines()[1:] == [
        "2025-06-15 09:00 · 4343 · the moved state: approved #16, asked by 5151"
        " — demo: moved state set, news: moved state not set",
        "2025-06-15 09:01 · 4242 · a scheduled announcement: nothing to confirm"
        " — a time Kooch could not read",
    ]
    (persian,) = format_audit(entries, TZ, "fa", record_words)
    assert plain(persian).splitlines()[1:] == [
        "۱۴۰۴-۰۳-۲۵ ۰۹:۰۰ · ۴۳۴۳ · حالت کوچ: #۱۶ را که ۵۱۵۱ خواسته بود تأیید کرد"
        " — demo: حالت کوچ برقرار شد، news: حالت کوچ برقرار نشد",
        "۱۴۰۴-۰۳-۲۵ ۰۹:۰۱ · ۴۲۴۲ · اعلان زمان‌بندی‌شده: چیزی برای تأیید نبود — زمانی که ربات نتوانست بخواند",
    ]
    assert_reads_right([persian])
