"""Fusion of ranked lists from the dense and lexical retrievers: reciprocal rank or weighted scores."""

from __future__ import annotations

import numpy as np


def rrf(rankings: list[list[int]], weights: list[float], k: int = 60) -> dict[int, float]:
    """Reciprocal-rank fusion: rank positions only, robust to incomparable score scales."""
    fused: dict[int, float] = {}
    for ranking, w in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking):
            fused[item] = fused.get(item, 0.0) + w / (k + rank + 1)
    return fused


def normalise(scores: np.ndarray) -> np.ndarray:
    """Min-max onto [0, 1] over the candidates (all equal → zeros)."""
    lo, hi = float(scores.min(initial=0.0)), float(scores.max(initial=0.0))
    return (scores - lo) / (hi - lo) if hi > lo else np.zeros_like(scores)


def weighted(score_lists: list[dict[int, float]], weights: list[float]) -> dict[int, float]:
    """Weighted sum of per-retriever scores, each min-max normalised over its candidates."""
    fused: dict[int, float] = {}
    for scores, w in zip(score_lists, weights, strict=True):
        if not scores:
            continue
        ids = list(scores)
        norm = normalise(np.array([scores[i] for i in ids], dtype=np.float64))
        for i, s in zip(ids, norm, strict=True):
            fused[i] = fused.get(i, 0.0) + w * float(s)
    return fused


def list_weights(kinds: list[str], dense_weight: float, coverage: float) -> list[float]:
    """Each list's weight in fusion: a question the corpus vocabulary barely knows (Russian, foreign) leans on the
    multilingual embedder, so the lexical lists weigh less the fewer of its words the corpus knows."""
    lexical = (1 - dense_weight) * min(1.0, 0.25 + coverage)
    return [dense_weight if kind == "dense" else lexical for kind in kinds]
