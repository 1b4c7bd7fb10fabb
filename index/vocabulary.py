"""The corpus vocabulary by folded key: restores question words to the corpus's own spelling and fixes typos.

A question typed in Latin, without Kazakh letters or with a typo folds onto (or near) the key of the corpus word
it means; replacing it with that word's corpus spelling lets the embedder read proper Kazakh and BM25 match it.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from .abbreviations import Acronyms
from .text import fold, lower, words
from .transliterate import common_prefix


@dataclass(frozen=True)
class Restored:
    word: str  # as typed
    key: str  # folded key it was matched to ("" when unknown)
    surface: str  # corpus spelling (the typed word when unknown)


class Vocabulary:
    def __init__(self, texts: list[str]) -> None:
        surfaces: dict[str, Counter[str]] = defaultdict(Counter)
        for text in texts:
            for w in words(text):
                surfaces[fold(w)][lower(w)] += 1
        self.count = {k: sum(c.values()) for k, c in surfaces.items()}
        self.acronyms = Acronyms(texts)
        self.surface = {k: c.most_common(1)[0][0] for k, c in surfaces.items()}
        self._stems: dict[int, set[str]] = {}
        self._sorted = sorted(self.surface)
        self._by_len: dict[int, list[str]] = defaultdict(list)
        for k in self.surface:
            if len(k) >= 4 and not k.isdigit():
                self._by_len[len(k)].append(k)

    def has_stem(self, key_stem: str, prefix: int) -> bool:
        if prefix not in self._stems:
            self._stems[prefix] = {k[:prefix] for k in self.surface}
        return key_stem in self._stems[prefix]

    def begins_like(self, key: str) -> str:
        """The corpus spelling of the most frequent word whose key shares the longest beginning with `key`."""
        at = bisect.bisect_left(self._sorted, key)
        longest = max((common_prefix(key, k) for k in self._sorted[max(at - 1, 0) : at + 1]), default=0)
        start = key[:longest]
        lo, hi = bisect.bisect_left(self._sorted, start), bisect.bisect_right(self._sorted, start + "\uffff")
        best = max(self._sorted[lo:hi], key=self.count.__getitem__, default="")
        return self.surface.get(best, "")

    def __contains__(self, key: str) -> bool:
        return key in self.surface

    @staticmethod
    def max_edits(n: int) -> int:
        return 0 if n < 6 else 1 if n < 10 else 2

    def correct(self, key: str) -> str | None:
        """The most frequent corpus key within a small edit distance (longer words tolerate more edits)."""
        edits = self.max_edits(len(key))
        if not edits:
            return None
        pool = [k for n in range(len(key) - edits, len(key) + edits + 1) for k in self._by_len.get(n, ())]
        found = process.extract(key, pool, scorer=Levenshtein.distance, score_cutoff=edits, limit=8)
        if not found:
            return None
        best = min(found, key=lambda m: (m[1], -fuzz.ratio(key[:3], m[0][:3]), -self.count[m[0]]))
        return best[0]

    def restore(self, word: str) -> Restored:
        key = fold(word)
        if key in self.surface:
            return Restored(word, key, self.surface[key])
        fixed = self.correct(key)
        if fixed:
            return Restored(word, fixed, self.surface[fixed])
        return Restored(word, "", word)
