"""The config keys of the link checks and of four-eyes approval: defaults, bounds, errors."""

from __future__ import annotations

import pytest

from kooch.announce.changes import diff_configs
from kooch.config import ConfigInvalid, parse_config
from tests.bidi_kit import plain

BASE = """\
operators: [111, 222]
services:
  - {key: soroush, name: Soroush, url: "https://splus.ir/demo"}
channels:
  - chat: "@kooch_demo"
"""


def test_defaults_check_links_hourly_with_one_operator_deciding() -> None:
    config = parse_config(BASE)
    assert (config.link_checks, config.link_check_interval_s, config.approval) == (True, 3600.0, 1)


def test_the_keys_are_read() -> None:
    config = parse_config(BASE + "link_checks: false\nlink_check_interval_s: 600\napproval: 2\n")
    assert (config.link_checks, config.link_check_interval_s, config.approval) == (False, 600.0, 2)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("link_check_interval_s: 0\n", "link_check_interval_s: must be a number from 60 to 604800, not 0"),
        ("link_check_interval_s: -5\n", "must be a number from 60 to 604800, not -5"),
        ("link_check_interval_s: 10\n", "must be a number from 60 to 604800, not 10"),
        ("link_check_interval_s: 1e9\n", "must be a number from 60 to 604800"),
        ("link_check_interval_s: soon\n", "must be a number from 60 to 604800, not 'soon'"),
        ("link_checks: sometimes\n", "link_checks: must be true or false"),
        ("approval: 3\n", "approval: must be 1 or 2 (operators who must agree), not 3"),
        ("approval: true\n", "approval: must be 1 or 2"),
        ("approval: two\n", "approval: must be 1 or 2"),
    ],
    ids=[
        "interval-0",
        "interval-negative",
        "interval-too-short",
        "interval-too-long",
        "interval-text",
        "checks-not-bool",
        "approval-3",
        "approval-bool",
        "approval-text",
    ],
)
def test_bad_values_are_named_with_their_line(extra: str, message: str) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(BASE + extra)
    (error,) = caught.value.errors
    assert message in str(error)
    assert error.line == 6


def test_two_approvals_need_two_operators() -> None:
    with pytest.raises(ConfigInvalid) as caught:
        parse_config(BASE.replace("[111, 222]", "[111]") + "approval: 2\n")
    assert "approval: 2 needs at least two operators" in str(caught.value)


def test_a_reload_that_changes_approval_or_the_link_checks_says_so() -> None:
    old = parse_config(BASE + "approval: 2\n")
    new = parse_config(BASE + "link_checks: false\nlink_check_interval_s: 600\n")
    assert plain(diff_configs(old, new)) == [
        "✏️ approval: 2 → 1",
        "✏️ link_checks: on → off",
        "✏️ link_check_interval_s: 3600 → 600",
    ]
    # A Persian operator reads the same lines in Persian, the keys as the file writes them.
    assert plain(diff_configs(old, new, "fa")) == [
        "✏️ approval: ۲ ← ۱",
        "✏️ link_checks: روشن ← خاموش",
        "✏️ link_check_interval_s: ۳۶۰۰ ← ۶۰۰",
    ]
