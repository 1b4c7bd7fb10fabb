"""Our own question sets (benchmarks/questions/) stay usable as measurements: every gold is an exact substring of
its corpus document, ids are unique and a typed variant's `base` is a question of the same set with the same gold.
A gold that drifts from the corpus would silently count as a miss in every figure quoted from these sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETS = sorted((ROOT / "benchmarks" / "questions").glob("written-*.jsonl"))
VARIANTS = {"kk", "kk_plain", "kk_latn", "ru", "typo", "mixed"}


@pytest.mark.parametrize("path", SETS, ids=[p.name for p in SETS])
def test_a_written_set_matches_the_corpus(path: Path) -> None:
    questions = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_id = {q["id"]: q for q in questions}
    assert len(by_id) == len(questions), "duplicate ids"
    for q in questions:
        assert q["question"].strip() and q["variant"] in VARIANTS, q["id"]
        if q["type"] == "unanswerable":
            assert q["gold"] == [], q["id"]
            continue
        text = (ROOT / "corpus" / q["doc"]).read_text(encoding="utf-8")
        assert q["gold"] and all(g in text for g in q["gold"]), q["id"]
        if q.get("base"):
            base = by_id[q["base"]]
            assert base["variant"] == "kk" and (base["doc"], base["gold"]) == (q["doc"], q["gold"]), q["id"]


def test_the_three_written_sets_are_there() -> None:
    assert [p.name for p in SETS] == ["written-answerable.jsonl", "written-near-miss.jsonl", "written-targets.jsonl"]
