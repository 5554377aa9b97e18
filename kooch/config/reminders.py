"""Readers of ``campaigns:`` (how fast reminder campaigns send) and ``reminders:`` (the scheduled ones).

A reminder's ``at`` is a date and time in the config's ``timezone`` (unless it gives its own
offset), Gregorian (``2025-06-01T09:00``) or Solar Hijri (``1404-03-11 09:00``) as operators type them,
kept as Unix time; two reminders for the same time and audience are one mistake, not two sends.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kooch.config.checker import Checker, kind_of, known_list
from kooch.config.model import FREE_BROADCAST_PER_S, CampaignSettings, Channel, ReminderConfig
from kooch.i18n.date_input import Unreadable, read_moment
from kooch.telegram import limits

CAMPAIGN_KEYS = ("rate_per_s", "in_flight", "grace_minutes", "progress_every_s", "paid")
REMINDER_KEYS = ("at", "text", "audience", "channel", "language")


def read_campaign_settings(ck: Checker, top: dict[str, Any]) -> CampaignSettings:
    m = ck.mapping(top.get("campaigns") or {}, "campaigns", CAMPAIGN_KEYS)
    default = CampaignSettings()
    rate = ck.number(m, "rate_per_s", "campaigns", default.rate_per_s, minimum=0.1, maximum=1000)
    in_flight = ck.number(m, "in_flight", "campaigns", default.in_flight, minimum=1, maximum=64)
    if in_flight != int(in_flight):
        ck.error("campaigns.in_flight", f"must be a whole number, not {in_flight:g}")
    grace = ck.number(m, "grace_minutes", "campaigns", default.grace_s / 60, minimum=0, maximum=7 * 1440)
    every = ck.number(m, "progress_every_s", "campaigns", default.progress_every_s, minimum=1, maximum=60)
    paid = ck.boolean(m, "paid", "campaigns", default.paid)
    if rate > FREE_BROADCAST_PER_S and not paid:
        ck.error(
            "campaigns.rate_per_s",
            f"is {rate:g} messages a second; Telegram answers 429 Too Many Requests above about "
            f"{FREE_BROADCAST_PER_S:g} a second unless the bot pays for the broadcast "
            "(allow_paid_broadcast, 0.1 Star a message from its balance): set campaigns.paid: true, "
            f"or at most {FREE_BROADCAST_PER_S:g}",
            "unpaid_rate",
            rate=f"{rate:g}",
        )
    return CampaignSettings(rate, int(in_flight), grace * 60, every, paid)


def read_reminders(
    ck: Checker, top: dict[str, Any], timezone: str, languages: set[str], channels: list[Channel]
) -> tuple[ReminderConfig, ...]:
    value = top.get("reminders")
    if value is None:
        return ()
    if not isinstance(value, list):
        ck.error("reminders", f"must be a list of reminders (each with at: and text:), not {kind_of(value)}")
        return ()
    out: list[ReminderConfig] = []
    seen: dict[tuple[float, str, str | None, str | None], int] = {}
    for i, item in enumerate(value):
        path = f"reminders[{i}]"
        m = ck.mapping(item, path, REMINDER_KEYS)
        if not m:
            continue
        raw_at = m.get("at")
        at: float | None = None
        # YAML reads an unquoted 2025-06-01 09:00:00 as a datetime, and 1404-03-11 as a date.
        if isinstance(raw_at, date):
            raw_at = raw_at.isoformat()
        if not isinstance(raw_at, str):
            ck.error(f"{path}.at", "is required: an ISO time such as '2025-06-01T09:00' (in timezone)")
        else:
            # Solar Hijri or Gregorian, as operators type dates in chat (kooch.i18n.date_input).
            when = read_moment(raw_at, timezone)
            if isinstance(when, Unreadable):
                ck.error(f"{path}.at", f"'{raw_at}' is not an ISO time such as '2025-06-01T09:00'")
            else:
                at = when.moment.timestamp()
        texts: dict[str, str] = {}
        raw_text = m.get("text")
        if isinstance(raw_text, str) and raw_text.strip():
            texts["*"] = raw_text
        elif isinstance(raw_text, dict) and raw_text:
            for lang, text in raw_text.items():
                if str(lang) not in languages:
                    ck.error(
                        f"{path}.text.{lang}",
                        f"'{lang}' has no texts; known: {known_list(languages)}",
                        "no_texts",
                        value=str(lang),
                        known=known_list(languages),
                    )
                elif not isinstance(text, str) or not text.strip():
                    ck.error(f"{path}.text.{lang}", f"must be a non-empty text, not {kind_of(text)}")
                else:
                    texts[str(lang)] = text
        else:
            ck.error(f"{path}.text", "is required: a text, or one per language like {fa: ..., en: ...}")
        for lang, text in texts.items():
            if len(text) > limits.MAX_TEXT_LENGTH:
                where = f"{path}.text" if lang == "*" else f"{path}.text.{lang}"
                ck.error(where, f"is {len(text)} characters; Telegram allows {limits.MAX_TEXT_LENGTH}")
        audience = ck.string(m, "audience", path, required=False) or "unmoved"
        if audience not in ("unmoved", "all"):
            ck.error(f"{path}.audience", f"'{audience}' must be unmoved (the default) or all")
        channel = ck.string(m, "channel", path, required=False)
        if channel is not None and not any(c.key == channel for c in channels):
            known = ", ".join(c.key for c in channels)
            ck.error(f"{path}.channel", f"'{channel}' is not a channel key; known: {known}")
        language = ck.string(m, "language", path, required=False)
        if language is not None and language not in languages:
            ck.error(
                f"{path}.language",
                f"'{language}' has no texts; known: {known_list(languages)}",
                "no_texts",
                value=language,
                known=known_list(languages),
            )
        if at is None or not texts:
            continue
        identity = (at, audience, channel, language)
        if identity in seen:
            ck.error(path, f"is the same time and audience as reminders[{seen[identity]}]")
            continue
        seen[identity] = i
        out.append(ReminderConfig(at, texts, audience, channel, language, str(raw_at)))
    return tuple(out)
