"""Scores of sentence units computed on demand: what a large index serves instead of a product with every unit.

A small index multiplies the question with every unit vector at once (`unit_vectors @ q`, microseconds). At a million
passages that is ≈ 3 million units: 5 GB of float32 in memory and ≈ 1 s a question. Above `JAUAP_RESCORE_ABOVE`
chunks the service leaves the stored float16 vectors and latent-term rows on disk and computes only the units of the
chunks it looks at — the lists' candidates, the answering chunks — each once per question.

Those rows are read with `pread` (`StoredRows`), not through the memory map: the page cache still serves them, shared
by every serving process, but a map would also map 64 KB around every row it touches, and after a few hundred
questions most of the 2 + 5 GB of files would count in each process's resident memory.
"""

from __future__ import annotations

import os
import weakref

import numpy as np
from scipy import sparse


def units_of(offsets: np.ndarray, chunks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The unit rows of `chunks` (chunk by chunk) and where each chunk's run starts in them (for `reduceat`)."""
    chunks = np.asarray(chunks, np.int64)
    starts, stops = offsets[chunks], offsets[chunks + 1]
    lengths = stops - starts
    at = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if len(chunks) else np.zeros(0, np.int64)
    rows = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - at, lengths)
    return rows, at


class UnitSims:
    """Cosine of one question with the units, computed per chunk when first asked for and kept for the question.

    Indexed like the array it replaces (`sims[layout.of(chunk)]`), so the answering code reads either.
    """

    def __init__(self, vectors: np.ndarray, offsets: np.ndarray, query: np.ndarray) -> None:
        self._vectors = vectors  # [units, dim], float16 memory-mapped (or any array)
        self._offsets = offsets
        self._query = np.asarray(query, np.float32)
        self._done: dict[tuple[int, int], np.ndarray] = {}

    def __getitem__(self, units: slice) -> np.ndarray:
        key = (int(units.start), int(units.stop))
        if key not in self._done:
            self._done[key] = np.asarray(self._vectors[units], np.float32) @ self._query
        return self._done[key]

    def __len__(self) -> int:
        return int(self._offsets[-1])

    def of_chunks(self, chunks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sims of every unit of `chunks` (one gather and one product) and each chunk's start in them."""
        rows, at = units_of(self._offsets, chunks)
        sims = np.asarray(self._vectors[rows], np.float32) @ self._query if len(rows) else np.zeros(0, np.float32)
        ends = np.append(at[1:], len(rows))[: len(at)]
        for c, a, b in zip(np.asarray(chunks).tolist(), at.tolist(), ends.tolist(), strict=True):
            self._done[(int(self._offsets[c]), int(self._offsets[c + 1]))] = sims[a:b]
        return at, sims

    def all(self) -> np.ndarray:
        """Every unit (a large index asked for a full scan: slow, and only without a pool)."""
        return np.asarray(self._vectors[0 : len(self)], np.float32) @ self._query


def consecutive(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted, non-empty row numbers as runs of consecutive rows: each run's first row and the row after its last."""
    cut = np.flatnonzero(np.diff(rows) != 1) + 1
    return rows[np.r_[0, cut]], rows[np.r_[cut - 1, len(rows) - 1]] + 1


class StoredRows:
    """Rows of a stored .npy array (given memory-mapped, as `np.load(mmap_mode="r")` returns it), read with `pread`
    one run of consecutive rows at a time; indexed like the array by a slice or by sorted row numbers."""

    def __init__(self, array: np.memmap) -> None:
        self._fd = os.open(array.filename, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)
        self._base = int(array.offset)
        self.dtype = array.dtype
        self.shape = array.shape
        self._row_bytes = int(array.dtype.itemsize * np.prod(array.shape[1:], dtype=np.int64))

    def __len__(self) -> int:
        return int(self.shape[0])

    def runs(self, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
        """Rows [start, stop) of each run, one after the other."""
        lengths = np.asarray(stops, np.int64) - np.asarray(starts, np.int64)
        out = np.empty((int(lengths.sum()), *self.shape[1:]), self.dtype)
        view, at = memoryview(out.reshape(-1).view(np.uint8)), 0
        for start, n in zip(np.asarray(starts).tolist(), lengths.tolist(), strict=True):
            size = n * self._row_bytes
            if size and os.preadv(self._fd, [view[at : at + size]], self._base + start * self._row_bytes) != size:
                raise OSError(f"short read from {self._fd}: the index file changed under the service")
            at += size
        return out

    def __getitem__(self, key: slice | np.ndarray) -> np.ndarray:
        if isinstance(key, slice):
            start, stop, _ = key.indices(len(self))
            return self.runs(np.array([start]), np.array([max(start, stop)]))
        rows = np.asarray(key, np.int64)
        if not len(rows):
            return np.empty((0, *self.shape[1:]), self.dtype)
        return self.runs(*consecutive(rows))


class SparseRows:
    """`matrix[units] @ q` for a few units of a large stored CSR matrix, its rows read with `pread` (StoredRows)."""

    def __init__(self, matrix: sparse.csr_matrix) -> None:
        self._matrix = matrix
        data, indices = _mapped(matrix.data), _mapped(matrix.indices)
        self._indptr = np.asarray(matrix.indptr, np.int64)
        self._data = StoredRows(data) if data is not None and indices is not None else None
        self._indices = StoredRows(indices) if data is not None and indices is not None else None

    def dot(self, units: np.ndarray, q: np.ndarray) -> np.ndarray:
        """float32 [len(units)]; `units` sorted."""
        if self._data is None or self._indices is None:
            return np.asarray(self._matrix[units] @ q, np.float32)
        units = np.asarray(units, np.int64)
        if not len(units):
            return np.zeros(0, np.float32)
        first, after = consecutive(units)
        starts, stops = self._indptr[first], self._indptr[after]
        values = self._data.runs(starts, stops) * q[self._indices.runs(starts, stops)]
        lengths = self._indptr[units + 1] - self._indptr[units]
        owner = np.repeat(np.arange(len(units)), lengths)
        return np.bincount(owner, values, minlength=len(units)).astype(np.float32)

    def norms(self, block: int = 1 << 16) -> np.ndarray:
        """The L2 norm of every row, read a block of rows at a time (a product over the whole matrix would copy
        it into memory: 5 GB at a million passages)."""
        if self._data is None:
            return np.sqrt(np.asarray(self._matrix.multiply(self._matrix).sum(axis=1)).ravel())
        n, out = len(self._indptr) - 1, []
        for a in range(0, n, block):
            b = min(n, a + block)
            values = self._data.runs(self._indptr[[a]], self._indptr[[b]]).astype(np.float64)
            owner = np.repeat(np.arange(b - a), np.diff(self._indptr[a : b + 1]))
            out.append(np.sqrt(np.bincount(owner, values * values, minlength=b - a)))
        return np.concatenate(out) if out else np.zeros(0)


def _mapped(array: np.ndarray) -> np.memmap | None:
    """The memory map an array is exactly (scipy keeps a map's data as a plain view of it), or None."""
    base = array
    while base is not None and not isinstance(base, np.memmap):
        base = getattr(base, "base", None)
    if base is None or base.dtype != array.dtype or base.shape != array.shape:
        return None
    same = base.__array_interface__["data"][0] == array.__array_interface__["data"][0]
    return base if same and array.flags.c_contiguous else None


def stored_rows(array: np.ndarray) -> np.ndarray | StoredRows:
    """A memory-mapped array as StoredRows (read with pread); any other array as it is."""
    mapped = _mapped(array)
    return StoredRows(mapped) if mapped is not None else array
