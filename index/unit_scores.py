"""Scores of sentence units computed on demand: what a large index serves instead of a product with every unit.

A small index multiplies the question with every unit vector at once (`unit_vectors @ q`, microseconds). At a million
passages that is ≈ 3.5 million units: 5.4 GB of float32 in memory and ≈ 1 s a question. Above `JAUAP_RESCORE_ABOVE`
chunks the service keeps the stored float16 vectors memory-mapped and computes only the units of the chunks it
looks at — the lists' candidates, the answering chunks — each once per question.
"""

from __future__ import annotations

import numpy as np


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
        return np.asarray(self._vectors, np.float32) @ self._query
