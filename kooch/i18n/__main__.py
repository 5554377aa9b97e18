"""``python3 -m kooch.i18n``: each catalog's size, and what a language still lacks (for translators).

Prints one line per language (messages translated of the English catalog's) and, under it, every
message missing, empty or fuzzy there (those show in English until translated).
"""

from __future__ import annotations

import sys

from kooch.i18n.catalog import catalog_ids, missing_translations
from kooch.i18n.languages import SUPPORTED


def main() -> int:
    total = len(catalog_ids())
    for language in SUPPORTED:
        missing = missing_translations(language)
        print(f"{language}: {total - len(missing)} of {total} messages translated")
        for message in missing:
            print(f"  missing: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
