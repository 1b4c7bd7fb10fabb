"""Lexical retrieval: BM25 (bm25s) over the Kazakh analyser's keys — stemmed words, or character n-grams of words."""

from __future__ import annotations

from pathlib import Path

import bm25s
import numpy as np

from .text import analyse, char_ngrams

# bm25s's Lucene BM25; a grid k1 0.6-2.0 x b 0.3-0.9 on train moved hit@1 by at most one question (docs/quality.md)
BM25_PARAMS = {"k1": 1.2, "b": 0.75}


class LexicalIndex:
    def __init__(self, bm25: bm25s.BM25, prefix: int, ngram: int = 0) -> None:
        self._bm25 = bm25
        self.prefix = prefix
        self.ngram = ngram  # > 0: keys are character n-grams of the folded words instead of stems

    @classmethod
    def build(cls, texts: list[str], prefix: int = 5, ngram: int = 0) -> LexicalIndex:
        index = cls(bm25s.BM25(**BM25_PARAMS), prefix, ngram)
        index._bm25.index([index.tokens(t) or [""] for t in texts], show_progress=False)
        return index

    @classmethod
    def of_keys(cls, keys: list[list[str]], prefix: int = 5) -> LexicalIndex:
        """From texts already analysed (`tokens` of each): benchmarks that reuse the keys of repeated sentences."""
        index = cls(bm25s.BM25(**BM25_PARAMS), prefix)
        index._bm25.index(keys, show_progress=False)
        return index

    def tokens(self, text: str) -> list[str]:
        return char_ngrams(text, self.ngram) if self.ngram else analyse(text, self.prefix)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every chunk for the query tokens (unknown tokens contribute nothing)."""
        tokens = [t for t in tokens if t in self._bm25.vocab_dict]
        if not tokens:
            return np.zeros(self._bm25.scores["num_docs"], dtype=np.float32)
        return self._bm25.get_scores(tokens)

    def save(self, path: Path) -> None:
        self._bm25.save(str(path))

    @classmethod
    def load(cls, path: Path, prefix: int, ngram: int = 0, mmap: bool = True) -> LexicalIndex:
        """Memory-mapped by default: the score matrix stays in the page cache, shared by every serving process."""
        return cls(bm25s.BM25.load(str(path), mmap=mmap), prefix, ngram)
