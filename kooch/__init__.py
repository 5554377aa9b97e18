"""Kooch (کوچ): move a Telegram channel's audience to other messengers.

Domain logic without Telegram I/O lives in this package; Telegram-facing code lives in ``handlers``.
"""

import os

# Kooch reads durations such as RetryAfter.retry_after as datetime.timedelta, python-telegram-bot's
# coming default; opting in now also silences the deprecation warning on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "true")
