"""What /status says about the replica that answered (several run behind one load balancer)."""

from __future__ import annotations


def replica_line(name: str, leading: bool, epoch: int | None) -> str:
    """One line: which replica answered, and whether it runs the singleton work."""
    if leading:
        return f"🖥 Answered by replica {name}: the leader (term {epoch}), sending campaigns, editing posts."
    return f"🖥 Answered by replica {name}: a follower (another replica leads and sends campaigns)."
