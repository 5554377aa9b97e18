"""The locale layer: a person's language, its direction, digits, calendar and words.

The lowest layer of Kooch, beside :mod:`kooch.clock`: pure functions over Babel (CLDR data),
jdatetime (the Solar Hijri calendar) and the gettext catalogs in ``locales/``. Every feature asks
here how to say something to someone, so one table answers for the bot, the charts and the pages.
"""

from __future__ import annotations

from kooch.i18n.bidi import isolate, isolate_runs, ltr, paragraph, rtl, strip_controls
from kooch.i18n.catalog import (
    MessageId,
    catalog_ids,
    gettext,
    missing_translations,
    ngettext,
    npgettext,
    pgettext,
    read_catalog,
)
from kooch.i18n.dates import (
    clock,
    day_month,
    format_date,
    format_datetime,
    local_time,
    month_year,
    solar_hijri,
    uses_solar_hijri,
)
from kooch.i18n.languages import (
    FALLBACK,
    SUPPORTED,
    Direction,
    base_language,
    direction,
    embed,  # the chart's labels only (see languages.py); texts use isolate()
    in_direction,  # the chart's labels only; texts use paragraph()
    is_rtl,
    language_name,
    resolve_language,
)
from kooch.i18n.numbers import format_number, format_percent, numbering_system, to_digits

__all__ = [
    "FALLBACK",
    "SUPPORTED",
    "Direction",
    "MessageId",
    "base_language",
    "catalog_ids",
    "clock",
    "day_month",
    "direction",
    "embed",
    "format_date",
    "format_datetime",
    "format_number",
    "format_percent",
    "gettext",
    "in_direction",
    "is_rtl",
    "isolate",
    "isolate_runs",
    "language_name",
    "local_time",
    "ltr",
    "missing_translations",
    "month_year",
    "ngettext",
    "npgettext",
    "numbering_system",
    "paragraph",
    "pgettext",
    "read_catalog",
    "resolve_language",
    "rtl",
    "solar_hijri",
    "strip_controls",
    "to_digits",
    "uses_solar_hijri",
]
