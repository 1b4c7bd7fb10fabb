"""From ranked chunks to what a reader is shown: passages (adjacent chunks joined) cited with exact offsets."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from .models import Chunk, Citation, Document
from .text import fold, stem, word_spans


@dataclass(frozen=True)
class Passage:
    """Adjacent retrieved chunks cited as one contiguous passage, ranked and labelled by the best of them."""

    best: Chunk
    start: int
    end: int
    score: float


class Citer:
    """Turns a ranking of chunks into passages and citations; knows each document's words for highlighting."""

    def __init__(self, documents: dict[str, Document], chunks: list[Chunk], prefix: int, max_chars: int) -> None:
        self._documents = documents
        self._chunks = chunks
        self._max_chars = max_chars
        self._texts = {d.id: d.text for d in documents.values()}
        # each document's words once, as (start, end, BM25 key): a citation's highlights are then a slice of them
        self._words = {
            doc: [(a, b, stem(fold(w), prefix)) for a, b, w in word_spans(text) if len(w) > 2]
            for doc, text in self._texts.items()
        }
        self._word_starts = {doc: [a for a, _, _ in ws] for doc, ws in self._words.items()}

    def passages(self, ranked: list[int], scores: dict[int, float], k: int, min_slots: int) -> list[Passage]:
        """The first `k` passages down the ranking; a chunk next to one already cited extends that citation instead
        of taking a slot (up to `max_chars`): the reader gets the context whole, and the slot goes to another
        passage. `min_slots`: the joining runs over at least this many passages, so that a smaller k only cuts
        the list."""
        chunks = self._chunks
        limit = max(k, min_slots)
        runs: list[list[int]] = []  # [first, last, best] chunk ids
        for i in ranked:
            c = chunks[i]
            for run in runs:
                first, last = chunks[run[0]], chunks[run[1]]
                joins = c.doc == first.doc and i in (run[0] - 1, run[1] + 1)
                if joins and max(c.end, last.end) - min(c.start, first.start) <= self._max_chars:
                    run[0], run[1] = min(run[0], i), max(run[1], i)
                    break
            else:
                if len(runs) == limit:
                    break
                runs.append([i, i, i])
        runs = runs[:k]
        cited = {f for f, _, _ in runs}
        return [
            Passage(chunks[b], chunks[f].start, self._list_end(la, chunks[f].start, cited), scores[b])
            for f, la, b in runs
        ]

    def _list_end(self, last: int, start: int, cited: set[int]) -> int:
        """Where a citation ending with chunk `last` ends: a list the chunk boundary cut («…: 1) …;») runs on into the
        next chunk up to its last item (within `max_chars`, unless that chunk starts a citation of its own), so
        that the citation does not stop mid-list."""
        chunks = self._chunks
        text = self._texts[chunks[last].doc]
        end = chunks[last].end
        nxt = last + 1
        if nxt < len(chunks) and chunks[nxt].doc == chunks[last].doc and nxt not in cited:
            for _, e in chunks[nxt].units:
                if text[end - 1] not in ":;" or e - start > self._max_chars:
                    break
                end = e
        return end

    def citations(self, passages: list[Passage], query_keys: set[str]) -> list[Citation]:
        """The passages as citations, with the words that matched the question marked for highlighting."""
        out = []
        for p in passages:
            doc = p.best.doc
            text = self._texts[doc][p.start : p.end]
            starts = self._word_starts[doc]
            inside = self._words[doc][bisect_left(starts, p.start) : bisect_left(starts, p.end)]
            matches = tuple((a - p.start, b - p.start) for a, b, key in inside if key in query_keys and b <= p.end)
            title = self._documents[doc].info.title_kk
            out.append(Citation(doc, p.start, p.end, text, p.best.section_path, p.score, title, matches))
        return out
