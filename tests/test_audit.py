"""CI's judgement of a pip-audit report (.ci/audit.py): findings fail unless accepted; missing data is said."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

AUDIT = Path(__file__).resolve().parents[1] / ".ci" / "audit.py"


def judge(tmp_path: Path, deps: list[dict], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"dependencies": deps, "fixes": []}))
    main = runpy.run_path(str(AUDIT))["main"]
    return main(str(report)), capsys.readouterr().out


def test_a_known_vulnerability_fails_and_names_its_fix(tmp_path: Path, capsys) -> None:
    vuln = {"id": "GHSA-xxxx-yyyy-zzzz", "fix_versions": ["3.9.4"], "aliases": ["CVE-2024-1"], "description": ""}
    status, out = judge(tmp_path, [{"name": "aiohttp", "version": "3.9.0", "vulns": [vuln]}], capsys)
    assert status == 1 and "aiohttp 3.9.0: GHSA-xxxx-yyyy-zzzz (fixed in 3.9.4)" in out


def test_a_clean_report_passes_and_missing_advisory_data_is_said(tmp_path: Path, capsys) -> None:
    deps = [
        {"name": "fastapi", "version": "1.0", "vulns": []},
        {"name": "aiogram", "skip_reason": "Dependency not found on PyPI and could not be audited: aiogram (3.31.0)"},
    ]
    status, out = judge(tmp_path, deps, capsys)
    assert status == 0
    assert "1 of 2 installed packages audited, 0 unexplained findings" in out and "AUDIT INCOMPLETE: 1" in out


def test_no_report_is_said_not_hidden(tmp_path: Path, capsys) -> None:
    main = runpy.run_path(str(AUDIT))["main"]
    assert main(str(tmp_path / "missing.json")) == 0
    assert "AUDIT NOT RUN" in capsys.readouterr().out
