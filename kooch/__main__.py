"""``python -m kooch``: the ``kooch`` command (:func:`kooch.bot.main`)."""

import sys

from kooch.bot import main

if __name__ == "__main__":
    sys.exit(main())
