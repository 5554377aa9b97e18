"""Operator insight: /stats (the summary, then the chart), /export, /audit, and the daily retention job.

Thin like the other handler modules: parse, call :mod:`kooch.insight.charts`, :mod:`kooch.insight.export` or
:class:`~kooch.insight.store.InsightStore`, reply. The slow parts (drawing a chart, writing a
million CSV rows) run in worker threads, so every other update keeps being answered meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CommandHandler

from kooch.actions.registry import record_words
from kooch.config import Channel, Config
from kooch.handlers.context import KoochContext
from kooch.handlers.guards import PRIVATE, language_of, operator_only, target_channels
from kooch.i18n import format_number, gettext, ngettext, paragraph
from kooch.i18n.date_input import Unreadable, explain, normalise, read_moment
from kooch.i18n.dates import echo, typed_example, zone_name
from kooch.insight.audit import format_audit
from kooch.insight.export import ExportRequest, ExportTooLarge, describe, write_export
from kooch.insight.pseudonym import PseudonymKeyError, pseudonymizer
from kooch.insight.stats import Stats, gather_stats
from kooch.insight.wording import format_stats
from kooch.operators.wording import channels_phrase
from kooch.telegram.limits import MAX_CAPTION_LENGTH, fit

log = logging.getLogger(__name__)

AUDIT_DEFAULT, AUDIT_MAX = 20, 200
DAY_S = 86400.0


def export_usage(language: str, tz: str, now: float) -> str:
    """How to say what to export; the example date is a week back, in the reader's calendar."""
    text = gettext(
        language,
        "Usage: /export [channel] [since]\n"
        "since: a date ({example}, {zone} time) or a span back from now (7d, 12h).\n"
        "Without a channel: all channels; without since: everything.",
    )
    example = typed_example(now, tz, language, days=-7, time=False)
    lines = text.format(example=example, zone=zone_name(tz, language)).splitlines()
    return "\n".join(paragraph(line, language) for line in lines)


# --------------------------------------------------------------------------------------------
# /stats: the summary, then the chart


async def send_stats_chart(update: Update, context: KoochContext, stats: Stats, named: bool = False) -> None:
    """Send the /stats chart: cumulative acknowledgements and the funnel of the channels in
    ``stats`` (their member counts are the summary's: Telegram is asked once)."""
    # Imported on first use: matplotlib costs ~0.5 s and ~30 MB, which `check` and a bot whose
    # operators never ask for /stats need not pay.
    from kooch.insight.charts import build_chart_data, render_png

    message = update.effective_message
    channels = [f.channel for f in stats.figures]
    if message is None or not channels:
        return
    config = context.config
    insight = context.kooch.insight
    keys = [c.key for c in channels]
    clicks = await insight.clicks_by_channel(keys)
    now = stats.now
    data = build_chart_data(
        config,
        channels,
        await insight.chart_slots(keys, await insight.first_announcement(keys), now),
        {key: c.humans for key, c in clicks.items()},
        stats.members,
        now,
        language_of(update, context),
        named,
        stats.member_series,
        stats.announced_at,
        {f.channel.key: f.audience for f in stats.figures},
        arrived=stats.arrived,
        verified=stats.verified,
    )
    await context.bot.send_chat_action(message.chat_id, ChatAction.UPLOAD_PHOTO)
    png = await asyncio.to_thread(render_png, data)
    language = language_of(update, context)
    caption = ngettext(language, "📈 {n} moved", "📈 {n} moved", data.total).format(
        n=format_number(data.total, language)
    )
    await message.reply_photo(
        png, filename="kooch-stats.png", caption=fit(paragraph(caption, language), MAX_CAPTION_LENGTH)
    )


# --------------------------------------------------------------------------------------------
# /export


def parse_since(text: str, tz: str, now: float) -> float | Unreadable:
    """``7d`` or ``12h`` back from ``now``, or a date as :func:`~kooch.i18n.date_input.read_moment`
    reads it (Solar Hijri or Gregorian, any digits; a date alone is its midnight in ``tz``)."""
    span = re.fullmatch(r"(\d{1,4})([dh])", text.strip().lower())
    if span:
        n, unit = int(span.group(1)), span.group(2)
        return now - n * (DAY_S if unit == "d" else 3600.0)
    typed = read_moment(text, tz)
    return typed if isinstance(typed, Unreadable) else typed.moment.timestamp()


#: A time of day typed after a date, as its own word (``/export 1405-09-01 08:30``).
_TIME_WORD = re.compile(r"\d{1,2}:\d{2}")


def parse_export_args(
    config: Config, args: Sequence[str], now: float, language: str = "en"
) -> tuple[list[Channel], float | None] | str:
    """The channels and start of an export, or the message explaining what is wrong."""
    channels: list[Channel] | None = None
    since: float | None = None
    words = list(args)
    while words:
        arg = words.pop(0)
        channel = config.channel(arg)
        if channel is not None and channels is None:
            channels = [channel]
            continue
        if words and _TIME_WORD.fullmatch(normalise(words[0])):
            arg = f"{arg} {words.pop(0)}"
        when = parse_since(arg, config.timezone, now)
        if isinstance(when, float) and since is None:
            since = when
            continue
        if isinstance(when, Unreadable) and when.problem != "shape":
            example = typed_example(now, config.timezone, language, days=-7, time=False)
            return paragraph(explain(when, example, language), language)
        known = gettext(language, ", ").join(c.key for c in config.channels)
        problem = gettext(language, "I do not understand '{arg}'. Channels: {known}.").format(
            arg=arg, known=known
        )
        return paragraph(problem, language) + "\n" + export_usage(language, config.timezone, now)
    return (channels if channels is not None else list(config.channels)), since


@operator_only("stats")
async def stats(update: Update, context: KoochContext) -> str:
    message = update.effective_message
    assert message is not None
    config = context.config
    language = language_of(update, context)
    targets = await target_channels(message, config, context.args or [], language)
    if targets is None:
        return "unknown channel"
    channels, named = targets
    kooch = context.kooch
    gathered = await gather_stats(
        kooch.subscribers,
        kooch.announcements,
        kooch.clicks,
        kooch.gateway,
        config,
        channels,
        named,
        kooch.clock.now(),
        kooch.arrivals,
        across=kooch.across.store,
        insight=kooch.insight,
    )
    await message.reply_text(format_stats(config, gathered, named, language))
    # Then the chart.
    await send_stats_chart(update, context, gathered, named)
    return f"stats for {channels_phrase(channels, named)}"


@operator_only("export")
async def export(update: Update, context: KoochContext) -> str:
    message = update.effective_message
    assert message is not None
    config = context.config
    now = context.kooch.clock.now()
    language = language_of(update, context)
    parsed = parse_export_args(config, context.args or [], now, language)
    if isinstance(parsed, str):
        await message.reply_text(parsed)
        return "bad arguments"
    channels, since = parsed
    user_ids = config.privacy.export_user_ids
    data_dir = context.store.files
    try:
        pseudonymize = None if user_ids else pseudonymizer(data_dir)
    except PseudonymKeyError as exc:
        # The reason is the key's own words, for the admin who fixes it.
        await message.reply_text(
            paragraph(gettext(language, "Export refused: {reason}").format(reason=exc), language)
        )
        return "refused: no pseudonym key"
    await context.bot.send_chat_action(message.chat_id, ChatAction.UPLOAD_DOCUMENT)
    stamp = datetime.fromtimestamp(now, ZoneInfo(config.timezone)).strftime("%Y%m%d-%H%M")
    with tempfile.TemporaryDirectory(prefix="kooch-export-") as tmp:
        request = ExportRequest(
            database=context.store.path,
            database_url=context.store.url,
            channels=tuple(c.key for c in channels),
            since=since,
            timezone=config.timezone,
            user_ids=user_ids,
            pseudonymize=pseudonymize,
            out_dir=Path(tmp),
            stem=f"kooch-{stamp}",
        )
        try:
            result = await asyncio.to_thread(write_export, request)
        except ExportTooLarge as exc:
            sent = gettext(language, "Export not sent: {reason}").format(reason=exc)
            await message.reply_text(paragraph(sent, language))
            return "too large"
        # The start said back in the reader's calendar, with how long ago it is.
        since_text = echo(since, now, config.timezone, language) if since is not None else None
        caption = fit(describe(result, [c.label for c in channels], since_text, language), MAX_CAPTION_LENGTH)
        for i, part in enumerate(result.files):
            data = await asyncio.to_thread(part.path.read_bytes)
            await message.reply_document(data, filename=part.filename, caption=caption if i == 0 else None)
    who = "user ids" if user_ids else "pseudonymised"
    return f"exported {result.acks.rows} acks, {result.clicks.rows} click rows ({who})"


# --------------------------------------------------------------------------------------------
# /audit


@operator_only("audit")
async def audit(update: Update, context: KoochContext) -> str:
    message = update.effective_message
    assert message is not None
    args = context.args or []
    limit = AUDIT_DEFAULT
    language = language_of(update, context)
    if args:
        if len(args) > 1 or not args[0].isdigit() or not 1 <= int(args[0]) <= AUDIT_MAX:
            usage = gettext(language, "Usage: /audit [N], N from 1 to {max} (default {default}).").format(
                max=format_number(AUDIT_MAX, language), default=format_number(AUDIT_DEFAULT, language)
            )
            await message.reply_text(paragraph(usage, language))
            return "bad arguments"
        limit = int(args[0])
    entries = await context.kooch.audit.recent(limit)
    for text in format_audit(entries, context.config.timezone, language, record_words):
        await message.reply_text(text)
    return f"listed {len(entries)}"


HANDLERS: list[BaseHandler[Update, KoochContext, None]] = [
    CommandHandler("stats", stats, filters=PRIVATE),
    CommandHandler("export", export, filters=PRIVATE),
    CommandHandler("audit", audit, filters=PRIVATE),
]
