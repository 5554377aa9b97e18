"""Operator wording of the link checks (English, as the other operator wording): plain functions
of plain data, so the exact words operators read are unit-tested."""

from __future__ import annotations

from collections.abc import Sequence

from kooch.destinations.links import Kind, LinkResult, Verdict
from kooch.destinations.store import Change, StoredCheck
from kooch.wording import format_time


def verdict_words(verdict: Verdict) -> str:
    """One verdict, with its sign: ``✅ OK``, ``❌ HTTP 404``, ``↪️ redirected elsewhere: …``."""
    kind = verdict.kind
    if kind is Kind.OK:
        return "✅ OK"
    if kind is Kind.REDIRECTED:
        return f"↪️ redirected elsewhere: {verdict.final_url}"
    if kind is Kind.HTTP_ERROR:
        after = f" (after redirects, at {verdict.final_url})" if verdict.final_url else ""
        return f"❌ HTTP {verdict.status}{after}"
    if kind is Kind.TLS_ERROR:
        return "❌ TLS error: the site's certificate is not valid"
    if kind is Kind.DNS_FAILURE:
        return "❌ DNS failure: the site's name does not resolve"
    if kind is Kind.TIMEOUT:
        return f"❌ timeout: {verdict.detail}"
    if kind is Kind.REFUSED:
        return "❌ connection refused"
    if kind is Kind.TOO_MANY_REDIRECTS:
        return f"❌ too many redirects ({verdict.detail})"
    return f"❌ failed: {verdict.detail}"


def link_line(result: LinkResult) -> str:
    link = result.link
    return f"• {link.service} ({link.field}) {link.url}: {verdict_words(result.verdict)}"


def broken_phrase(count: int) -> str:
    return f"{count} broken link" + ("" if count == 1 else "s")


def links_report(results: Sequence[LinkResult]) -> str:
    """The links part of a preview: every link's verdict, checked just now."""
    if not results:
        return "🔗 No link to check (no enabled service has an http(s) link)."
    bad = sum(not r.verdict.ok for r in results)
    head = f"🔗 Links, checked just now: {len(results) - bad} OK" + (f", {broken_phrase(bad)}" if bad else "")
    return "\n".join([head, *(link_line(r) for r in results)])


def confirm_label(broken: int, label: str) -> str:
    """The confirm button of /announce: says when links are broken (pressing it asks again)."""
    return f"⚠️ {label} despite {broken_phrase(broken)}" if broken else label


def confirm_again(broken_lines: Sequence[str]) -> str:
    """The second question, when the operator confirmed a post with broken links (the lines are
    :func:`link_line`'s, kept with the pending confirmation)."""
    return "\n".join(
        [
            f"⚠️ The announcement has {broken_phrase(len(broken_lines))}: subscribers tapping "
            "them will not arrive.",
            *broken_lines,
            "",
            "Post it anyway? (Fix the link in config.yaml instead: the post follows the config.)",
        ]
    )


POST_ANYWAY = "📢 Yes, post anyway"


def change_alert(changes: Sequence[Change]) -> str:
    """What the operators are told when links break or recover (once per change)."""
    lines = []
    for change in changes:
        if change.recovered:
            lines.append(f"✅ Link working again: {link_line(change.result)[2:]}")
        else:
            lines.append(f"🔗 Link broken: {link_line(change.result)[2:]}")
    return "\n".join(lines)


def status_lines(checks: Sequence[StoredCheck], tz: str, enabled: bool, interval_s: float) -> list[str]:
    """The links part of /status: the last verdicts of the periodic check."""
    if not enabled:
        return ["🔗 Link checks are off (link_checks: false)."]
    if not checks:
        return [f"🔗 Links: not checked yet (every {interval_s:g} s)."]
    last = max(c.checked_at for c in checks)
    bad = sum(not c.result.verdict.ok for c in checks)
    head = f"🔗 Links, last checked {format_time(last, tz)} (every {interval_s:g} s): " + (
        f"{broken_phrase(bad)}" if bad else "all OK"
    )
    lines = [head]
    for c in checks:
        since = "" if c.result.verdict.ok else f" (since {format_time(c.changed_at, tz)})"
        lines.append("  " + link_line(c.result) + since)
    return lines
