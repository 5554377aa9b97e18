"""What operators read about arrivals (English, like the other operator wording): the alerts when
a count cannot be read and when it can again, and the /stats lines. Plain functions of plain data.
"""

from __future__ import annotations


def source_name(kind: str, name: str, chat: str) -> str:
    """``Bale (@kooch_bale)`` for a destination, ``the Telegram channel @kooch_demo`` for a channel."""
    return f"{name} ({chat})" if kind == "service" else f"the Telegram channel {chat}"


def failing_alert(what: str, reason: str, interval_s: float) -> str:
    return (
        f"⚠️ Arrivals: the member count of {what} cannot be read: {reason}.\n"
        f"Kooch keeps trying every {interval_s:g} s and tells you once it answers again; "
        "/stats shows the last count read."
    )


def recovered_alert(what: str, members: int) -> str:
    return f"✅ Arrivals: {what} answers again: {members:,} members."


def signed(n: int) -> str:
    """``+12``, ``−5`` (a real minus sign), ``±0``."""
    return f"+{n:,}" if n > 0 else (f"−{-n:,}" if n < 0 else "±0")


def destination_line(name: str, now: int | None, at_announcement: int | None, error: str | None) -> str:
    """One destination in /stats: members now and the change since the announcement."""
    if now is None:
        return f"  • {name}: no count yet" + (f" ({error})" if error else "")
    line = f"  • {name}: {now:,} members"
    if at_announcement is not None:
        line += f" ({signed(now - at_announcement)} since the announcement)"
    if error:
        line += f"; last read failed: {error}"
    return line


def channel_change(now: int, at_announcement: int) -> str:
    """The Telegram channel's change since the announcement, after its member count in /stats."""
    return f"{signed(now - at_announcement)} since the announcement"
