"""What /status says about the process that answered: its version, and its replica (several run
behind one load balancer)."""

from __future__ import annotations

from kooch.i18n import format_number, gettext, isolate, ltr


def replica_line(name: str, leading: bool, epoch: int | None, language: str = "en") -> str:
    """One line: which replica answered, and whether it runs the singleton work."""
    replica = isolate(name)
    if leading:
        term = format_number(epoch or 0, language)
        return gettext(
            language,
            "🖥 Answered by replica {replica}: the leader (term {term}), sending campaigns, editing posts.",
        ).format(replica=replica, term=term)
    return gettext(
        language, "🖥 Answered by replica {replica}: a follower (another replica leads and sends campaigns)."
    ).format(replica=replica)


def version_line(version: str, revision: str, language: str = "en") -> str:
    """One line: the version of Kooch that answered (and the commit it was built from, if known)."""
    if revision == "unknown":
        return gettext(language, "🏷 Kooch {version}").format(version=ltr(version))
    return gettext(language, "🏷 Kooch {version} (commit {revision})").format(
        version=ltr(version), revision=ltr(revision)
    )
