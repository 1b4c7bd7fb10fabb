"""From the ranked lists to one ranking of chunks: reciprocal-rank fusion, then the learned ranker when fitted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from config import Settings

from .hybrid import list_weights, rrf, weighted
from .retrievers import Candidates, QuestionContext

if TYPE_CHECKING:
    from .service import QAService


@dataclass(frozen=True)
class Ranked:
    """Chunk ids best first, and the score each was ranked by."""

    ids: list[int]
    scores: dict[int, float]


class ChunkRanker(Protocol):
    pool: int

    def scores(self, service: QAService, ctx: QuestionContext, lists: list[Candidates], fused: Ranked) -> np.ndarray:
        """A score for each of the first `pool` fused chunks, higher is better."""
        ...


def fuse(lists: list[Candidates], coverage: float, settings: Settings) -> Ranked:
    """The lists fused (`settings.retrieval.fusion`): what the learned ranker reorders, and the ranking without it."""
    weights = list_weights([c.kind for c in lists], settings.retrieval.dense_weight, coverage)
    if settings.retrieval.fusion == "rrf":
        fused = rrf([c.ids.tolist() for c in lists], weights, settings.retrieval.rrf_k)
    else:
        fused = weighted([c.as_dict() for c in lists], weights)
    return Ranked(sorted(fused, key=lambda i: -fused[i]), fused)


def rank_chunks(
    service: QAService, ctx: QuestionContext, lists: list[Candidates], fused: Ranked, ranker: ChunkRanker | None
) -> Ranked:
    """The learned ranker reorders the first `pool` fused chunks (scored as probabilities, the rest 0); without
    one, the fused ranking stands."""
    if ranker is None or not fused.ids:
        return fused
    pool = fused.ids[: ranker.pool]
    raw = ranker.scores(service, ctx, lists, fused)
    order = np.argsort(-raw, kind="stable")
    prob = 1 / (1 + np.exp(-raw))
    scores = {pool[j]: float(prob[j]) for j in order}
    rest = fused.ids[ranker.pool :]
    scores.update(dict.fromkeys(rest, 0.0))
    return Ranked([pool[j] for j in order] + rest, scores)
