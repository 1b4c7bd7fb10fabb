"""The soak's short run in CI: load on two replicas behind nginx while every fault is injected once.

Runs `benchmarks/soak.py --tiny --fault all` (the test corpus, the fake embedder) as its own process and checks
what does not depend on this machine's speed: no 5xx outside the faults, no acknowledged rating lost, nothing lost
in any fault (Telegram updates answered exactly once, the index published), and the service whole and answering
at the end. Latency and memory are printed by the run (`-s` shows them), never asserted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.replicas, pytest.mark.redis, pytest.mark.soak]

ROOT = Path(__file__).resolve().parents[2]
FAULTS = {"kill-api", "redis", "postgres", "bot-api-errors", "duplicate-update", "index-build", "disk-full",
          "disk-readonly"}  # fmt: skip


def test_a_short_soak_survives_every_fault_and_loses_nothing_acknowledged(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--tiny", "--fault", "all", "--duration", "20",
               "--warmup", "5", "--hold", "2", "--settle", "2", "--json", str(out)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAUAP_")} | {"PYTHONPATH": str(ROOT)}
    run = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=540)
    print(run.stdout)
    assert out.exists(), run.stderr[-3000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["server_errors_outside_faults"] == 0, report["failures"]
    assert report["feedback_acknowledged"] > 0 and report["feedback_lost"] == 0
    assert report["settled"] and report["answering_after"]
    faults = {fault["name"]: fault for fault in report["faults"]}
    assert set(faults) == FAULTS
    for name, fault in faults.items():
        assert fault["lost"] == 0, (name, fault)
        if name not in ("disk-full", "disk-readonly"):  # refusing a rating it cannot store is the right answer
            assert fault["failed"] == 0, (name, fault)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
