"""How the target match scales with the number of target statements: the corpus's rows copied under other document
names (the same indicators again and again, the worst case for shared words), timed per question.

    python benchmarks/targets_scale.py [--copies 1 40 400] [--index artifacts/index]

Prints the statements, the build time of the target index and the mean time of `answer_from_targets` over the train
questions (docs/targets.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.target_match import TargetIndex, answer_from_targets  # noqa: E402
from index.target_store import load_rows  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, nargs="+", default=[1, 40, 400])
    ap.add_argument("--index", type=Path, default=ROOT / "artifacts" / "index")
    ap.add_argument("--questions", type=Path, default=ROOT.parent / "shared" / "eval" / "train.jsonl")
    args = ap.parse_args()
    rows = load_rows(args.index)
    if rows is None:
        sys.exit(f"no target rows in {args.index}: python -m index build")
    questions = [json.loads(line)["question"] for line in args.questions.open(encoding="utf-8")]
    print(f"{len(rows)} rows, {len(questions)} questions")
    for n in args.copies:
        many = [dataclasses.replace(r, doc=f"{i}-{r.doc}") for i in range(n) for r in rows]
        t = time.perf_counter()
        index = TargetIndex(many)
        built = time.perf_counter() - t
        t = time.perf_counter()
        for q in questions:
            answer_from_targets(q, index)
        per = (time.perf_counter() - t) / len(questions) * 1000
        print(f"{len(index.groups):>7} statements: index built in {built:.2f} s, match {per:.2f} ms a question")


if __name__ == "__main__":
    main()
