"""The FAISS index type follows the number of vectors (flat, HNSW, IVF-PQ at the configured sizes), each kind
round-trips through save and a memory-mapped load with its search knobs, and the approximate kinds keep recall."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from config import Settings
from index.dense import DenseConfig, DenseIndex, dense_config, kind_for


def clustered(n: int, dim: int = 64, seed: int = 3) -> np.ndarray:
    """Vectors around 40 centres, as embedded passages sit around topics (uniform noise has no neighbours)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dim))
    x = centres[rng.integers(0, 40, n)] + 0.6 * rng.normal(size=(n, dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_the_index_type_switches_at_the_configured_sizes() -> None:
    config = DenseConfig(hnsw_above=100, ivfpq_above=1000)
    assert [kind_for(n, config) for n in (1, 100, 101, 1000, 1001)] == ["flat", "flat", "hnsw", "hnsw", "ivfpq"]
    settings = Settings.of(hnsw_above=7, ivfpq_above=9, ivf_nprobe=3)
    assert dense_config(settings) == DenseConfig(hnsw_above=7, ivfpq_above=9, ivf_nprobe=3)


def test_settings_read_the_thresholds_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_IVFPQ_ABOVE", "123456")
    monkeypatch.setenv("JAUAP_HNSW_ABOVE", "2000")
    config = dense_config(Settings.load(env_file=None))
    assert (config.hnsw_above, config.ivfpq_above) == (2000, 123456)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivfpq"])
def test_each_kind_round_trips_memory_mapped_and_keeps_recall(tmp_path: Path, kind: str) -> None:
    vectors, queries = clustered(3000), clustered(30, seed=9)
    config = {"flat": DenseConfig(), "hnsw": DenseConfig(hnsw_above=1000),
              "ivfpq": DenseConfig(hnsw_above=100, ivfpq_above=1000, ivf_nprobe=16, refine_factor=8)}[kind]
    index = DenseIndex.build(vectors, config=config)
    assert index.kind == kind and index.size == 3000 and index.dim == 64
    index.save(tmp_path / "dense.faiss")
    loaded = DenseIndex.load(tmp_path / "dense.faiss")
    assert loaded.kind == kind and loaded.config == config  # the search knobs come back with the index
    for q in queries[:5]:
        assert loaded.search(q, 10) == index.search(q, 10)
    np.testing.assert_allclose(loaded.vectors()[:20], vectors[:20], atol=1e-6)  # re-ranking keeps exact vectors
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    _, found = loaded.search_many(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact, strict=True)])
    assert recall >= 0.95, recall


def test_search_knobs_can_be_changed_on_load(tmp_path: Path) -> None:
    index = DenseIndex.build(clustered(2000), config=DenseConfig(hnsw_above=100, ivfpq_above=500))
    index.save(tmp_path / "dense.faiss")
    wider = DenseConfig(hnsw_above=100, ivfpq_above=500, ivf_nprobe=128)
    assert DenseIndex.load(tmp_path / "dense.faiss", wider).config.ivf_nprobe == 128
