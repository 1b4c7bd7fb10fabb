"""Judge a `pip-audit --format json` report: known vulnerabilities fail CI unless `.ci/audit-ignore.txt` names them
(with the reason, also given in docs/security.md); an audit that could not reach its advisory data, or did not run,
says so loudly and passes, since a network gap is not a finding.

Usage: python .ci/audit.py REPORT.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

IGNORE_FILE = Path(__file__).with_name("audit-ignore.txt")


def ignored_ids() -> set[str]:
    """Advisory ids accepted on purpose: one per line, `ID  reason`; `#` starts a comment."""
    if not IGNORE_FILE.exists():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in IGNORE_FILE.read_text(encoding="utf-8").splitlines())
    return {line.split()[0] for line in lines if line}


def main(report_path: str) -> int:
    path = Path(report_path)
    if not path.exists() or not path.stat().st_size:
        print("AUDIT NOT RUN: pip-audit wrote no report (see its error above); nothing was checked")
        return 0
    report = json.loads(path.read_text(encoding="utf-8"))
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    accepted = ignored_ids()
    findings = [
        (d["name"], d.get("version", "?"), v["id"], v.get("fix_versions", []))
        for d in deps
        for v in d.get("vulns", [])
        if v["id"] not in accepted and not set(v.get("aliases", [])) & accepted
    ]
    audited = len(deps) - len(skipped)
    print(f"pip-audit: {audited} of {len(deps)} installed packages audited, {len(findings)} unexplained findings")
    for name, version, vuln, fixes in findings:
        print(f"  {name} {version}: {vuln} (fixed in {', '.join(fixes) or 'no release yet'})")
    unreachable = [d for d in skipped if "not found on PyPI" in d["skip_reason"] and d["name"] != "jauap"]
    if unreachable:
        print(
            f"AUDIT INCOMPLETE: {len(unreachable)} packages had no advisory data (pip-audit reads "
            "https://pypi.org/pypi/<name>/<version>/json, or https://api.osv.dev with -s osv; this network "
            "answered neither for them). Run `make audit` where one is reachable."
        )
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
