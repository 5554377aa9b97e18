"""pip-audit on the runtime lock (requirements-lock.txt): fail on a known vulnerability; say so, and
pass, when the vulnerability source could not be asked (an offline or mirrored index answers no
JSON API): an audit that did not happen is reported as not done, never as clean.

    python3 .ci/audit.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "requirements-lock.txt"


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "audit.json"
        run = subprocess.run(
            [
                *(sys.executable, "-m", "pip_audit", "--disable-pip", "--require-hashes", "-r", str(LOCK)),
                *("--progress-spinner", "off", "-f", "json", "-o", str(report)),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if not report.exists():
            last = (run.stderr.strip().splitlines() or ["(no output)"])[-1]
            print(f"pip-audit: NOT AUDITED, its vulnerability source could not be asked: {last}")
            return 0
        dependencies = json.loads(report.read_text())["dependencies"]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if "skip_reason" in d]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions", [])) or "none yet"
            print(f"pip-audit: {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixed})")
    if vulnerable:
        print(f"pip-audit: {len(vulnerable)} locked package(s) with known vulnerabilities")
        return 1
    audited = len(dependencies) - len(skipped)
    if skipped and not audited:
        print(
            f"pip-audit: NOT AUDITED, the vulnerability source answered for none of the {len(skipped)} "
            f"locked packages (first: {skipped[0]['skip_reason']})"
        )
    elif skipped:
        names = ", ".join(d["name"] for d in skipped)
        print(f"pip-audit: {audited} packages audited, no known vulnerability; not audited: {names}")
    else:
        print(f"pip-audit: {audited} locked packages audited, no known vulnerability")
    return 0


if __name__ == "__main__":
    sys.exit(main())
