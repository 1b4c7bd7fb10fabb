"""Group near-duplicate questions: the same need asked in different words is one content gap, not many.

Without a model, questions are compared as TF-IDF vectors of character n-grams of script-folded words, so
`ХҚКО қайда?`, `хкко кайда` and `HQKO qaida` look alike and small typos cost little. With an embedder (the index's
own), paraphrases group too. Clustering is greedy "leader" clustering over the similarity matrix: the most asked
question founds a group and each next one joins the most similar founder above the threshold, else founds its own.
Comparing only with founders keeps chains of slightly-different questions from merging unrelated needs.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from index.text import fold, words

NGRAM_SIMILARITY = 0.5  # cosine of character n-gram TF-IDF vectors
EMBEDDING_SIMILARITY = 0.88  # cosine of multilingual-e5 query vectors (unrelated questions still score ~0.8)
_DIM = 4096  # hashed n-gram buckets: plenty for question-length texts, a bounded matrix for thousands of them
_NGRAMS = (2, 3, 4)


class QueryEmbedder(Protocol):
    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


def question_key(text: str) -> str:
    """What makes two questions 'the same' for counting: folded words, no punctuation, case or script."""
    return " ".join(fold(w) for w in words(text))


def _ngrams(text: str) -> Counter[str]:
    grams: Counter[str] = Counter()
    for word in question_key(text).split():
        padded = f" {word} "
        for n in _NGRAMS:
            grams.update(padded[i : i + n] for i in range(max(1, len(padded) - n + 1)))
    return grams


def ngram_vectors(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised TF-IDF rows (sublinear tf, smoothed idf) over hashed character n-grams."""
    counts = [_ngrams(t) for t in texts]
    df: Counter[str] = Counter()
    for grams in counts:
        df.update(grams.keys())
    n = len(texts)
    matrix = np.zeros((n, _DIM), np.float32)
    for row, grams in enumerate(counts):
        for gram, tf in grams.items():
            idf = math.log((1 + n) / (1 + df[gram])) + 1.0
            matrix[row, zlib.crc32(gram.encode()) % _DIM] += (1.0 + math.log(tf)) * idf
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


def group_similar(
    texts: Sequence[str], embedder: QueryEmbedder | None = None, similarity: float | None = None
) -> list[list[int]]:
    """Indices of `texts` grouped by similarity; `texts` should come most important (most asked) first.

    Groups keep that order (by founder) and so do the members inside a group.
    """
    if not texts:
        return []
    if embedder is not None:
        vectors = np.asarray(embedder.embed_queries(list(texts)), np.float32)
        threshold = EMBEDDING_SIMILARITY if similarity is None else similarity
    else:
        vectors = ngram_vectors(texts)
        threshold = NGRAM_SIMILARITY if similarity is None else similarity
    sims = vectors @ vectors.T
    founders: list[int] = []
    groups: dict[int, list[int]] = {}
    for i in range(len(texts)):
        if founders:
            row = sims[i, founders]
            best = int(np.argmax(row))
            if row[best] >= threshold:
                groups[founders[best]].append(i)
                continue
        founders.append(i)
        groups[i] = [i]
    return [groups[f] for f in founders]
