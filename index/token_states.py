"""Token states of every sentence / item / row, and the late-interaction match of a question against them.

A sentence's pooled vector is one point for all its words; a paraphrase that answers in other words («тәуелді» for
«байланысты», a clause moved) often sits no closer to the question than its neighbours do. Matching each question
token with its closest token of the sentence (MaxSim, as in ColBERT) reads the sentence word by word in context: on
the train set it picks the answering sentence of the top chunks for 98 of 146 questions where the pooled vector
picks 79 (docs/quality.md). The answer model reads it as features; nothing here is fitted.

The states come from the embedder's own encoder (`TokenEmbedder`), read as passages; an index stores them as one
float16 matrix of rows (tokens) with each unit's offset into it, memory-mapped when served.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

UNIT_TOKENS = "unit-tokens"  # the units' rows: unit-tokens.npy, unit-tokens-offsets.npy
TARGET_TOKENS = "target-tokens"  # the programme target statements' (index.target_gate), in TargetIndex group order


@dataclass(frozen=True)
class TokenRows:
    """Unit u's token states are rows[offsets[u]:offsets[u + 1]] (L2-normalised, float16)."""

    rows: np.ndarray  # [tokens, dim]
    offsets: np.ndarray  # int64 [units + 1]

    @classmethod
    def of(cls, states: list[np.ndarray], dim: int) -> TokenRows:
        offsets = np.cumsum([0, *(len(s) for s in states)]).astype(np.int64)
        rows = np.concatenate(states).astype(np.float16) if states else np.zeros((0, dim), np.float16)
        return cls(rows.reshape(-1, dim), offsets)

    @property
    def units(self) -> int:
        return len(self.offsets) - 1

    def unit(self, u: int) -> np.ndarray:
        return np.asarray(self.rows[self.offsets[u] : self.offsets[u + 1]], np.float32)

    def save(self, folder: Path, name: str = UNIT_TOKENS) -> None:
        np.save(folder / f"{name}.npy", self.rows)
        np.save(folder / f"{name}-offsets.npy", self.offsets)

    @classmethod
    def load(cls, folder: Path, name: str = UNIT_TOKENS) -> TokenRows | None:
        """The stored rows (memory-mapped), None for an index built without them."""
        rows_file, offsets_file = folder / f"{name}.npy", folder / f"{name}-offsets.npy"
        if not offsets_file.exists():
            return None
        rows, offsets = np.load(rows_file, mmap_mode="r"), np.load(offsets_file)
        if offsets.ndim != 1 or len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(rows):
            raise ValueError(f"{offsets_file.name} does not describe the {len(rows)} rows of {rows_file.name}")
        return cls(rows, offsets)


def maxsim(question: np.ndarray | None, tokens: TokenRows | None, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: the mean over the question's tokens of each one's best cosine with the unit's tokens, and the mean
    over the unit's tokens of each one's best cosine with the question's (how much of the sentence the question
    covers). Zeros where either side has no states."""
    n = len(units)
    if question is None or tokens is None or not len(question) or not n:
        return np.zeros(n), np.zeros(n)
    q = np.asarray(question, np.float32)
    found, cover = np.zeros(n), np.zeros(n)
    for j, u in enumerate(np.asarray(units, np.int64)):
        rows = tokens.unit(int(u))
        if len(rows):
            sims = q @ rows.T
            found[j], cover[j] = float(sims.max(axis=1).mean()), float(sims.max(axis=0).mean())
    return found, cover


def maxsim_all(question: np.ndarray, tokens: TokenRows) -> np.ndarray:
    """`maxsim`'s first half for every unit at once (one product over all rows, a maximum per unit's segment): the
    target gate scores every statement for each question. Units without rows score 0."""
    if not tokens.units or not len(question):
        return np.zeros(tokens.units)
    sims = np.asarray(question, np.float32) @ np.asarray(tokens.rows, np.float32).T  # [question tokens, rows]
    sizes = np.diff(tokens.offsets)
    full = sizes > 0
    found = np.zeros(tokens.units)
    if full.any():
        found[full] = np.maximum.reduceat(sims, tokens.offsets[:-1][full], axis=1).mean(axis=0)
    return found
