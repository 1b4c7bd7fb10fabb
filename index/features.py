"""What the learned models read: plain numbers about a question, its candidate chunks and candidate sentences.

Nothing here names a document, a word or a question: every feature is a score, a rank, an overlap or a flag that
means the same on any corpus, so a model fitted on the train set carries over to questions it has not seen.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .answer import Asks, UnitCandidate, names_someone, term_overlap
from .models import Chunk
from .ranking import Ranked
from .retrievers import Candidates, QuestionContext, UnitLayout
from .text import analyse, numbers

FEATURES_VERSION = 3  # 3: the late-interaction match of question and sentence tokens (index.token_states)
LISTS = ("dense_chunks", "dense_units", "latent_terms", "bm25_chunks", "bm25_units", "chunk_ngrams")
_HAS_DIGIT = re.compile(r"\d")

QUESTION = ["coverage", "q_words", "q_ru", "q_figure", "q_reason", "q_definition", "q_unit", "q_person"]
RANKER = [f"{name}_{f}" for name in LISTS for f in ("rr", "score", "gap")] + [
    "fused_rr", "fused_rel", "overlap_chunk", "overlap_unit", "overlap_section", "doc_share", "neighbour_rr",
    "log_chars", "units", "digits", "numbers", "concept", "concept_gap", *QUESTION,
]
SPAN = [
    "sim", "sim_gap", "sim_rr", "overlap", "overlap_gap", "chunk_rank", "chunk_score_gap", "heuristic",
    "heuristic_gap", "heuristic_rr", "digits", "numbers", "amount", "cause", "defines", "no_news", "log_chars",
    "position", "concept", "concept_gap", "maxsim", "maxsim_gap", "maxsim_rr", "maxsim_cover", *QUESTION,
]
ABSTAIN = [
    "rank_top", "rank_margin", "span_top", "span_margin", "sim", "overlap", "concept", "concept_top3",
    "dense_top", "unit_top", "bm25_top", "no_amount", "defines", "heuristic_conf", "missing_idf_max",
    "missing_share", "missing_share_top1", "figure_missing", "person_missing", "maxsim", "maxsim_top", *QUESTION,
]


@dataclass(frozen=True)
class ChunkFacts:
    """Per chunk and per unit, computed once per index: analyser keys, section keys, figures."""

    keys: list[frozenset[str]]
    section_keys: list[frozenset[str]]
    unit_keys: list[frozenset[str]]  # in unit order
    digits: np.ndarray  # bool per chunk
    numbers: list[frozenset[str]]
    log_chars: np.ndarray

    @classmethod
    def of(cls, chunks: list[Chunk], texts: dict[str, str], prefix: int) -> ChunkFacts:
        unit_keys = [
            frozenset(w for w in analyse(texts[c.doc][s:e], prefix) if len(w) >= 3) for c in chunks for s, e in c.units
        ]
        return cls(
            keys=[frozenset(analyse(c.text, prefix)) for c in chunks],
            section_keys=[frozenset(analyse(" ".join(c.section), prefix)) for c in chunks],
            unit_keys=unit_keys,
            digits=np.array([bool(_HAS_DIGIT.search(c.text)) for c in chunks]),
            numbers=[frozenset(numbers(c.text)) for c in chunks],
            log_chars=np.log1p([len(c.text) for c in chunks]),
        )


def question_features(ctx: QuestionContext, asks: Asks) -> list[float]:
    q = ctx.query
    return [
        q.coverage, math.log1p(len(q.own_tokens)), float(q.lang == "ru"), float(asks.figure), float(asks.reason),
        float(asks.definition), float(asks.unit is not None), float(asks.person),
    ]


def unit_concepts(
    terms: np.ndarray | None, unit_sparse: sparse.csr_matrix | None, norms: np.ndarray | None, units: np.ndarray
) -> np.ndarray:
    """Latent-concept cosine of each unit with the question (zeros without the sparse head)."""
    if terms is None or unit_sparse is None or norms is None or not len(units):
        return np.zeros(len(units))
    q_norm = float(np.linalg.norm(terms)) or 1.0
    return (unit_sparse[units] @ terms) / np.maximum(norms[units] * q_norm, 1e-9)


def ranker_features(
    ctx: QuestionContext,
    lists: list[Candidates],
    fused: Ranked,
    pool: list[int],
    chunks: list[Chunk],
    facts: ChunkFacts,
    layout: UnitLayout,
    idf: dict[str, float],
    concepts: np.ndarray,  # of every unit of the pool's chunks, in pool order
    asks: Asks,
) -> np.ndarray:
    """One row per pool chunk (`RANKER` columns)."""
    by_name = {c.name: c for c in lists}
    cols: list[np.ndarray] = []
    ids = np.array(pool)
    for name in LISTS:
        cand = by_name.get(name)
        if cand is None or not len(cand):
            cols += [np.zeros(len(pool))] * 3
            continue
        rank = {int(i): r for r, i in enumerate(cand.ids)}
        rr = np.array([1 / (1 + rank[i]) if i in rank else 0.0 for i in pool])
        top = float(cand.scores[0])
        if cand.full is not None:
            score = cand.full[ids].astype(np.float64)
        else:
            own = cand.as_dict()
            score = np.array([own.get(i, 0.0) for i in pool])
        if cand.kind == "lexical":
            cols += [rr, score / top if top > 0 else score * 0, np.log1p(np.maximum(score, 0))]
        else:
            cols += [rr, score, top - score]
    top_fused = fused.scores[fused.ids[0]] or 1.0
    q_tokens = list(ctx.query.own_tokens) + [k for short, long in ctx.query.synonyms for k in (short, *long)]
    head = fused.ids[:20]
    doc_count: dict[str, int] = {}
    for i in head:
        doc_count[chunks[i].doc] = doc_count.get(chunks[i].doc, 0) + 1
    fused_rank = {i: r for r, i in enumerate(fused.ids)}
    q_numbers = ctx.query.numbers
    at = 0
    best_concept = float(concepts.max(initial=0.0))
    rows = []
    for i in pool:
        c = chunks[i]
        units = layout.of(i)
        n_units = units.stop - units.start
        concept = float(concepts[at : at + n_units].max(initial=0.0))
        at += n_units
        unit_overlap = max((term_overlap(q_tokens, facts.unit_keys[u], idf) for u in range(units.start, units.stop)),
                           default=0.0)
        neighbours = [fused_rank[j] for j in (i - 1, i + 1) if j in fused_rank and chunks[j].doc == c.doc]
        rows.append([
            1 / (1 + fused_rank[i]), fused.scores[i] / top_fused, term_overlap(q_tokens, facts.keys[i], idf),
            unit_overlap, term_overlap(q_tokens, facts.section_keys[i], idf), doc_count.get(c.doc, 0) / len(head),
            1 / (1 + min(neighbours)) if neighbours else 0.0, facts.log_chars[i], math.log1p(n_units),
            float(facts.digits[i]), float(bool(q_numbers & facts.numbers[i])), concept, best_concept - concept,
        ])
    q = question_features(ctx, asks)
    return np.column_stack([*cols, np.array(rows), np.tile(q, (len(pool), 1))]) if pool else np.zeros((0, len(RANKER)))


def span_features(
    ctx: QuestionContext,
    units: list[UnitCandidate],
    chunk_scores: list[float],
    concepts: np.ndarray,
    asks: Asks,
    maxsim: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """One row per candidate unit (`SPAN` columns); `chunk_scores` are the ranker's scores of the top chunks,
    `maxsim` the units' late-interaction match and cover (`token_states.maxsim`)."""
    if not units:
        return np.zeros((0, len(SPAN)))
    found, cover = maxsim
    found_rank = np.argsort(np.argsort(-found, kind="stable"), kind="stable")
    sim = np.array([u.similarity for u in units])
    overlap = np.array([u.overlap for u in units])
    heur = np.array([u.score for u in units])
    sim_rank = np.argsort(np.argsort(-sim, kind="stable"), kind="stable")
    heur_rank = np.argsort(np.argsort(-heur, kind="stable"), kind="stable")
    q = question_features(ctx, asks)
    top_chunk = chunk_scores[0] if chunk_scores else 0.0
    rows = [
        [
            u.similarity, sim.max() - u.similarity, 1 / (1 + sim_rank[j]), u.overlap, overlap.max() - u.overlap,
            u.chunk_rank, top_chunk - chunk_scores[u.chunk_rank], u.score, heur.max() - u.score,
            1 / (1 + heur_rank[j]), float(u.digits), float(u.numbers), float(u.amount), float(u.cause),
            float(u.defines), float(u.no_news), math.log1p(len(u.span.text)), math.log1p(u.position),
            float(concepts[j]), float(concepts.max() - concepts[j]), found[j], found.max() - found[j],
            1 / (1 + found_rank[j]), cover[j], *q,
        ]
        for j, u in enumerate(units)
    ]
    return np.array(rows, dtype=np.float64)


def missing_terms(
    ctx: QuestionContext, top_keys: list[frozenset[str]], idf: dict[str, float]
) -> tuple[float, float, float]:
    """The question's words that the answering chunks lack: the rarest one's IDF, and the IDF-weighted share missing
    from all of them and from the first. A near-miss question names the thing the documents do not give (a fee,
    the hours, a name) beside words they do."""
    q = [t for t in dict.fromkeys(ctx.query.own_tokens) if len(t) >= 3 and t in idf]
    if not q or not top_keys:
        return 0.0, 0.0, 0.0
    weight = {t: idf[t] for t in q}
    total = sum(weight.values())
    anywhere = frozenset().union(*top_keys)
    missing = [t for t in q if t not in anywhere]
    return (
        max((weight[t] for t in missing), default=0.0), sum(weight[t] for t in missing) / total,
        sum(weight[t] for t in q if t not in top_keys[0]) / total,
    )


def abstain_features(
    ctx: QuestionContext,
    lists: list[Candidates],
    ranked: Ranked,
    units: list[UnitCandidate],
    span_scores: np.ndarray,
    chosen: int,
    concepts: np.ndarray,
    heuristic_conf: float,
    missing: tuple[float, float, float],
    asks: Asks,
    maxsim: np.ndarray,
) -> np.ndarray:
    """One row for the question (`ABSTAIN` columns): how clearly the chunk and the sentence won, how close they
    are, and which of the question's words the answering chunks lack (`missing_terms`)."""
    top = [ranked.scores[i] for i in ranked.ids[:2]] + [0.0, 0.0]
    order = np.sort(span_scores)[::-1] if len(span_scores) else np.zeros(1)
    u = units[chosen] if units else None
    by_name = {c.name: c for c in lists}

    def top_of(name: str) -> float:
        c = by_name.get(name)
        return float(c.scores[0]) if c is not None and len(c) else 0.0

    no_amount = float(asks.unit is not None and not (u and u.amount))
    row = [
        top[0], top[0] - top[1], float(order[0]), float(order[0] - (order[1] if len(order) > 1 else order[0] - 1)),
        u.similarity if u else 0.0, u.overlap if u else 0.0, float(concepts[chosen]) if u else 0.0,
        float(concepts.max(initial=0.0)), top_of("dense_chunks"), top_of("dense_units"),
        math.log1p(top_of("bm25_units")), no_amount,
        float(bool(u and u.defines)), heuristic_conf, *missing,
        float(asks.figure and not (u and u.digits)), float(asks.person and not (u and names_someone(u.span.text))),
        float(maxsim[chosen]) if u else 0.0, float(maxsim.max(initial=0.0)), *question_features(ctx, asks),
    ]
    return np.array([row], dtype=np.float64)
