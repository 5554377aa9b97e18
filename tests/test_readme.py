"""The README and docs/ tell what the code knows (issue 25, readme).

Every command line subcommand, Telegram command, environment variable and config key the code
knows is documented once in the README (each in its table or section); the Quick start keeps the
two commands CI runs; each admin right is told once; and every relative link in README.md and
docs/*.md leads to a file and a heading that exist. Read from the sources, so a new command, key
or variable without its line in the README fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kooch.config.arrivals import ARRIVALS_KEYS
from kooch.config.channels import CHANNEL_KEYS, SERVICE_KEYS
from kooch.config.load import TOP_KEYS
from kooch.config.reminders import CAMPAIGN_KEYS, REMINDER_KEYS
from kooch.config.sections import OPERATOR_KEYS, PRIVACY_KEYS, STORAGE_KEYS, WEB_KEYS
from kooch.config.texts import TEXT_KEYS
from kooch.menus.model import COMMANDS
from kooch.secrets import SECRETS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = sorted((ROOT / "docs").glob("*.md"))
#: Written by another part of issue 24 (`names`) in parallel: linked before it lands.
NOT_YET = {ROOT / "docs" / "layout.md"}


def _section(text: str, title: str) -> str:
    """The text under ``## title`` up to the next heading of the same level (its ### included)."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README.md has no '## {title}'"
    return match.group(1)


def _rows(section: str) -> list[str]:
    """The first cell of each table row of a section (header and rule rows left out)."""
    lines = section.splitlines()
    return [
        line.split("|")[1].strip()
        for i, line in enumerate(lines)
        if line.startswith("| ") and not (i + 1 < len(lines) and lines[i + 1].startswith("|---"))
    ]


def _code_names(pattern: str) -> set[str]:
    """Names a regex finds in Kooch's own sources (the simulator and test kit left out)."""
    found: set[str] = set()
    for path in [ROOT / "bot.py", *sorted((ROOT / "kooch").rglob("*.py"))]:
        if {"simulator", "testing"} & set(path.relative_to(ROOT).parts):
            continue
        found |= set(re.findall(pattern, path.read_text(encoding="utf-8")))
    return found


def test_quick_start_holds_the_two_commands_ci_runs() -> None:
    blocks = re.findall(r"^```sh\n(.*?)\n```$", _section(README, "Quick start"), re.M | re.S)
    assert len(blocks) == 2, ".ci/run reads exactly two ```sh blocks under '## Quick start'"
    assert all("\n" not in b for b in blocks), "each Quick start command is one line"


def test_every_subcommand_has_its_row_in_commands() -> None:
    subcommands = re.findall(r'sub\.add_parser\(\s*"([a-z-]+)"', (ROOT / "kooch" / "bot.py").read_text())
    assert {"check", "rehearse", "health", "backup", "restore", "migrate-db", "example"} <= set(subcommands)
    rows = _rows(_section(README, "Commands"))
    for name in [*subcommands, "--version"]:
        found = [r for r in rows if re.match(rf"`python3 bot\.py {re.escape(name)}( |`)", r)]
        assert found, f"the command `{name}` has no row in README's Commands table"
    # The bare live bot too, and every flag of every subcommand.
    assert "`python3 bot.py [--config PATH]`" in rows
    source = (ROOT / "kooch" / "bot.py").read_text()
    flags = set(re.findall(r'add_argument\(\s*"(--[a-z-]+)"', source))
    assert {"--config", "--links", "--subscribers", "--no-web", "--version"} <= flags
    for flag in flags:
        assert any(flag in r for r in rows), f"the flag {flag} is in no row of README's Commands table"


@pytest.mark.parametrize("command", [c.name for c in COMMANDS])
def test_every_telegram_command_is_documented_once(command: str) -> None:
    commands = _section(README, "Commands")
    ops = _rows(commands.split("### Subscribers")[0])
    subscribers = commands.split("### Subscribers")[1].split("### ")[0]
    audience = next(c.audience for c in COMMANDS if c.name == command)
    if audience == "operator":
        rows = [r for r in ops if r.startswith(f"`/{command}")]
        assert rows, f"/{command} has no row in the operators' table"
    else:
        assert f"`/{command}`" in subscribers, f"/{command} is not in README's Subscribers"


def test_every_environment_variable_is_a_row_once() -> None:
    in_code = _code_names(r'"((?:KOOCH|TELEGRAM)_[A-Z_]+)"') | set(SECRETS)
    # KOOCH_KEY is a Python name (the services' key in bot_data, listed in an ``__all__``), not a
    # variable of the environment.
    in_code = {n for n in in_code if not n.endswith("_FILE")} - {"KOOCH_KEY"}
    rows = _rows(_section(README, "Environment"))
    named = [r.strip("`") for r in rows]
    for name in sorted(in_code):
        assert named.count(name) == 1, f"{name} must be one row of README's Environment table"
    assert not set(named) - in_code - {"<NAME>_FILE"}, "a documented variable the code does not read"
    file_row = next(line for line in README.splitlines() if line.startswith("| `<NAME>_FILE`"))
    for name in SECRETS:
        assert f"`{name}_FILE`" in file_row, f"{name}_FILE is not in the <NAME>_FILE row"
    assert "`<token_env>_FILE`" in file_row


def test_every_config_key_is_in_the_reference() -> None:
    reference = _section(README, "Config reference (`config.yaml`)")
    rows = _rows(reference)
    for key in TOP_KEYS:
        assert any(r == f"`{key}`" or r.startswith((f"`{key}.", f"`{key}[]")) for r in rows), (
            f"the config key `{key}` has no row in the Config reference"
        )
    nested = {
        "storage": STORAGE_KEYS,
        "privacy": PRIVACY_KEYS,
        "web": WEB_KEYS,
        "campaigns": CAMPAIGN_KEYS,
        "reminders[]": REMINDER_KEYS,
        "channels[]": CHANNEL_KEYS,
        "services[]": SERVICE_KEYS,
        "services[].arrivals": ARRIVALS_KEYS,
        "operators": OPERATOR_KEYS,
        "texts.<lang>": TEXT_KEYS,
    }
    for parent, keys in nested.items():
        lines = [line for line in reference.splitlines() if line.startswith(f"| `{parent}")]
        assert lines, f"no row for `{parent}`"
        text = "\n".join(lines)
        for key in keys:
            assert re.search(rf"`(?:{re.escape(parent)}\.)?{re.escape(key)}`|[{{ ]{key}:", text), (
                f"`{parent}` row does not name `{key}`"
            )


def test_each_admin_right_is_told_once() -> None:
    everything = README + "".join(p.read_text(encoding="utf-8") for p in DOCS)
    for right in ("**Post messages**", "**Edit messages of others**", "**Change channel info**"):
        assert everything.count(right) == 1, f"{right} must be told once (README, Running it live)"


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", [ROOT / "README.md", *DOCS], ids=lambda p: p.name)
def test_every_relative_link_and_anchor_exists(page: Path) -> None:
    text = re.sub(r"^```.*?^```$", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        if dest in NOT_YET:
            continue
        assert dest.exists(), f"{page.name}: link to {target}: no such file"
        if anchor and dest.suffix == ".md":
            headings = re.findall(r"^#+ (.*)$", dest.read_text(encoding="utf-8"), re.M)
            assert anchor in {_anchor(h) for h in headings}, f"{page.name}: no heading for {target}"


def test_readme_links_the_docs() -> None:
    for doc in ("docs/operations.md", "docs/architecture.md", "docs/benchmarks.md", "docs/layout.md"):
        assert f"]({doc})" in README, f"README.md does not link {doc}"
    assert "](layout.md)" in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
