"""Kooch (کوچ): move a Telegram channel's audience to other messengers.

Domain logic without Telegram I/O lives in this package; Telegram-facing code lives in ``handlers``.
"""
