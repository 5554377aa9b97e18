"""Readers of what issue 27 added: ``services[].arrivals.platform`` (the form of a destination's
deep links) and ``mirror: {until, services}`` (the channel's new posts copied to the
destinations). ``verify_arrivals`` and ``verify_code_ttl_s`` are plain top-level values.

``mirror.until`` is a date and time (``2027-01-31T12:00``, Gregorian or Solar Hijri, in the
config's timezone) or a duration after the first announcement (``30d``, ``12h``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from kooch.config.checker import Checker, kind_of, known_list
from kooch.config.model import MirrorConfig, Service
from kooch.i18n.date_input import Unreadable, read_moment

#: The platforms whose deep links Kooch knows (the forms are in kooch.across.model), by the host
#: of their bot API.
PLATFORM_HOSTS = {"tapi.bale.ai": "bale", "api.splus.ir": "soroush"}
PLATFORMS = ("bale", "soroush")
MIRROR_KEYS = ("until", "services", "per_minute")
DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dhm])\s*$")
UNIT_S = {"d": 86400.0, "h": 3600.0, "m": 60.0}
#: A mirror longer than this is a mistake (a year).
MAX_MIRROR_S = 366 * 86400.0


def read_platform(ck: Checker, a: dict[str, Any], p: str, api: str | None) -> str | None:
    """``platform:`` when given (checked), else the one the API's host names (None: unknown)."""
    given = a.get("platform")
    if given is None:
        host = (urlsplit(api).hostname or "") if api else ""
        return PLATFORM_HOSTS.get(host.lower())
    if given not in PLATFORMS:
        ck.error(f"{p}.platform", f"{given!r} is not a platform Kooch knows; known: {known_list(PLATFORMS)}")
        return None
    return str(given)


def check_platforms(ck: Checker, top: dict[str, Any], services: list[Service]) -> None:
    """With ``verify_arrivals: true``, each destination's link form must be known."""
    if top.get("verify_arrivals") is not True:
        return
    for i, service in enumerate(services):
        if service.arrivals is not None and service.arrivals.platform is None:
            ck.error(
                f"services[{i}].arrivals.platform",
                "is required with verify_arrivals when the api is not Bale's or Soroush+'s own: "
                f"one of {known_list(PLATFORMS)} (the form of the personal links)",
            )


def read_mirror(
    ck: Checker, top: dict[str, Any], services: list[Service], timezone: str
) -> MirrorConfig | None:
    raw = top.get("mirror")
    if raw is None:
        return None
    m = ck.mapping(raw, "mirror", MIRROR_KEYS)
    if not m:
        return None
    until_at, for_s = _until(ck, m.get("until"), timezone)
    keys = m.get("services")
    counted = {s.key: s for s in services}
    chosen: list[str] = []
    if not isinstance(keys, list) or not keys:
        ck.error("mirror.services", f"must list the keys of services to mirror to, not {kind_of(keys)}")
    else:
        for i, key in enumerate(keys):
            service = counted.get(str(key))
            if service is None:
                ck.error(
                    f"mirror.services[{i}]", f"'{key}' is not a service key; known: {known_list(counted)}"
                )
            elif service.arrivals is None:
                ck.error(
                    f"mirror.services[{i}]",
                    f"'{key}' has no arrivals: (api, chat, token_env): Kooch mirrors with that bot, "
                    "into that channel",
                )
            else:
                chosen.append(service.key)
    if until_at is None and for_s is None:
        return None
    per_minute = ck.number(m, "per_minute", "mirror", 20.0, minimum=1, maximum=6000)
    return MirrorConfig(until_at=until_at, for_s=for_s, services=tuple(chosen), per_minute=per_minute)


def _until(ck: Checker, raw: Any, timezone: str) -> tuple[float | None, float | None]:
    where = "mirror.until"
    if isinstance(raw, date):
        raw = raw.isoformat()
    if not isinstance(raw, str) or not raw.strip():
        ck.error(
            where, "is required: a date ('2027-01-31T12:00') or a duration after the announcement ('30d')"
        )
        return None, None
    duration = DURATION_RE.match(raw)
    if duration:
        seconds = float(duration.group(1)) * UNIT_S[duration.group(2)]
        if not 0 < seconds <= MAX_MIRROR_S:
            ck.error(where, f"'{raw}' must be more than nothing and at most 366d")
            return None, None
        return None, seconds
    when = read_moment(raw, timezone)
    if isinstance(when, Unreadable):
        ck.error(where, f"'{raw}' is neither a date such as '2027-01-31T12:00' nor a duration such as '30d'")
        return None, None
    return when.moment.timestamp(), None
