"""The exit codes of ``bot.py`` (and ``kooch``): one table, so that a supervisor can tell a typo
from an outage. The numbers are BSD's ``sysexits.h``, which systemd and container runtimes know.

====  =================  ==================================================================
code  name               meaning; what a supervisor should do
====  =================  ==================================================================
0     OK                 done (or the bot stopped on SIGTERM/SIGINT)
1     FAILED             the check ran and found a problem (``health``, ``check --links``)
2     USAGE              a bad command line (unknown flag, missing argument); do not restart
69    UNAVAILABLE        Telegram refused the token, or another process polls it; do not
                         restart until a person looks
75    TEMPFAIL           temporary: the Bot API, the database or the network cannot be reached
                         now; restart later
78    CONFIG             the config, a secret or the environment is wrong; fix it, then start
====  =================  ==================================================================
"""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    UNAVAILABLE = 69  # EX_UNAVAILABLE
    TEMPFAIL = 75  # EX_TEMPFAIL
    CONFIG = 78  # EX_CONFIG
