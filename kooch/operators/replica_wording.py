"""What /status says about the replica that answered (several run behind one load balancer)."""

from __future__ import annotations

from kooch.i18n import format_number, gettext, isolate


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
