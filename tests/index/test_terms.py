"""Latent-term scoring through the inverted (CSC) index equals the CSR product the service computes."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from index.terms import impact_ordered, term_scores


def test_column_scores_equal_the_row_product() -> None:
    rng = np.random.default_rng(5)
    rows = sparse.random(300, 1000, density=0.02, format="csr", dtype=np.float32, random_state=5)
    idx = rng.choice(1000, 40, replace=False).astype(np.int32)
    val = rng.random(40).astype(np.float32)
    q = np.zeros(1000, np.float32)
    q[idx] = val
    np.testing.assert_allclose(term_scores(rows.tocsc(), idx, val), rows @ q, rtol=1e-5, atol=1e-6)


def test_terms_no_passage_has_score_zero() -> None:
    rows = sparse.csr_matrix(np.eye(4, 6, dtype=np.float32)).tocsc()
    assert term_scores(rows, np.array([5], np.int32), np.array([1.0], np.float32)).tolist() == [0, 0, 0, 0]
    assert term_scores(rows, np.array([], np.int32), np.array([], np.float32)).shape == (4,)


def test_pruned_scores_keep_the_top_passages() -> None:
    rng = np.random.default_rng(8)
    rows = sparse.random(5000, 400, density=0.05, format="csc", dtype=np.float32, random_state=8)
    ordered = impact_ordered(rows)
    idx = rng.choice(400, 60, replace=False).astype(np.int32)
    val = rng.random(60).astype(np.float32)
    exact = term_scores(rows, idx, val)
    np.testing.assert_allclose(term_scores(ordered, idx, val), exact, rtol=1e-5, atol=1e-6)  # same matrix
    pruned = term_scores(ordered, idx, val, max_terms=40, per_term=150)
    top = set(np.argsort(-exact)[:10].tolist())
    assert len(top & set(np.argsort(-pruned)[:60].tolist())) >= 9
