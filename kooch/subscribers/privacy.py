"""The /privacy text, built from the config in force: what is kept, for how long, who sees it.

Pure functions of the config, so the reply changes the moment an admin changes
``privacy.retention_days``, ``privacy.export_user_ids`` or the operators, and never says
something the bot does not do. An admin's own ``texts.<lang>.privacy`` (when it differs from the
built-in one) is kept and shown first: a contact address, a legal notice.
"""

from __future__ import annotations

from kooch.config import Config
from kooch.config.texts import DEFAULT_TEXTS

_FACTS: dict[str, dict[str, str]] = {
    "en": {
        "head": "What Kooch keeps about you, and for how long:",
        "acks": (
            '• When you tap "I\'ve moved": your numeric Telegram id, first name, Telegram language, '
            "the time, the channel and where you came from."
        ),
        "starts": "• When you start the bot: your id, language, the time and where you came from.",
        "clicks": (
            "• Clicks on the channel's links: only the service, channel, source, time and kind of device; "
            "never who clicked."
        ),
        "keep_forever": "How long: until you send /forget.",
        "keep_days": (
            "How long: {days} days, then it is deleted automatically (send /forget to delete it sooner)."
        ),
        "counts": "Counts (how many moved each day) are kept without anything that identifies you.",
        "who": "Who sees it: only the channel's {operators} in this bot.",
        "one_operator": "operator",
        "many_operators": "{n} operators",
        "export_pseudonym": (
            "They can export the list of moves for the new channels' admins: in it you appear as a "
            "code, not your id (the same code every time, so duplicates can be removed); the code "
            "cannot be turned back into your id."
        ),
        "export_ids": (
            "They can export the list of moves for the new channels' admins, with your Telegram id in it."
        ),
        "forget": (
            "Send /forget to delete all of it now; after that no reminder from this bot reaches you "
            "and you are in no later export. Lists already exported cannot be called back."
        ),
    },
    "fa": {
        "head": "آنچه کوچ دربارهٔ شما نگه می‌دارد و تا کی:",
        "acks": (
            "• وقتی «کوچ کردم» را می‌زنید: شناسهٔ عددی تلگرام، نام کوچک، زبان تلگرام، زمان، کانال "
            "و اینکه از کجا آمده‌اید."
        ),
        "starts": "• وقتی ربات را آغاز می‌کنید: شناسه، زبان، زمان و اینکه از کجا آمده‌اید.",
        "clicks": (
            "• کلیک روی پیوندهای کانال: فقط سرویس، کانال، منبع، زمان و نوع دستگاه؛ "
            "هرگز اینکه چه کسی کلیک کرده است."
        ),
        "keep_forever": "تا کی: تا وقتی که /forget را بفرستید.",
        "keep_days": "تا کی: {days} روز؛ پس از آن خودکار پاک می‌شود (با /forget زودتر پاک کنید).",
        "counts": "شمار کوچ‌ها (چند نفر در هر روز) بدون هیچ نشانی از شما نگه داشته می‌شود.",
        "who": "چه کسی می‌بیند: فقط {operators} کانال، در همین ربات.",
        "one_operator": "گردانندهٔ",
        "many_operators": "{n} گردانندهٔ",
        "export_pseudonym": (
            "گردانندگان می‌توانند فهرست کوچ‌ها را برای مدیران کانال‌های تازه خروجی بگیرند: در آن به جای "
            "شناسهٔ شما یک کد آمده است (هر بار همان کد، تا تکراری‌ها حذف شوند) که به شناسهٔ شما برنمی‌گردد."
        ),
        "export_ids": (
            "گردانندگان می‌توانند فهرست کوچ‌ها را همراه با شناسهٔ تلگرام شما برای مدیران کانال‌های تازه "
            "خروجی بگیرند."
        ),
        "forget": (
            "با /forget همه را همین حالا پاک کنید؛ پس از آن هیچ یادآوری از این ربات به شما نمی‌رسد و در "
            "هیچ خروجی بعدی نیستید. فهرست‌هایی که پیش‌تر خروجی گرفته شده‌اند پس گرفته نمی‌شوند."
        ),
    },
}


def privacy_text(config: Config, language: str) -> str:
    """The reply to /privacy in ``language`` (English facts for a language Kooch has no words in)."""
    facts = _FACTS.get(language, _FACTS["en"])
    privacy = config.privacy
    n = len(config.operators)
    operators = facts["one_operator"] if n == 1 else facts["many_operators"].format(n=n)
    days = privacy.retention_days
    lines = [
        facts["head"],
        facts["acks"],
        facts["starts"],
        facts["clicks"],
        "",
        facts["keep_forever"] if days is None else facts["keep_days"].format(days=days),
        facts["counts"],
        "",
        facts["who"].format(operators=operators),
        facts["export_ids"] if privacy.export_user_ids else facts["export_pseudonym"],
        "",
        facts["forget"],
    ]
    text = "\n".join(lines)
    own = config.texts.get(language, {}).get("privacy")
    if own and own != DEFAULT_TEXTS.get(language, {}).get("privacy"):
        text = f"{own}\n\n{text}"
    return text
