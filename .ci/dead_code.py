"""Dead-code check (CI): vulture over the production code, with the tests and benchmarks as its users.

A function, class, method or attribute of kooch/, handlers/ or bot.py that nothing uses (not the code,
not a test, not a benchmark, not .ci/vulture_whitelist.py) is printed, and the exit status is 1.
Findings inside tests/ and bench/ are not reported: this check is about what ships.

    python .ci/dead_code.py [extra.py ...]   # extra files are scanned as production code (the test's)
"""

import sys
from pathlib import Path

from vulture import Vulture

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = [ROOT / "kooch", ROOT / "handlers", ROOT / "bot.py"]
USERS = [ROOT / "tests", ROOT / "bench", ROOT / ".ci" / "vulture_whitelist.py"]
#: vulture's default: below 60 % it guesses (an unused import ruff already reports, say).
MIN_CONFIDENCE = 60


def unused(extra: list[Path] | None = None) -> list[str]:
    """vulture's report lines for the unused production code (and ``extra`` files)."""
    shipped = PRODUCTION + list(extra or [])
    vulture = Vulture()
    vulture.scavenge([str(p) for p in shipped + USERS])
    reported = []
    for item in vulture.get_unused_code(min_confidence=MIN_CONFIDENCE, sort_by_size=False):
        path = Path(item.filename).resolve()
        if any(path == p or p in path.parents for p in (p.resolve() for p in shipped)):
            where = path.relative_to(ROOT) if ROOT in path.parents else path
            reported.append(f"{where}:{item.first_lineno}: {item.message} ({item.confidence}% confidence)")
    return reported


def main(argv: list[str]) -> int:
    found = unused([Path(a) for a in argv])
    for line in found:
        print(line)
    if found:
        print(
            f"{len(found)} unused: delete it, or if something vulture cannot see uses it, add it to "
            ".ci/vulture_whitelist.py with a comment saying what.",
            file=sys.stderr,
        )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
