"""Fitting the answer model on question sets with gold spans — `python -m index train` and the cross-validation of
`python -m index eval --cv`.

The three stages are fitted in order, each on what the previous one gives questions it has not seen: the sentence
choice learns from the chunks an out-of-fold ranker put on top, and abstention from out-of-fold rankings and
sentences, so that their inputs look at training time as they will on a new question. Folds keep the typed variants
of one question (`base`) together: a Latin or plain-keyboard twin in another fold would leak its answer.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import lightgbm as lgb
import numpy as np

from .answer import Asks
from .errors import JauapError
from .evaluate import Row, gold_spans, hits, score
from .features import ABSTAIN, FEATURES_VERSION, RANKER, SPAN
from .learned import (
    AnswerModel,
    LearnedRanker,
    SpanCandidates,
    abstention_input,
    index_key,
    ranker_input,
    span_candidates,
)
from .logistic import fit_logistic
from .models import Answer
from .ranking import Ranked, fuse
from .retrievers import Candidates, QuestionContext
from .service import QAService, Retrieval

log = logging.getLogger(__name__)

SEED = 13
FOLDS = 5
POOL = 40  # fused chunks the ranker reorders
MAX_WRONG_REFUSALS = 0.04  # out-of-fold, on the train set: a margin under the 5 % goal
BOOST = {
    "objective": "lambdarank", "learning_rate": 0.05, "num_leaves": 3, "min_data_in_leaf": 20,
    "feature_fraction": 0.8, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
    "deterministic": True, "force_row_wise": True, "num_threads": 1, "verbose": -1,
}
ROUNDS = 50


@dataclass
class Item:
    """One question, analysed, encoded and retrieved once; its gold spans and the ranker's view of its pool."""

    question: dict
    group: str
    spans: list[tuple[int, int]]
    ctx: QuestionContext
    lists: list[Candidates]
    fused: Ranked
    x_rank: np.ndarray
    y_rank: np.ndarray

    @property
    def answerable(self) -> bool:
        return bool(self.spans)

    @property
    def asks(self) -> Asks:
        return Asks.of(self.ctx.query.text, self.ctx.query.long_forms)


def collect(service: QAService, questions: list[dict]) -> list[Item]:
    """Encode and retrieve every question once (`service` without a model: fused lists)."""
    items = []
    for q in questions:
        ctx = service.context(q["question"])
        lists = [r.search(ctx, service.settings.retrieval.candidates) for r in service.retrievers]
        fused = fuse(lists, ctx.query.coverage, service.settings)
        spans = gold_spans(q, service.texts)
        x = ranker_input(service, ctx, lists, fused, POOL)
        chunks = service.index.chunks
        y = np.array([hits(chunks[i].doc, chunks[i].start, chunks[i].end, q.get("doc"), spans)
                      for i in fused.ids[:POOL]], np.float64)
        items.append(Item(q, str(q.get("base") or q["id"]), spans, ctx, lists, fused, x, y))
    return items


def without_gold(service: QAService, item: Item) -> Item:
    """The same question over the index with its answering chunks taken out of every list: the documents then
    hold only its topical neighbours, as for a near-miss question. Abstention learns from these too (the train set
    has few unanswerable questions)."""
    chunks = service.index.chunks
    doc = item.question.get("doc")
    gold = {c.id for c in chunks if hits(c.doc, c.start, c.end, doc, item.spans)}
    lists = []
    for c in item.lists:
        keep = np.array([int(i) not in gold for i in c.ids], bool)
        full = None
        if c.full is not None:
            full = c.full.astype(np.float64).copy()
            full[list(gold)] = full.min(initial=0.0)
        lists.append(Candidates(c.name, c.kind, c.ids[keep], c.scores[keep], full))
    fused = fuse(lists, item.ctx.query.coverage, service.settings)
    return Item({**item.question, "gold": []}, item.group, [], item.ctx, lists, fused, item.x_rank[:0], item.y_rank[:0])


def folds_of(items: list[Item], k: int = FOLDS) -> np.ndarray:
    """A fold per item, by a hash of its group: stable whatever the order or the other items."""
    return np.array([int(hashlib.sha256(f"{SEED}:{it.group}".encode()).hexdigest(), 16) % k for it in items])


def _fit_rank(xs: list[np.ndarray], ys: list[np.ndarray], names: list[str]) -> lgb.Booster:
    keep = [(x, y) for x, y in zip(xs, ys, strict=True) if len(y) and y.max() > 0]  # no positive: nothing to learn
    if not keep:
        raise JauapError("No question of these sets finds its gold passage in this index: nothing to fit on.")
    data = lgb.Dataset(
        np.vstack([x for x, _ in keep]), np.concatenate([y for _, y in keep]), group=[len(y) for _, y in keep],
        feature_name=names, free_raw_data=False,
    )
    return lgb.train({**BOOST, "seed": SEED}, data, num_boost_round=ROUNDS)


def _out_of_fold(
    fold: np.ndarray, xs: list[np.ndarray], ys: list[np.ndarray], names: list[str]
) -> tuple[list[lgb.Booster], lgb.Booster]:
    """For each question, the model fitted without its fold; and the model fitted on all of them."""
    per_item: list[lgb.Booster] = [None] * len(xs)  # type: ignore[list-item]
    for f in range(FOLDS):
        inside = np.flatnonzero(fold != f)
        booster = _fit_rank([xs[i] for i in inside], [ys[i] for i in inside], names)
        for i in np.flatnonzero(fold == f):
            per_item[i] = booster
    return per_item, _fit_rank(xs, ys, names)


@dataclass
class SpanRows:
    retrieval: Retrieval
    x: np.ndarray
    y: np.ndarray
    cands: SpanCandidates


def _span_rows(service: QAService, item: Item, ranker: lgb.Booster | None) -> SpanRows:
    r = service.assemble(item.ctx, item.lists, LearnedRanker(ranker, POOL) if ranker is not None else None)
    cands = span_candidates(service, r, item.asks)
    y = np.array([hits(u.span.doc, u.span.start, u.span.end, item.question.get("doc"), item.spans)
                  for u in cands.units], np.float64)
    return SpanRows(r, cands.x, y, cands)


def _abstain_row(service: QAService, item: Item, rows: SpanRows, span: lgb.Booster) -> tuple[np.ndarray, bool, bool]:
    """(features, the chosen sentence answers, the one general rule refuses)."""
    if not rows.cands.units:
        return np.zeros((1, len(ABSTAIN))), False, False
    x, _, chosen = abstention_input(service, rows.retrieval, rows.cands, span, item.asks)
    return x, bool(rows.y[chosen]), service.unknown_figure(rows.retrieval)


def fit(
    service: QAService, items: list[Item], progress: Callable[[str], None] = log.info, rank: bool = False
) -> AnswerModel:
    """The three stages on `items`, each fed out-of-fold outputs of the one before (see the module docstring).
    `rank`: fit the chunk ranker too (else the fused ranking stands). Abstention predicts that the chosen sentence
    answers (predicting that the documents answer did worse: docs/quality.md)."""
    fold = folds_of(items)
    oof_rank: list[lgb.Booster | None] = [None] * len(items)
    ranker = None
    if rank:
        progress(f"ranker: {FOLDS} out-of-fold fits and the final one on {len(items)} questions")
        oof_rank, ranker = _out_of_fold(fold, [it.x_rank for it in items], [it.y_rank for it in items], RANKER)
    progress("answer sentence: candidates from out-of-fold rankings")
    span_rows = [_span_rows(service, it, oof_rank[i]) for i, it in enumerate(items)]
    oof_span, span = _out_of_fold(fold, [r.x for r in span_rows], [r.y for r in span_rows], SPAN)
    progress("abstention: out-of-fold sentences, probabilities and the threshold")
    rows = [_abstain_row(service, it, span_rows[i], oof_span[i]) for i, it in enumerate(items)]
    x = np.vstack([r[0] for r in rows])
    answerable = np.array([it.answerable for it in items])
    y = np.array([r[1] for r in rows], np.float64)
    rule = np.array([r[2] for r in rows])
    # the answerable questions again, their answer taken out: more near-misses to learn from (not to threshold on)
    extra = [i for i in range(len(items)) if items[i].answerable]
    x_extra = np.vstack(
        [_abstain_row(service, m, _span_rows(service, m, oof_rank[i]), oof_span[i])[0]
         for i in extra for m in [without_gold(service, items[i])]]
    ) if extra else np.zeros((0, x.shape[1]))
    fold_extra = fold[extra]
    oof_p = np.zeros(len(items))
    for f in range(FOLDS):
        inside, out = fold != f, fold == f
        if out.any():
            xe = x_extra[fold_extra != f]
            model = fit_logistic(np.vstack([x[inside], xe]), np.r_[y[inside], np.zeros(len(xe))])
            oof_p[out] = [model.probability(x[i : i + 1]) for i in np.flatnonzero(out)]
    threshold = choose_threshold(oof_p, answerable, rule)
    abstainer = replace(fit_logistic(np.vstack([x, x_extra]), np.r_[y, np.zeros(len(x_extra))]), threshold=threshold)
    refused = (oof_p < threshold) | rule
    meta = {
        "format": 1, "features": FEATURES_VERSION, "index": index_key(service.index), "pool": POOL, "seed": SEED,
        "abstention_label": "correct", "gold_removed_negatives": len(extra),
        "trained_on": {"questions": len(items), "answerable": int(answerable.sum())},
        "out_of_fold": {
            "wrongly_abstained": round(float(refused[answerable].mean()), 4),
            "unanswerable_abstained": round(float(refused[~answerable].mean()), 4) if (~answerable).any() else None,
        },
    }
    return AnswerModel(meta, ranker, span, abstainer)


def choose_threshold(
    p: np.ndarray, answerable: np.ndarray, rule: np.ndarray, budget: float = MAX_WRONG_REFUSALS
) -> float:
    """The highest probability threshold whose refusals of answerable questions (the rule's included) stay within
    `budget`: as many unanswerable questions refused as that allows."""
    best = 0.0
    for t in np.unique(np.round(p, 4)):
        refused = ((p < t) | rule)[answerable]
        if refused.mean() <= budget:
            best = max(best, float(t))
    return best


def answers_with(service: QAService, model: AnswerModel, questions: list[dict]) -> list[Answer]:
    previous = service.model
    service.model = model
    try:
        return [service.ask(q["question"]) for q in questions]
    finally:
        service.model = previous


def cross_validate(service: QAService, items: list[Item], progress: Callable[[str], None] = log.info) -> list[dict]:
    """Per fold: fit on the other folds, answer the held-out questions; the metrics of each fold."""
    fold = folds_of(items)
    out = []
    for f in range(FOLDS):
        progress(f"fold {f + 1}/{FOLDS}")
        model = fit(service, [it for i, it in enumerate(items) if fold[i] != f], progress=lambda _: None)
        held = [it.question for i, it in enumerate(items) if fold[i] == f]
        rows = score(held, answers_with(service, model, held), service.texts)
        out.append(summary(rows))
    return out


def summary(rows: dict[str, Row]) -> dict[str, float]:
    all_, un = rows.get("ALL", Row()).as_dict(), rows.get("unanswerable", Row()).as_dict()
    return {
        "hit@1": all_["hit@1"], "hit@5": all_["hit@5"], "mrr@10": all_["mrr@10"], "answer@1": all_["answer@1"],
        "unanswerable abstained": un["abstained"], "wrongly abstained": all_["abstained"],
    }
