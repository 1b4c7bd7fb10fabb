"""Lexical retrieval: BM25 (bm25s) over the Kazakh analyser's folded, stemmed keys."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np

from .text import analyse


class LexicalIndex:
    def __init__(self, bm25: bm25s.BM25, prefix: int) -> None:
        self._bm25 = bm25
        self.prefix = prefix

    @classmethod
    def build(cls, texts: list[str], prefix: int = 5) -> LexicalIndex:
        bm25 = bm25s.BM25(k1=1.2, b=0.75)
        bm25.index([analyse(t, prefix) or [""] for t in texts], show_progress=False)
        return cls(bm25, prefix)

    def tokens(self, text: str) -> list[str]:
        return analyse(text, self.prefix)

    def known(self, token: str) -> bool:
        return token in self._bm25.vocab_dict

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk for the query tokens (unknown tokens contribute nothing)."""
        tokens = [t for t in tokens if t in self._bm25.vocab_dict]
        if not tokens:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return self._bm25.get_scores(tokens)

    def save(self, path: Path) -> None:
        self._bm25.save(str(path))

    @classmethod
    def load(cls, path: Path, prefix: int) -> LexicalIndex:
        return cls(bm25s.BM25.load(str(path)), prefix)
