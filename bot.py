"""Kooch's entry point in the checkout: ``python bot.py [command]``, the ``kooch`` command's twin.

Both run :func:`kooch.bot.main` (the command line and the handler wiring live in the package so
that the installed ``kooch`` has them too); the handlers themselves are in ``handlers/``.
"""

import sys

from kooch.bot import main, running_bot, wire

__all__ = ["main", "running_bot", "wire"]

if __name__ == "__main__":
    sys.exit(main())
