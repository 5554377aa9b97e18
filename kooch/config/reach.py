"""Reader of ``reach:`` (the ways from the post into the bot, and the copy buttons), at the top
level and in each channel, where it overrides the top level's key by key."""

from __future__ import annotations

from typing import Any

from kooch.config.checker import Checker
from kooch.config.model import BUTTON_STYLES, DEFAULT_REACH, Reach
from kooch.config.yaml_positions import join_path

REACH_KEYS = ("start_button", "open_bot_after_tap", "copy_buttons", "moved_style")


def read_reach(ck: Checker, m: dict[str, Any], path: str, base: Reach = DEFAULT_REACH) -> Reach:
    """``<path>.reach`` over ``base`` (the top level's for a channel, the defaults at the top)."""
    if "reach" not in m:
        return base
    p = join_path(path, "reach")
    r = ck.mapping(m.get("reach") or {}, p, REACH_KEYS)
    style = base.moved_style
    if "moved_style" in r:
        given = r["moved_style"]
        if given is None or given == "plain":
            style = None
        elif given in BUTTON_STYLES:
            style = str(given)
        else:
            ck.error(f"{p}.moved_style", f"must be one of {', '.join(BUTTON_STYLES)} or plain, not {given!r}")
    return Reach(
        start_button=ck.boolean(r, "start_button", p, base.start_button),
        open_bot_after_tap=ck.boolean(r, "open_bot_after_tap", p, base.open_bot_after_tap),
        copy_buttons=ck.boolean(r, "copy_buttons", p, base.copy_buttons),
        moved_style=style,
    )
