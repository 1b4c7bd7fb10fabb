"""Each ranked list and the fusion, on small arrays: what goes in is plain numbers, what comes out is a ranking."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from index.dense import DenseIndex
from index.hybrid import list_weights, rrf
from index.lexical import LexicalIndex
from index.query import Query
from index.ranking import Ranked, rank_chunks
from index.retrievers import (
    Bm25Chunks,
    Bm25Units,
    Candidates,
    DenseChunks,
    DenseUnits,
    LatentTerms,
    QuestionContext,
    UnitLayout,
    top_n,
)


def ctx(tokens: list[str], vector=None, unit_sims=None, terms=None, coverage: float = 1.0) -> QuestionContext:
    query = Query("q", "q", "q", tokens, "kk", coverage, frozenset())
    vec = np.zeros(2, np.float32) if vector is None else np.asarray(vector, np.float32)
    return QuestionContext(query, vec, np.asarray(unit_sims if unit_sims is not None else [], np.float32), terms)


def test_top_n_is_best_first_and_ties_keep_chunk_order() -> None:
    c = top_n("x", "dense", np.array([0.2, 0.9, 0.5, 0.9, 0.1]), 3)
    assert c.ids.tolist() == [1, 3, 2]
    assert c.scores.tolist() == pytest.approx([0.9, 0.9, 0.5])


def test_top_n_positive_drops_chunks_that_share_nothing() -> None:
    c = top_n("x", "lexical", np.array([0.0, 2.0, 0.0, 1.0]), 4, positive=True)
    assert c.ids.tolist() == [1, 3]
    assert c.full is not None and c.full.tolist() == [0.0, 2.0, 0.0, 1.0]


def test_unit_layout_scores_a_chunk_as_its_best_unit() -> None:
    layout = UnitLayout([2, 1, 3])
    assert layout.of(2) == slice(3, 6)
    assert layout.best_per_chunk(np.array([0.1, 0.7, 0.3, 0.2, 0.9, 0.4])).tolist() == pytest.approx([0.7, 0.3, 0.9])


def test_dense_chunks_exact_and_faiss_agree() -> None:
    vectors = np.array([[1, 0, 0], [0.6, 0.8, 0], [0, 0.6, 0.8], [0, 0, 1]], np.float32)
    dense = DenseIndex.build(vectors)
    q = ctx([], vector=[0, 0.8, 0.6])
    exact = DenseChunks(dense, exact_up_to=10).search(q, 3)
    searched = DenseChunks(dense, exact_up_to=0).search(q, 3)
    assert exact.ids.tolist() == searched.ids.tolist() == [2, 1, 3]
    assert exact.scores.tolist() == pytest.approx([0.96, 0.64, 0.6], abs=1e-5)
    assert searched.scores.tolist() == pytest.approx([0.96, 0.64, 0.6], abs=1e-5)


def test_dense_units_rank_chunks_by_their_closest_sentence() -> None:
    layout = UnitLayout([3, 1])
    c = DenseUnits(layout).search(ctx([], unit_sims=[0.1, 0.2, 0.3, 0.8]), 2)
    assert c.ids.tolist() == [1, 0]


def test_latent_terms_need_the_question_terms() -> None:
    units = sparse.csr_matrix(np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 2.0]], np.float32))
    retriever = LatentTerms(units, UnitLayout([2, 1]))
    assert len(retriever.search(ctx([]), 5)) == 0
    found = retriever.search(ctx([], terms=np.array([0, 0, 1.0], np.float32)), 5)
    assert found.ids[0] == 1 and found.scores[0] == pytest.approx(2.0)


def test_bm25_lists_find_the_chunk_and_the_unit_with_the_words() -> None:
    texts = ["Порталда мемлекеттік қызметтер көрсетіледі", "Тариф 3887 теңге тұрды", "Орталықтар жұмыс істейді"]
    lexical = LexicalIndex.build(texts)
    q = ctx(lexical.tokens("тариф теңге"))
    assert Bm25Chunks(lexical).search(q, 3).ids.tolist() == [1]
    units = LexicalIndex.build(["Порталда", "мемлекеттік қызметтер", "Тариф 3887 теңге", "Орталықтар"])
    assert Bm25Units(units, UnitLayout([2, 1, 1])).search(q, 3).ids.tolist() == [1]
    assert len(Bm25Chunks(lexical).search(ctx([""]), 3)) == 0  # a question with no words searches nothing


def test_rrf_prefers_chunks_in_both_lists() -> None:
    fused = rrf([[1, 2, 3], [3, 1, 4]], [1.0, 1.0], k=10)
    assert max(fused, key=fused.get) == 1
    assert fused[3] > fused[2] and fused[3] > fused[4]


def test_lexical_lists_weigh_less_when_the_corpus_knows_few_question_words() -> None:
    assert list_weights(["dense", "lexical"], 0.5, coverage=1.0) == [0.5, 0.5]
    assert list_weights(["dense", "lexical"], 0.5, coverage=0.0) == [0.5, 0.125]


class FixedRanker:
    pool = 2

    def scores(self, service, ctx, lists, fused) -> np.ndarray:
        return np.array([-1.0, 3.0])  # the second fused chunk is the better one


def test_the_learned_ranker_reorders_only_its_pool() -> None:
    fused = Ranked([5, 6, 7], {5: 0.3, 6: 0.2, 7: 0.1})
    lists = [Candidates("x", "dense", np.array([5, 6, 7]), np.array([0.3, 0.2, 0.1]))]
    ranked = rank_chunks(None, ctx([]), lists, fused, FixedRanker())  # type: ignore[arg-type]
    assert ranked.ids == [6, 5, 7]
    assert ranked.scores[6] > ranked.scores[5] > ranked.scores[7] == 0.0
    assert rank_chunks(None, ctx([]), lists, fused, None) is fused  # type: ignore[arg-type]
