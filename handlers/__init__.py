"""Telegram-facing code, one module per audience. Handlers are thin: parse, call kooch.*, reply."""
