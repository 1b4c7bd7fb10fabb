"""Quality on a question set with gold spans, with the metrics of ../shared/eval/README.md, per variant."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .models import Answer
from .service import QAService

MAX_CITATION = 2000


@dataclass
class Row:
    n: int = 0
    hit1: int = 0
    hit5: int = 0
    mrr: float = 0.0
    answer1: int = 0
    abstained: int = 0

    def as_dict(self) -> dict[str, float]:
        n = self.n or 1
        return {
            "n": self.n, "hit@1": self.hit1 / n, "hit@5": self.hit5 / n, "mrr@10": self.mrr / n,
            "answer@1": self.answer1 / n, "abstained": self.abstained / n,
        }


def load_questions(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def gold_spans(question: dict, texts: dict[str, str]) -> list[tuple[int, int]]:
    """Where the question's gold strings sit in its document (none for an unanswerable question)."""
    text = texts.get(question.get("doc") or "", "")
    return [(text.find(g), text.find(g) + len(g)) for g in question.get("gold") or [] if text.find(g) >= 0]


def hits(doc: str, a: int, b: int, q_doc: str, spans: list[tuple[int, int]]) -> bool:
    if doc != q_doc:
        return False
    return any(min(b, e) - max(a, s) > 0 and min(b, e) - max(a, s) >= 0.5 * min(e - s, b - a) for s, e in spans)


def score(questions: list[dict], answers: list[Answer], texts: dict[str, str]) -> dict[str, Row]:
    rows: dict[str, Row] = defaultdict(Row)
    for q, a in zip(questions, answers, strict=True):
        unanswerable = q.get("type") == "unanswerable" or not q.get("gold")
        keys = ["unanswerable"] if unanswerable else [q.get("variant", "kk"), "ALL"]
        for k in keys:
            rows[k].n += 1
            rows[k].abstained += a.abstained
        if unanswerable:
            continue
        spans = gold_spans(q, texts)
        rank = next(
            (i + 1 for i, c in enumerate(a.citations[:10])
             if c.end - c.start <= MAX_CITATION and hits(c.doc, c.start, c.end, q["doc"], spans)),
            None,
        )
        ans = a.answer is not None and hits(a.answer.doc, a.answer.start, a.answer.end, q["doc"], spans)
        for k in keys:
            r = rows[k]
            r.hit1 += rank == 1
            r.hit5 += rank is not None and rank <= 5
            r.mrr += 1 / rank if rank else 0.0
            r.answer1 += ans
    return dict(rows)


def evaluate(service: QAService, questions: list[dict]) -> dict[str, Row]:
    answers = [service.ask(q["question"]) for q in questions]
    texts = {d.id: service.document(d.id).text for d in service.documents()}
    return score(questions, answers, texts)
