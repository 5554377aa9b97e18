"""Two commits' tap path, measured in one run, alternating: did this change make taps slower?

    python -m bench.compare [BASE] [HEAD] [--rounds 3] [--taps 20000] [--rate 2000] [--quick]

BASE defaults to the last tag (``git describe --tags --abbrev=0``; v0.1.0 is the end of the first
round), or HEAD when there is no tag; HEAD defaults to the work tree as it is, uncommitted changes
included. Each commit is unpacked with ``git archive`` into a temporary folder and measured with its
OWN ``bench/ack_flood.py`` (``--child MODE TAPS RATE``, the interface every commit since the first
round has), each mode in a fresh process:

* ``ceiling``: python-telegram-bot dispatching the taps to a handler that only answers;
* ``naive``: one INSERT + COMMIT per tap, one update at a time;
* ``kooch``: the commit's own bot, all taps offered at once (taps/s) and at ``--rate`` taps/s for
  ``--latency-seconds`` (p99 tap-to-answer);
* ``http``: the commit's bot long-polling the Bot API simulator over loopback HTTP.

The rounds alternate the order (base first, then head first, ...), so a machine that slows down
during the run slows both. Each commit's ratios (kooch / ceiling, kooch / naive) use the baselines
measured in the same round in the same tree. The table gives each figure's median over the rounds
and head / base; the last line is one JSON object.

No absolute figure is judged: machines differ. A head/base ratio below 0.85 in most rounds is
printed as a warning (``slower``); whether CI fails on it is ``--fail-below`` (off by default: on
the shared 2-core CI machine the per-round ratios of identical trees spread by ±20 %, see the
README's performance section).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = "work tree"

#: (figure, higher is better)
FIGURES = (
    ("kooch_per_s", True),
    ("ceiling_per_s", True),
    ("naive_per_s", True),
    ("kooch_vs_ceiling", True),
    ("kooch_vs_naive", True),
    ("kooch_cpu_vs_ceiling", False),
    ("p99_ms_at_rate", False),
    ("http_per_s", True),
)


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()


def default_base() -> str:
    try:
        return git("describe", "--tags", "--abbrev=0")
    except subprocess.CalledProcessError:
        return "HEAD"


def unpack(rev: str, into: Path) -> Path:
    """The tree of ``rev`` in ``into`` (for :data:`WORK`, the work tree as it is now)."""
    if rev == WORK:
        # A snapshot of the work tree as it is now (tracked files, uncommitted changes included),
        # so that editing or merging during a long run does not change what is measured.
        rev = git("stash", "create") or "HEAD"
    sha = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", sha], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def child(tree: Path, mode: str, taps: int, rate: str) -> dict[str, Any] | None:
    """One mode of ``tree``'s own ack_flood.py in a fresh process; its last line is its figures,
    to which this adds ``cpu_s``: the CPU seconds the process used (start-up included), which other
    work on a shared machine disturbs far less than its wall-clock rate."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    command = [sys.executable, str(tree / "bench" / "ack_flood.py"), "--child", mode, str(taps), rate]
    try:
        out = subprocess.run(
            command, cwd=tree, env=env, check=True, capture_output=True, text=True, timeout=1200
        )
    except subprocess.CalledProcessError as exc:
        # A commit that cannot finish a mode (the first round's polling gave up on taps older than
        # Telegram's answer window on a busy machine) gets no figure for it, and says why.
        last = (exc.stderr or "").strip().splitlines()[-1:] or ["(no output)"]
        print(f"    {mode} failed in {tree.name}: {last[0][:160]}", flush=True)
        return None
    except subprocess.TimeoutExpired:
        print(f"    {mode} did not finish in {tree.name} within 20 minutes", flush=True)
        return None
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    figures["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return figures


def measure(tree: Path, args: argparse.Namespace) -> dict[str, float]:
    ceiling = child(tree, "ceiling", args.taps, "max")
    naive = child(tree, "naive", args.taps, "max")
    kooch = child(tree, "kooch", args.taps, "max")
    if ceiling is None or naive is None or kooch is None:
        raise SystemExit(f"{tree}: the in-process modes must run; see the error above")
    if kooch["rows"] != args.taps:
        raise SystemExit(f"{tree}: kooch stored {kooch['rows']} rows for {args.taps} taps")
    latency = child(tree, "kooch", int(args.rate * args.latency_seconds), f"{args.rate:g}")
    http = child(tree, "http", args.http_taps, "max")
    return {
        "kooch_per_s": kooch["per_s"],
        "ceiling_per_s": ceiling["per_s"],
        "naive_per_s": naive["per_s"],
        "kooch_vs_ceiling": kooch["per_s"] / ceiling["per_s"],
        "kooch_vs_naive": kooch["per_s"] / naive["per_s"],
        # CPU per tap relative to the ceiling's, both with start-up: lower is better.
        "kooch_cpu_vs_ceiling": kooch["cpu_s"] / ceiling["cpu_s"],
        "p99_ms_at_rate": latency["p99_ms"] if latency else math.nan,
        "http_per_s": http["per_s"] if http else math.nan,
    }


def median(values: Iterable[float]) -> float:
    """The median of the figures there are (NaN: a mode that failed), NaN if none."""
    present = [v for v in values if not math.isnan(v)]
    return statistics.median(present) if present else math.nan


def rounded(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 3)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("base", nargs="?", help="the commit to compare against (default: the last tag)")
    parser.add_argument("head", nargs="?", default=WORK, help="the commit to judge (default: the work tree)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--taps", type=int, default=20_000, help="taps per throughput run")
    parser.add_argument("--rate", type=float, default=2000.0, help="taps/s offered for the p99")
    parser.add_argument("--latency-seconds", type=float, default=5.0)
    parser.add_argument("--http-taps", type=int, default=3000)
    parser.add_argument(
        "--quick", action="store_true", help="CI's form: 2 rounds, 5,000 taps, 2 s at the rate"
    )
    parser.add_argument(
        "--fail-below", type=float, default=None, help="exit 1 if head/base kooch_vs_ceiling stays below this"
    )
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.taps, args.latency_seconds, args.http_taps = 2, 5000, 2.0, 2000
    base = args.base or default_base()
    names = {"base": base, "head": args.head}
    print(f"compare: base {base} vs head {args.head}; {args.rounds} rounds, alternating", flush=True)

    scratch = Path(tempfile.mkdtemp(prefix="kooch-compare-"))
    try:
        trees = {side: unpack(rev, scratch / side) for side, rev in names.items()}
        rounds: dict[str, list[dict[str, float]]] = {"base": [], "head": []}
        for n in range(args.rounds):
            order = ("base", "head") if n % 2 == 0 else ("head", "base")
            for side in order:
                got = measure(trees[side], args)
                rounds[side].append(got)
                print(
                    f"  round {n + 1} {side:<4} kooch {got['kooch_per_s']:>7,.0f}/s"
                    f"  ceiling {got['ceiling_per_s']:>7,.0f}/s  naive {got['naive_per_s']:>7,.0f}/s"
                    f"  kooch/ceiling {got['kooch_vs_ceiling']:.2f} (CPU {got['kooch_cpu_vs_ceiling']:.2f})"
                    f"  kooch/naive {got['kooch_vs_naive']:.2f}"
                    f"  p99 {got['p99_ms_at_rate']:>6,.0f} ms at {args.rate:,.0f}/s"
                    f"  http {got['http_per_s']:>6,.0f}/s",
                    flush=True,
                )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    summary: dict[str, Any] = {"base": base, "head": args.head, "rounds": args.rounds, "taps": args.taps}
    print(f"\n{'figure':<18} {'base':>10} {'head':>10} {'head/base':>10}  per round")
    slower: list[str] = []
    for figure, higher_better in FIGURES:
        b = median(r[figure] for r in rounds["base"])
        h = median(r[figure] for r in rounds["head"])
        # Better is above 1 for every figure (a p99 is compared the other way round); a round
        # where either side has no figure has no ratio.
        per_round = [
            (hr[figure] / br[figure]) if higher_better else (br[figure] / hr[figure])
            for br, hr in zip(rounds["base"], rounds["head"], strict=True)
            if not (math.isnan(br[figure]) or math.isnan(hr[figure]))
        ]
        ratio = median(per_round)
        below = sum(r < 0.85 for r in per_round)
        # The baselines (ceiling, naive) are the same code in both trees: they show the noise.
        judged = figure not in ("ceiling_per_s", "naive_per_s")
        flag = "  slower" if judged and below * 2 > len(per_round) else ""
        if flag:
            slower.append(figure)
        spread = " ".join(f"{r:.2f}" for r in per_round)
        print(f"{figure:<18} {b:>10,.2f} {h:>10,.2f} {ratio:>10.2f}  {spread}{flag}")
        summary[figure] = {"base": rounded(b), "head": rounded(h), "better": rounded(ratio)}
    summary["slower"] = slower
    print(json.dumps(summary))
    if args.fail_below is not None and summary["kooch_vs_ceiling"]["better"] < args.fail_below:
        sys.exit(1)


if __name__ == "__main__":
    main()
