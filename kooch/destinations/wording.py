"""Operator wording of the link checks: plain functions of plain data, each taking the reader's
language (the words come from the catalogs), so the exact words operators read are unit-tested."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

from kooch.config import Service
from kooch.destinations.links import MAX_REDIRECTS, Kind, LinkResult, Verdict
from kooch.destinations.store import Change, StoredCheck
from kooch.i18n import (
    format_datetime,
    format_number,
    gettext,
    isolate,
    ngettext,
    paragraph,
    pgettext,
    to_digits,
)
from kooch.i18n.formats import every

#: How :func:`kooch.destinations.links.check_url` words a timeout.
_WAITED = re.compile(r"no answer within ([0-9.]+) s")


def _decimal(text: str, language: str) -> str:
    """``0.3`` in the reader's digits and decimal sign (``۰٫۳``), as many decimals as written."""
    decimals = len(text.partition(".")[2])
    return format_number(float(text), language, decimals)


def verdict_words(verdict: Verdict, language: str = "en") -> str:
    """One verdict, with its sign: ``✅ OK``, ``❌ HTTP 404``, ``↪️ redirected elsewhere: …``."""
    _ = partial(gettext, language)
    kind = verdict.kind
    if kind is Kind.OK:
        return _("✅ OK")
    if kind is Kind.REDIRECTED:
        return _("↪️ redirected elsewhere: {url}").format(url=isolate(verdict.final_url or ""))
    if kind is Kind.HTTP_ERROR:
        status = to_digits(str(verdict.status), language)
        if verdict.final_url:
            return _("❌ HTTP {status} (after redirects, at {url})").format(
                status=status, url=isolate(verdict.final_url)
            )
        return _("❌ HTTP {status}").format(status=status)
    if kind is Kind.TLS_ERROR:
        return _("❌ TLS error: the site's certificate is not valid")
    if kind is Kind.DNS_FAILURE:
        return _("❌ DNS failure: the site's name does not resolve")
    if kind is Kind.TIMEOUT:
        # The check writes "no answer within 10 s" (and the stored verdicts keep it): the seconds
        # are read back from it, so each reader gets the sentence in their words.
        waited = _WAITED.fullmatch(verdict.detail)
        if waited is not None:
            seconds = _decimal(waited.group(1), language)
            return _("❌ timeout: no answer within {seconds} s").format(seconds=seconds)
        return _("❌ timeout: {detail}").format(detail=isolate(verdict.detail))
    if kind is Kind.REFUSED:
        return _("❌ connection refused")
    if kind is Kind.TOO_MANY_REDIRECTS:
        return _("❌ too many redirects (more than {n})").format(n=format_number(MAX_REDIRECTS, language))
    return _("❌ failed: {detail}").format(detail=isolate(verdict.detail))


def field_words(field: str, language: str) -> str:
    """Which of a service's links: ``url`` is its link, the others the app or page it opens."""
    if field == "android":
        return pgettext(language, "link field", "Android app")
    if field == "ios":
        return pgettext(language, "link field", "iOS app")
    if field == "web":
        return pgettext(language, "link field", "web version")
    return pgettext(language, "link field", "link")


def service_name(key: str, services: Sequence[Service], language: str) -> str:
    """The service's name in the reader's language (its key when the config no longer has it)."""
    for service in services:
        if service.key == key:
            return service.name(language, "en")
    return key


def _link_text(result: LinkResult, language: str, services: Sequence[Service] = ()) -> str:
    link = result.link
    return gettext(language, "{service} ({field}) {url}: {verdict}").format(
        service=isolate(service_name(link.service, services, language)),
        field=field_words(link.field, language),
        url=isolate(link.url),
        verdict=verdict_words(result.verdict, language),
    )


def link_line(result: LinkResult, language: str = "en", services: Sequence[Service] = ()) -> str:
    return paragraph("• " + _link_text(result, language, services), language)


def broken_phrase(count: int, language: str = "en") -> str:
    return ngettext(language, "{n} broken link", "{n} broken links", count).format(
        n=format_number(count, language)
    )


def links_report(
    results: Sequence[LinkResult], language: str = "en", services: Sequence[Service] = ()
) -> str:
    """The links part of a preview: every link's verdict, checked just now."""
    _ = partial(gettext, language)
    if not results:
        return paragraph(_("🔗 No link to check (no enabled service has an http(s) link)."), language)
    bad = sum(not r.verdict.ok for r in results)
    good = format_number(len(results) - bad, language)
    if bad:
        head = _("🔗 Links, checked just now: {ok} OK, {broken}").format(
            ok=good, broken=broken_phrase(bad, language)
        )
    else:
        head = _("🔗 Links, checked just now: {ok} OK").format(ok=good)
    return "\n".join([paragraph(head, language), *(link_line(r, language, services) for r in results)])


def confirm_label(broken: int, label: str, language: str = "en") -> str:
    """The confirm button of /announce: says when links are broken (pressing it asks again)."""
    if not broken:
        return label
    return gettext(language, "⚠️ {label} despite {broken}").format(
        label=label, broken=broken_phrase(broken, language)
    )


def confirm_again(broken_lines: Sequence[str], language: str = "en") -> str:
    """The second question, when the operator confirmed a post with broken links (the lines are
    :func:`link_line`'s, kept with the pending confirmation)."""
    _ = partial(gettext, language)
    head = ngettext(
        language,
        "⚠️ The announcement has {n} broken link: subscribers tapping it will not arrive.",
        "⚠️ The announcement has {n} broken links: subscribers tapping them will not arrive.",
        len(broken_lines),
    ).format(n=format_number(len(broken_lines), language))
    ask = _("Post it anyway? (Fix the link in config.yaml instead: the post follows the config.)")
    return "\n".join([paragraph(head, language), *broken_lines, "", paragraph(ask, language)])


def post_anyway(language: str = "en") -> str:
    """The button of the second question."""
    return gettext(language, "📢 Yes, post anyway")


POST_ANYWAY = post_anyway("en")


def change_alert(changes: Sequence[Change], language: str = "en", services: Sequence[Service] = ()) -> str:
    """What the operators are told when links break or recover (once per change)."""
    _ = partial(gettext, language)
    lines = []
    for change in changes:
        text = _link_text(change.result, language, services)
        if change.recovered:
            lines.append(_("✅ Link working again: {link}").format(link=text))
        else:
            lines.append(_("🔗 Link broken: {link}").format(link=text))
    return "\n".join(paragraph(line, language) for line in lines)


def status_lines(
    checks: Sequence[StoredCheck],
    tz: str,
    enabled: bool,
    interval_s: float,
    language: str = "en",
    services: Sequence[Service] = (),
) -> list[str]:
    """The links part of /status: the last verdicts of the periodic check."""
    _ = partial(gettext, language)
    period = every(interval_s, language)
    if not enabled:
        return [paragraph(_("🔗 Link checks are off (link_checks: false)."), language)]
    if not checks:
        return [paragraph(_("🔗 Links: not checked yet ({every}).").format(every=period), language)]
    last = format_datetime(max(c.checked_at for c in checks), tz, language, numeric=True)
    bad = sum(not c.result.verdict.ok for c in checks)
    if bad:
        head = _("🔗 Links, last checked {when} ({every}): {broken}").format(
            when=last, every=period, broken=broken_phrase(bad, language)
        )
    else:
        head = _("🔗 Links, last checked {when} ({every}): all OK").format(when=last, every=period)
    lines = [paragraph(head, language)]
    for c in checks:
        line = "• " + _link_text(c.result, language, services)
        if not c.result.verdict.ok:
            since = format_datetime(c.changed_at, tz, language, numeric=True)
            line += " " + _("(since {when})").format(when=since)
        lines.append("  " + paragraph(line, language))
    return lines
