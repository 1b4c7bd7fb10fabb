"""The fitted answer model: a learned chunk ranker, a learned answer-sentence choice and a calibrated abstention.

One JSON file (`answer-model.json`) holds all three, beside the index manifest it was fitted for. The two rankers are
LightGBM lambdarank models (stored as LightGBM's own text format); abstention is a logistic regression, whose
probability that the chosen sentence answers is thresholded where cross-validation on the train set kept wrong
refusals at most 5 %. `python -m index train` fits it (`training.py`); the file shipped in `index/trained/` was
fitted on the train set and is copied into every index it matches.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import lightgbm as lgb
import numpy as np

from config import Settings

from .abstention import explain
from .answer import Asks, ScoredSpan, UnitCandidate, best_by_hand
from .errors import JauapError
from .features import FEATURES_VERSION, abstain_features, missing_terms, ranker_features, span_features, unit_concepts
from .logistic import Logistic
from .models import AbstainReason
from .ranking import Ranked
from .retrievers import Candidates, QuestionContext
from .store import StoredIndex
from .target_gate import TargetGate
from .token_states import maxsim

if TYPE_CHECKING:
    from .service import QAService, Retrieval

log = logging.getLogger(__name__)

MODEL_FILE = "answer-model.json"
BUNDLED = Path(__file__).parent / "trained" / MODEL_FILE


class ModelMismatchError(JauapError):
    def __init__(self, path: object, why: str) -> None:
        super().__init__(
            f"The answer model {path} was fitted for another index ({why}). Fit it for this one with: "
            f"python -m index train --index <index dir>, or set JAUAP_ANSWER_MODEL=false to answer without it."
        )


def index_key(index: StoredIndex) -> dict:
    """What a model's features mean depends on: the embedder, the chunker and analyser, the lists the index has."""
    m = index.manifest
    return {
        "embedder": m.embedder, "chunker": m.chunker, "analyser": m.analyser, "stem_prefix": m.stem_prefix,
        "char_ngram": m.char_ngram, "sparse": index.unit_sparse is not None, "features": FEATURES_VERSION,
        "token_states": index.unit_tokens is not None,
    }


@dataclass(frozen=True)
class Decision:
    best: ScoredSpan | None
    probability: float  # that the chosen sentence answers the question
    reason: AbstainReason | None


class LearnedRanker:
    """Reorders the first `pool` fused chunks by a lambdarank model over `features.RANKER`."""

    def __init__(self, booster: lgb.Booster, pool: int) -> None:
        self.booster = booster
        self.pool = pool

    def scores(self, service: QAService, ctx: QuestionContext, lists: list[Candidates], fused: Ranked) -> np.ndarray:
        return predict(self.booster, ranker_input(service, ctx, lists, fused, self.pool))


def ranker_input(service: QAService, ctx: QuestionContext, lists: list[Candidates], fused: Ranked, pool: int):
    """The ranker's rows for the first `pool` fused chunks (`features.RANKER`)."""
    ids = fused.ids[:pool]
    units = service.layout.units(ids)
    concepts = unit_concepts(ctx.terms, service.index.unit_sparse, service.unit_sparse_norms, units)
    asks = Asks.of(ctx.query.text, ctx.query.long_forms)
    return ranker_features(
        ctx, lists, fused, ids, service.index.chunks, service.facts, service.layout, service.idf, concepts, asks
    )


def predict(booster: lgb.Booster, x: np.ndarray) -> np.ndarray:
    return booster.predict(x, num_threads=1) if len(x) else np.zeros(0)


@dataclass
class SpanCandidates:
    units: list[UnitCandidate]
    concepts: np.ndarray
    maxsim: np.ndarray  # each unit's late-interaction match with the question (index.token_states)
    x: np.ndarray


def span_candidates(service: QAService, r: Retrieval, asks: Asks) -> SpanCandidates:
    """The units of the top chunks as the learned sentence choice reads them."""
    units = service.answer_units(r, asks)
    top = r.hits[: service.settings.retrieval.answer_chunks]
    unit_ids = service.layout.units([h.chunk.id for h in top])
    concepts = unit_concepts(r.ctx.terms, service.index.unit_sparse, service.unit_sparse_norms, unit_ids)
    found = maxsim(r.ctx.states, service.index.unit_tokens, unit_ids)
    x = span_features(r.ctx, units, [h.score for h in top], concepts, asks, found)
    return SpanCandidates(units, concepts, found[0], x)


def abstention_input(
    service: QAService, r: Retrieval, cands: SpanCandidates, span: lgb.Booster, asks: Asks
) -> tuple[np.ndarray, np.ndarray, int]:
    """The abstention model's row for a question, the sentence scores and the chosen sentence (non-empty `cands`)."""
    scores = predict(span, cands.x)
    chosen = int(np.argmax(scores))
    conf = service.hand_confidence(r, best_by_hand(cands.units))
    missing = missing_terms(r.ctx, [service.facts.keys[hit.chunk.id] for hit in r.hits[:3]], service.idf)
    x = abstain_features(
        r.ctx, r.lists, r.ranked, cands.units, scores, chosen, cands.concepts, conf, missing, asks, cands.maxsim
    )
    return x, scores, chosen


class AnswerModel:
    def __init__(
        self, meta: dict, ranker: lgb.Booster | None, span: lgb.Booster, abstainer: Logistic,
        target_gate: TargetGate | None = None,
    ) -> None:
        self.meta = meta
        # None: the fused ranking stands (a learned one is kept only where cross-validation shows it helps)
        self.ranker = LearnedRanker(ranker, int(meta["pool"])) if ranker is not None else None
        self.span = span
        self.abstainer = abstainer
        # whether a target statement answers instead of the chosen sentence; it reads this model's probability, so
        # it is fitted after it (index.target_training); None: the word match of index.target_match decides
        self.target_gate = target_gate

    def answer(self, service: QAService, r: Retrieval, asks: Asks) -> Decision:
        cands = span_candidates(service, r, asks)
        if not cands.units:
            return Decision(None, 0.0, "no_passages")
        x, scores, chosen = abstention_input(service, r, cands, self.span, asks)
        u = cands.units[chosen]
        best = ScoredSpan(u.span, float(scores[chosen]), u.similarity, u.overlap)
        p = round(self.abstainer.probability(x), 4)
        if service.unknown_figure(r):
            return Decision(best, p, "unknown_figure")
        if p < self.abstainer.threshold:
            concept = float(cands.concepts.max(initial=0.0))
            return Decision(best, p, explain(asks, best, concept, service.settings.retrieval.abstain_concepts_below))
        return Decision(best, p, None)

    def to_json(self) -> str:
        return json.dumps(
            {
                **self.meta, "ranker": self.ranker.booster.model_to_string() if self.ranker else None,
                "span": self.span.model_to_string(), "abstainer": self.abstainer.to_dict(),
                "target_gate": self.target_gate.to_dict() if self.target_gate else None,
            },
            ensure_ascii=False, indent=1, sort_keys=True,
        )

    @classmethod
    def read(cls, path: Path) -> AnswerModel:
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            ranker_text = d.pop("ranker")
            ranker = lgb.Booster(model_str=ranker_text) if ranker_text else None
            span = lgb.Booster(model_str=d.pop("span"))
            abstainer = Logistic.from_dict(d.pop("abstainer"))
            gate = TargetGate.from_dict(d.pop("target_gate", None))
        except (OSError, ValueError, KeyError, lgb.basic.LightGBMError) as exc:
            msg = f"The answer model {path} is unreadable ({exc}). Fit it again: python -m index train"
            raise JauapError(msg) from exc
        return cls(d, ranker, span, abstainer, gate)


def load_answer_model(index: StoredIndex, settings: Settings) -> AnswerModel | None:
    """The model beside the index manifest; checked against the index it is loaded for."""
    if not settings.retrieval.answer_model:
        return None
    path = index.path / MODEL_FILE
    if not path.exists():
        log.warning("no answer model in %s: ranking by fusion only (python -m index train fits one)", index.path)
        return None
    model = AnswerModel.read(path)
    key = index_key(index)
    if model.meta.get("index") != key:
        diff = sorted(k for k in key if model.meta.get("index", {}).get(k) != key[k])
        raise ModelMismatchError(path, "differs in " + ", ".join(diff))
    return model


def answer_model_for(index: StoredIndex, previous: Path) -> dict[str, str]:
    """The model a new index version starts with: the one beside the version it replaces, else the shipped one,
    when either was fitted for an index like it (same embedder, chunker, analyser and lists); none otherwise."""
    for path in (previous / MODEL_FILE, BUNDLED):
        try:
            text = path.read_text(encoding="utf-8")
            if json.loads(text).get("index") == index_key(index):
                return {MODEL_FILE: text}
        except (OSError, ValueError):
            continue
    return {}
