"""Slim Babel's CLDR data for the container image (the Dockerfile runs it): 36 MB to about 8 MB.

Kept whole: the root, the languages Kooch speaks (en, fa, ar) and every right-to-left language.
Every other base language (az, tr, ru…; Kooch asks Babel for base languages only, never fa_AF) keeps
what Kooch reads of it: its text direction, its name in its own words, its numbers, digits,
plural rules and date patterns; the names of time zones, currencies, units, countries and scripts,
which Kooch never shows, are emptied. Regional variants (en_GB, fa_AF…) go.

    python trim_cldr.py SITE_PACKAGES
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

SPOKEN = {"root", "en", "fa", "ar"}
#: What Kooch never reads: emptied, not removed, so that Babel finds the keys it expects.
UNUSED = (
    "time_zones",
    "meta_zones",
    "zone_formats",
    "unit_patterns",
    "unit_display_names",
    "compound_unit_patterns",
    "currency_names",
    "currency_names_plural",
    "currency_symbols",
    "compact_currency_formats",
    "territories",
    "scripts",
    "variants",
    "date_fields",
)


def main(site: Path) -> int:
    folder = site / "babel" / "locale-data"
    before = sum(p.stat().st_size for p in folder.glob("*.dat"))
    for path in sorted(folder.glob("*.dat")):
        name = path.stem
        if "_" in name:
            path.unlink()
            continue
        if name in SPOKEN:
            continue
        with path.open("rb") as f:
            data = pickle.load(f)
        if data.get("character_order") == "right-to-left":
            continue
        for key in UNUSED:
            if key in data:
                data[key] = {}
        own = data.get("languages", {}).get(name)
        data["languages"] = {name: own} if own else {}
        with path.open("wb") as f:
            pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    after = sum(p.stat().st_size for p in folder.glob("*.dat"))
    print(f"CLDR data: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
