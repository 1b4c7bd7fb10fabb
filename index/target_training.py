"""Fitting the target gate (`index.target_gate`) after the answer model, on question sets with gold spans.

Each question gives one row: the gate's features for its best-matching target statement, whether that statement
holds the gold answer, and what firing would change — a wrong answer made right (+1), a right one made wrong (−1),
an unanswerable question the model refused now answered (−1). The threshold is the one whose out-of-fold firings
gain the most on these sets (folds keep a question's typed variants together, as the answer model's do); among
equal gains the highest, which fires least. When no threshold gains, the gate never fires.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from .evaluate import hits
from .learned import AnswerModel
from .logistic import fit_logistic
from .service import QAService
from .target_gate import TargetGate, candidate
from .target_store import book_for
from .training import FOLDS, Item, folds_of

log = logging.getLogger(__name__)

THRESHOLDS = np.round(np.arange(0.05, 1.0, 0.05), 2)
NEVER = 2.0  # a threshold no probability reaches


@dataclass(frozen=True)
class GateRow:
    x: np.ndarray | None  # [1, features]; None: no statement to weigh (no token states, no statements)
    right: bool  # the candidate statement holds the gold answer
    gain: int  # what firing changes: +1, 0 or −1 (see the module docstring)


def gate_rows(service: QAService, model: AnswerModel, items: list[Item]) -> list[GateRow]:
    """The gate's view of each question, with `model` answering it as `QAService.ask` would."""
    book = book_for(service)
    rows = []
    for it in items:
        r = service.assemble(it.ctx, it.lists, model.ranker)
        d = model.answer(service, r, it.asks)
        span = None if d.reason or d.best is None else (d.best.span.doc, d.best.span.start, d.best.span.end)
        c = candidate(it.ctx.query.text, it.ctx.states, book.index, book.tokens, d.probability, span)
        if c is None:
            rows.append(GateRow(None, False, 0))
            continue
        doc = it.question.get("doc")
        right = hits(*book.index.groups[c.group][0], doc, it.spans)
        if it.answerable:
            gain = int(right) - int(span is not None and hits(*span, doc, it.spans))
        else:
            gain = -int(span is None)
        rows.append(GateRow(c.x, right, gain))
    return rows


def fit_gate(rows: list[GateRow], fold: np.ndarray) -> TargetGate | None:
    """The gate on all rows, its threshold chosen on out-of-fold probabilities (`fold`: one per row); None when no
    question has a statement to weigh (an index without the statements' token states)."""
    keep = np.array([r.x is not None for r in rows], bool)
    if not keep.any():
        return None
    x = np.vstack([r.x for r in rows if r.x is not None])
    y = np.array([r.right for r in rows if r.x is not None], np.float64)
    gain = np.array([r.gain for r in rows if r.x is not None])
    fold = fold[keep]
    oof = np.zeros(len(y))
    for f in range(FOLDS):
        inside, out = fold != f, fold == f
        if out.any():
            held = fit_logistic(x[inside], y[inside])
            oof[out] = [held.probability(x[i : i + 1]) for i in np.flatnonzero(out)]
    gains = [int(gain[oof >= t].sum()) for t in THRESHOLDS]
    best = max(gains)
    threshold = float(max(t for t, g in zip(THRESHOLDS, gains, strict=True) if g == best)) if best > 0 else NEVER
    fired = oof >= threshold
    meta = {
        "trained_on": {"questions": len(rows), "with_candidate": int(keep.sum()), "right": int(y.sum())},
        "out_of_fold": {
            "fired": int(fired.sum()), "gained": int((gain[fired] > 0).sum()), "lost": int((gain[fired] < 0).sum()),
        },
    }
    log.info("target gate: threshold %.2f; out of fold %s", threshold, meta["out_of_fold"])
    return TargetGate(replace(fit_logistic(x, y), threshold=threshold), meta)


def fit_target_gate(service: QAService, model: AnswerModel, items: list[Item]) -> TargetGate | None:
    return fit_gate(gate_rows(service, model, items), folds_of(items))
