"""The large-index path: unit-level lists re-score the other lists' chunks, unit scores computed on demand; it gives
the full scan's scores on the chunks it reads, and switches on by size only."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from index.build import build_index
from index.lexical import LexicalIndex
from index.query import Query
from index.retrievers import (
    Bm25Units,
    Candidates,
    DenseUnits,
    LatentTerms,
    QuestionContext,
    UnitLayout,
    best_positive,
    search_all,
    top_by_units,
    top_n,
)
from index.service import build_service
from index.store import load_sparse, save_sparse
from index.unit_scores import SparseRows, StoredRows, UnitSims, units_of

RNG = np.random.default_rng(13)
PER_CHUNK = [2, 1, 3, 4, 1, 2, 3, 2]
LAYOUT = UnitLayout(PER_CHUNK)
N_UNITS = sum(PER_CHUNK)
VECTORS = RNG.normal(size=(N_UNITS, 8)).astype(np.float16)
TERMS = sparse.random(N_UNITS, 30, density=0.3, format="csr", dtype=np.float32, random_state=3)
QV = RNG.normal(size=8).astype(np.float32)
QT = RNG.random(30).astype(np.float32)


def context(sims) -> QuestionContext:
    return QuestionContext(Query("q", "q", "q", ["q"], "kk", 1.0, frozenset()), QV, sims, QT)


class Fixed:
    """A first-stage list that always finds the same chunks."""

    name, kind = "fixed", "lexical"

    def __init__(self, ids: list[int]) -> None:
        self.ids = np.array(ids, np.int64)

    def search(self, ctx: QuestionContext, n: int) -> Candidates:
        return Candidates(self.name, self.kind, self.ids, np.arange(len(self.ids), 0, -1, dtype=np.float64))


def test_units_of_lists_each_chunks_rows_and_its_start() -> None:
    rows, starts = units_of(LAYOUT.offsets, np.array([1, 3, 6]))
    assert rows.tolist() == [2, 6, 7, 8, 9, 13, 14, 15]
    assert starts.tolist() == [0, 1, 5]


def test_unit_sims_on_demand_equal_the_full_product() -> None:
    full = VECTORS.astype(np.float32) @ QV
    sims = UnitSims(VECTORS, LAYOUT.offsets, QV)
    np.testing.assert_allclose(sims[LAYOUT.of(3)], full[LAYOUT.of(3)], rtol=1e-6)
    at, some = sims.of_chunks(np.array([0, 5]))
    np.testing.assert_allclose(some, np.r_[full[0:2], full[11:13]], rtol=1e-6)
    assert at.tolist() == [0, 2] and len(sims) == N_UNITS
    np.testing.assert_allclose(sims.all(), full, rtol=1e-6)


def test_rescored_lists_give_the_full_scan_scores_on_the_pool() -> None:
    found = [1, 3, 6, 7]
    full_scan = [DenseUnits(LAYOUT), LatentTerms(TERMS, LAYOUT)]
    large = [Fixed(found), DenseUnits(LAYOUT, rescores=True), LatentTerms(TERMS, LAYOUT, rescores=True)]
    exact = [r.search(context(VECTORS.astype(np.float32) @ QV), 10) for r in full_scan]
    lists = search_all(large, context(UnitSims(VECTORS, LAYOUT.offsets, QV)), 10)
    assert [c.name for c in lists] == ["fixed", "dense_units", "latent_terms"]  # the retrievers' order kept
    for want, got in zip(exact, lists[1:], strict=True):
        assert sorted(got.ids.tolist()) == found  # only the pool is read
        keep = np.isin(want.ids, found)
        assert got.ids.tolist() == want.ids[keep].tolist()  # in the full scan's order
        np.testing.assert_allclose(got.scores, want.scores[keep], rtol=1e-5)
        np.testing.assert_allclose(got.full[found], want.full[found], rtol=1e-5)  # what the ranker reads
        assert not got.full[[0, 2, 4, 5]].any()


def test_an_empty_pool_gives_empty_lists() -> None:
    sims = UnitSims(VECTORS, LAYOUT.offsets, QV)
    lists = search_all([Fixed([]), DenseUnits(LAYOUT, rescores=True)], context(sims), 5)
    assert len(lists[1]) == 0


def test_top_nonzero_only_equals_the_full_partition() -> None:
    scores = np.zeros(10_000)
    scores[RNG.choice(10_000, 300, replace=False)] = RNG.random(300) + 0.1
    a, b = top_n("x", "lexical", scores, 60, positive=True), top_n("x", "lexical", scores, 60, True, True)
    assert a.ids.tolist() == b.ids.tolist() and a.scores.tolist() == b.scores.tolist()
    assert len(top_n("x", "lexical", np.zeros(5), 3, True, True)) == 0


@pytest.mark.parametrize("rescore_above", [0, 10**9])
def test_the_service_switches_by_size_and_answers_either_way(settings_factory, tmp_path, rescore_above) -> None:
    settings = settings_factory(tmp_path, rescore_above=rescore_above)
    build_index(settings)
    service = build_service(settings)
    assert service.large == (rescore_above == 0)
    assert isinstance(service.unit_vectors, StoredRows) == service.large  # a large index keeps them on disk
    r = service.retrieve("Электрондық үкімет порталы қандай қызметтер көрсетеді?")
    assert r.hits and isinstance(r.ctx.unit_sims, UnitSims) == service.large
    assert service.ask("Электрондық үкімет порталы қандай қызметтер көрсетеді?").citations


def test_stored_rows_read_what_the_memory_map_holds(tmp_path) -> None:
    np.save(tmp_path / "units.npy", VECTORS)
    mapped = np.load(tmp_path / "units.npy", mmap_mode="r")
    rows = StoredRows(mapped)
    assert len(rows) == N_UNITS and rows[3:7].tolist() == mapped[3:7].tolist()
    picked = np.array([0, 1, 2, 5, 9, 10, 17])
    assert rows[picked].tolist() == mapped[picked].tolist() and rows[np.zeros(0, int)].shape == (0, 8)
    sims = UnitSims(rows, LAYOUT.offsets, QV)
    np.testing.assert_allclose(sims.all(), VECTORS.astype(np.float32) @ QV, rtol=1e-6)


def test_sparse_rows_read_from_disk_equal_the_row_product(tmp_path) -> None:
    save_sparse(tmp_path / "terms", TERMS)
    stored = load_sparse(tmp_path / "terms")
    picked = np.array([0, 1, 2, 6, 7, 12, 17])
    want = TERMS[picked] @ QT
    assert SparseRows(stored)._data is not None  # read from the file, not through the map
    np.testing.assert_allclose(SparseRows(stored).dot(picked, QT), want, rtol=1e-5)
    np.testing.assert_allclose(SparseRows(TERMS).dot(picked, QT), want, rtol=1e-6)  # in memory: the product
    assert SparseRows(stored).dot(np.zeros(0, int), QT).shape == (0,)
    want_norms = np.sqrt(np.asarray(TERMS.multiply(TERMS).sum(axis=1)).ravel())
    np.testing.assert_allclose(SparseRows(stored).norms(block=3), want_norms, rtol=1e-5)


def test_the_best_units_give_the_chunks_of_the_best_unit_scores() -> None:
    layout = UnitLayout(RNG.integers(1, 6, 3000).tolist())
    scores = np.where(RNG.random(int(layout.offsets[-1])) < 0.3, RNG.random(int(layout.offsets[-1])), 0.0)
    want = top_n("x", "lexical", layout.best_per_chunk(scores), 60, positive=True)
    got = top_by_units("x", "lexical", scores, layout, 60)
    assert got.ids.tolist() == want.ids.tolist() and got.scores.tolist() == want.scores.tolist()
    assert got.full[got.ids].tolist() == pytest.approx(got.scores.tolist())
    assert len(top_by_units("x", "lexical", np.zeros(10), UnitLayout([5, 5]), 3)) == 0


def test_bm25_units_find_the_same_chunks_on_a_large_index() -> None:
    units = LexicalIndex.build(["Порталда", "мемлекеттік қызметтер", "Тариф 3887 теңге", "Орталықтар", "теңге"])
    layout = UnitLayout([2, 1, 1, 1])
    q = context(None)
    q = QuestionContext(Query("q", "q", "q", units.tokens("тариф теңге"), "kk", 1.0, frozenset()), QV, q.unit_sims, QT)
    small, large = Bm25Units(units, layout).search(q, 3), Bm25Units(units, layout, large=True).search(q, 3)
    assert small.ids.tolist() == large.ids.tolist() == [1, 3]


def test_the_sampled_threshold_keeps_the_highest_scores() -> None:
    scores = np.where(RNG.random(400_000) < 0.6, RNG.random(400_000), 0.0).astype(np.float32)
    found = best_positive(scores, 60)
    assert 60 <= len(found) < 1000 and (scores[found] > 0).all()  # a threshold, not every positive score
    assert set(np.argsort(-scores)[:60].tolist()) <= set(found.tolist())
    few = np.zeros(400_000, np.float32)
    few[[5, 70_000]] = [1.0, 2.0]
    assert best_positive(few, 60).tolist() == [5, 70_000]
