"""Arrivals: how many people are on each destination channel, beside the Telegram channel emptying.

``client`` reads a member count from a Telegram-shaped bot API (Bale, Soroush+); ``store`` keeps
the series (``member_counts``, counts only); ``service`` reads every count each
``arrivals_interval_s`` and tells the operators once when a destination starts failing and once
when it answers again; ``wording`` is what they read.
"""
