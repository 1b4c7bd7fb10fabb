"""Latent-term scoring through the inverted (CSC) index equals the CSR product the service computes."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from index.terms import term_scores


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
