"""The words of reminders (``/remind``), in the reader's language: the progress, final and
resumed reports of a campaign, its line in the lists, the previews' labels and durations, the
cancel button and the notice of a missed reminder. Plain functions of plain data."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial

from kooch.campaigns.model import CampaignInfo, ReminderInfo, Tally, eta_s, text_for
from kooch.campaigns.preview import PreviewGroup, send_seconds
from kooch.config import Config
from kooch.i18n import (
    format_datetime,
    format_number,
    gettext,
    language_name,
    ngettext,
    paragraph,
    pgettext,
    to_digits,
)
from kooch.i18n.formats import zone_words
from kooch.operators.wording import operator_name
from kooch.telegram.post import Button, Post


def format_duration(seconds: float, language: str = "en") -> str:
    """``45 s``, ``2 min 05 s``, ``1 h 03 min`` in ``language``'s words and digits."""
    _ = partial(gettext, language)
    seconds = max(0, round(seconds))
    if seconds < 60:
        text = _("{s} s").format(s=seconds)
    elif seconds < 3600:
        text = _("{m} min {s} s").format(m=seconds // 60, s=f"{seconds % 60:02d}")
    else:
        text = _("{h} h {m} min").format(h=seconds // 3600, m=f"{seconds % 3600 // 60:02d}")
    return to_digits(text, language)


def campaign_state(state: str, language: str) -> str:
    """A campaign's state as operators read it (``running``, ``queued``…; others as stored)."""
    words = {
        "queued": pgettext(language, "campaign", "queued"),
        "starting": pgettext(language, "campaign", "starting"),
        "running": pgettext(language, "campaign", "running"),
        "done": pgettext(language, "campaign", "done"),
        "cancelled": pgettext(language, "campaign", "cancelled"),
    }
    return words.get(state, state)


def format_progress(
    campaign_id: int,
    tally: Tally,
    rate_per_s: float,
    *,
    state: str = "running",
    note: str = "",
    language: str = "en",
) -> str:
    """The progress message, edited every few seconds while the campaign runs."""
    _ = partial(gettext, language)

    def n(value: int) -> str:
        return format_number(value, language)

    lines = [
        _("📨 Reminder campaign #{id}: {state}").format(
            id=to_digits(str(campaign_id), language), state=campaign_state(state, language)
        )
    ]
    lines.append(
        _(
            "✅ sent {sent} · ❌ failed {failed} · 🚫 unreachable {unreachable}"
            " · ⏳ remaining {remaining} of {total}"
        ).format(
            sent=n(tally.sent),
            failed=n(tally.failed),
            unreachable=n(tally.unreachable),
            remaining=n(tally.remaining),
            total=n(tally.total),
        )
    )
    if tally.skipped:
        lines.append(
            _("↪️ skipped {skipped} (moved, blocked the bot or used /forget meanwhile)").format(
                skipped=n(tally.skipped)
            )
        )
    eta = eta_s(tally.remaining, rate_per_s)
    line = _("⚡ {rate} msg/s").format(rate=format_number(rate_per_s, language, decimals=1))
    if eta is not None and tally.remaining:
        line += _(" · ETA {duration}").format(duration=format_duration(eta, language))
    lines.append(line)
    if note:
        lines.append(note)
    return "\n".join(paragraph(line, language) for line in lines)


def resumed_note(resent: int, language: str) -> str:
    """The progress message's note on a campaign taken up again after a restart."""
    if not resent:
        return gettext(language, "↻ resumed after a restart")
    return ngettext(
        language,
        "↻ resumed after a restart ({n} send in flight at the stop was sent again)",
        "↻ resumed after a restart ({n} sends in flight at the stop were sent again)",
        resent,
    ).format(n=format_number(resent, language))


def format_final(
    campaign_id: int,
    tally: Tally,
    *,
    cancelled: bool,
    elapsed_s: float,
    resent: int,
    errors: Sequence[tuple[str, int]] = (),
    language: str = "en",
) -> str:
    """The final tally, posted when a campaign ends (done or cancelled)."""
    _ = partial(gettext, language)

    def n(value: int) -> str:
        return format_number(value, language)

    duration = format_duration(elapsed_s, language)
    if cancelled:
        head = _("📨 Reminder campaign #{id} 🛑 cancelled after {duration}.")
    else:
        head = _("📨 Reminder campaign #{id} 🏁 finished after {duration}.")
    lines = [head.format(id=to_digits(str(campaign_id), language), duration=duration)]
    lines.append(_("✅ sent: {sent} of {total}").format(sent=n(tally.sent), total=n(tally.total)))
    lines.append(_("❌ failed: {failed}").format(failed=n(tally.failed)))
    for reason, count in errors[:5]:
        lines.append(f"   • {n(count)} × {reason}")
    lines.append(
        _("🚫 unreachable (blocked the bot or deleted their account): {n}").format(n=n(tally.unreachable))
    )
    if tally.skipped:
        lines.append(
            _("↪️ skipped (moved, blocked or used /forget meanwhile): {n}").format(n=n(tally.skipped))
        )
    if cancelled and tally.remaining:
        lines.append(_("⏸ not sent because of the cancel: {n}").format(n=n(tally.remaining)))
    if resent:
        lines.append(
            ngettext(
                language,
                "⚠️ {n} send was in flight when Kooch stopped abruptly and was sent again: "
                "that user may have the reminder twice.",
                "⚠️ {n} sends were in flight when Kooch stopped abruptly and were sent again: "
                "those users may have the reminder twice.",
                resent,
            ).format(n=n(resent))
        )
    return "\n".join(paragraph(line, language) for line in lines)


def format_campaign_line(
    c: CampaignInfo,
    tally: Tally,
    tz: str,
    language: str = "en",
    names: Mapping[int, str] | None = None,
    *,
    clicks: int | None = None,
) -> str:
    """One campaign of /campaigns; ``names``: the operators' Telegram names, by user id;
    ``clicks``: people's clicks on its links (None: not counted)."""
    _ = partial(gettext, language)

    def n(value: int) -> str:
        return format_number(value, language)

    who = (
        operator_name(c.created_by, names or {}, language)
        if c.created_by is not None
        else _("scheduled reminder")
    )
    line = _(
        "#{id} {state} — {who}, {when} — {audience}: sent {sent}/{total}, failed {failed}, "
        "unreachable {unreachable}"
    ).format(
        id=to_digits(str(c.id), language),
        state=campaign_state(c.state, language),
        who=who,
        when=format_datetime(c.started_at or c.created_at, tz, language, numeric=True),
        audience=c.audience.describe(language=language),
        sent=n(tally.sent),
        total=n(tally.total),
        failed=n(tally.failed),
        unreachable=n(tally.unreachable),
    )
    if tally.remaining:
        line += _(", remaining {n}").format(n=n(tally.remaining))
    if clicks is not None:
        line += _(", clicks on its links {n}").format(n=n(clicks))
    return paragraph(line, language)


def format_reminder_line(r: ReminderInfo, tz: str, language: str = "en") -> str:
    _ = partial(gettext, language)
    state = {
        "scheduled": pgettext(language, "reminder", "scheduled"),
        "started": _("sent as campaign #{id}").format(id=to_digits(str(r.campaign_id), language)),
        "missed": _("MISSED (Kooch was down when it was due): send now or cancel"),
        "cancelled": pgettext(language, "reminder", "cancelled"),
    }.get(r.state, r.state)
    return paragraph(
        _("⏰ {when} ({tz}) — {audience} — {state}").format(
            when=format_datetime(r.due_at, tz, language, numeric=True),
            tz=zone_words(tz, language),
            audience=r.audience.describe(language=language),
            state=state,
        ),
        language,
    )


def preview_label(group: PreviewGroup, reader: str) -> str:
    """The line above a group's preview: ``👁 What 40 English readers get:``."""
    text = ngettext(
        reader,
        "👁 What {n} {language} reader gets:",
        "👁 What {n} {language} readers get:",
        group.readers,
    ).format(n=format_number(group.readers, reader), language=language_name(group.language, reader))
    return paragraph(text, reader)


def fallback_lines(groups: list[PreviewGroup], reader: str) -> list[str]:
    """One line per group whose text is not in its language: ``⚠️ 40 English readers will get the
    Persian text.``"""
    lines = []
    for g in groups:
        if g.in_their_language or g.text_language is None:
            continue
        text = ngettext(
            reader,
            "⚠️ {n} {language} reader will get the {text_language} text.",
            "⚠️ {n} {language} readers will get the {text_language} text.",
            g.readers,
        ).format(
            n=format_number(g.readers, reader),
            language=language_name(g.language, reader),
            text_language=language_name(g.text_language, reader),
        )
        lines.append(paragraph(text, reader))
    return lines


def duration_line(recipients: int, rate_per_s: float, reader: str) -> str:
    """How long a campaign takes, never less than it will: ``under a minute``, else whole minutes
    rounded up (``about 4 min``, ``about 1 h 05 min``)."""
    _ = partial(gettext, reader)
    rate = to_digits(f"{rate_per_s:g}", reader)
    seconds = send_seconds(recipients, rate_per_s)
    if seconds < 60:
        return paragraph(_("At {rate} messages/s it takes under a minute.").format(rate=rate), reader)
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        duration = _("{m} min").format(m=minutes)
    else:
        duration = _("{h} h {m} min").format(h=minutes // 60, m=f"{minutes % 60:02d}")
    return paragraph(
        _("At {rate} messages/s it takes about {duration}.").format(
            rate=rate, duration=to_digits(duration, reader)
        ),
        reader,
    )


def cancel_buttons(campaign_id: int, language: str = "en") -> tuple[tuple[Button, ...], ...]:
    """The Cancel button under a campaign's progress message."""
    return ((Button(gettext(language, "🛑 Cancel"), callback_data=f"campaign:cancel:{campaign_id}"),),)


def missed_reminder_post(config: Config, r: ReminderInfo, language: str) -> Post:
    """The operators' question about a reminder that fell due while Kooch was not running."""
    _ = partial(gettext, language)
    tz = config.timezone
    text = _(
        "⏰ A scheduled reminder was due at {when} ({tz}) while Kooch was not running; it was not sent. "
        "Audience: {audience}."
    ).format(
        when=format_datetime(r.due_at, tz, language, numeric=True),
        tz=zone_words(tz, language),
        audience=r.audience.describe(language=language),
    )
    buttons = (
        Button(_("📨 Send now"), callback_data=f"reminder:send:{r.key}"),
        Button(_("Cancel"), callback_data=f"reminder:cancel:{r.key}"),
    )
    return Post(
        paragraph(text, language)
        + "\n\n"
        + paragraph(text_for(r.texts, None, config.default_language), config.default_language),
        (buttons,),
    )
