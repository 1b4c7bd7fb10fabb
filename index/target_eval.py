"""Measure the target rows and the target answers: extraction against the hand-checked fixture, and how often the
matcher fires on a question set and hits a gold span (the scorer's rule: overlap ≥ half the shorter span)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .evaluate import gold_spans, hits
from .target_match import TargetIndex, answer_from_targets
from .targets import TargetRow

FIELDS = ("doc", "indicator", "year", "value", "unit", "comparison", "start", "end", "value_start", "value_end")


def row_key(row: TargetRow | dict) -> tuple:
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    return tuple(get(k) for k in FIELDS)


def load_expected(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def score_extraction(rows: Sequence[TargetRow], expected: Sequence[dict]) -> dict:
    """Rows exactly right (every field of `FIELDS`): precision over extracted, recall over expected."""
    got = [row_key(r) for r in rows]
    want = [row_key(e) for e in expected]
    want_set, got_set = set(want), set(got)
    right = sum(1 for k in got if k in want_set)
    return {
        "expected": len(want),
        "extracted": len(got),
        "exact": right,
        "precision": round(right / len(got), 4) if got else 0.0,
        "recall": round(sum(1 for k in want if k in got_set) / len(want), 4) if want else 0.0,
    }


def hits_gold(doc: str, start: int, end: int, text: str, gold_doc: str, gold: Sequence[str]) -> bool:
    """The evaluation's rule (`evaluate.hits`): same document, overlap ≥ half of the shorter span."""
    return hits(doc, start, end, gold_doc, gold_spans({"doc": gold_doc, "gold": list(gold)}, {gold_doc: text}))


@dataclass
class MatcherScore:
    questions: int = 0
    fired: int = 0
    right: int = 0
    wrong: int = 0
    fired_by_type: dict | None = None

    def as_dict(self) -> dict:
        return {"questions": self.questions, "fired": self.fired, "right": self.right, "wrong": self.wrong,
                "by_type": self.fired_by_type or {}}


def evaluate_matcher(
    questions: Sequence[dict], index: TargetIndex, texts: dict[str, str],
    hits_for: Callable[[str], Sequence[tuple[str, int, int]]] | None = None, **params: float,
) -> MatcherScore:
    """Fire / right / wrong over a question set (`type`, `doc`, `gold` as in ../shared/eval)."""
    score = MatcherScore(fired_by_type={})
    for q in questions:
        score.questions += 1
        hits = hits_for(q["question"]) if hits_for else ()
        m = answer_from_targets(q["question"], index, hits, **params)
        if m is None:
            continue
        score.fired += 1
        ok = bool(q.get("gold")) and hits_gold(m.doc, m.start, m.end, texts[m.doc], q.get("doc", ""), q["gold"])
        score.right += ok
        score.wrong += not ok
        by = score.fired_by_type.setdefault(q.get("type", "?"), [0, 0])
        by[0 if ok else 1] += 1
    return score


def evaluate_override(before, after, questions: Sequence[dict], texts: dict[str, str]) -> dict:
    """answer@1 per question type as `before` answers (built with JAUAP_TARGET_ANSWERS=false) and as `after` does
    (target answers on: the fitted gate, or the word match where the index or model has none); how often a target
    statement answered, rightly or not, and the unanswerable questions `before` refused that `after` answers."""
    by_type: dict[str, list[int]] = {}
    fired = right = refusals_lost = 0
    for q in questions:
        a, b = before.ask(q["question"]), after.ask(q["question"])
        if b.target is not None and b.target.score > 0:  # the target path chose it (not rows shown for the model's)
            fired += 1
            right += _answers(b, q, texts)
        if not q.get("gold"):
            refusals_lost += a.abstained and not b.abstained
            continue
        row = by_type.setdefault(q.get("type", "?"), [0, 0, 0])
        row[0] += 1
        row[1] += _answers(a, q, texts)
        row[2] += _answers(b, q, texts)
    total = [sum(v[i] for v in by_type.values()) for i in range(3)]
    return {
        "ALL": total, **by_type, "columns": ["answerable", "answer@1 before", "answer@1 with targets"],
        "target_answers": {"fired": fired, "right": right, "wrong": fired - right},
        "unanswerable_refusals_lost": refusals_lost,
    }


def _answers(answer, q: dict, texts: dict[str, str]) -> bool:
    span = answer.answer
    return bool(q.get("gold")) and span is not None and hits_gold(
        span.doc, span.start, span.end, texts[span.doc], q.get("doc", ""), q["gold"]
    )
