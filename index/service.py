"""QAService: the one entry point the CLI, the API and the bot call. Nothing outside `index/` touches FAISS or BM25."""

from __future__ import annotations

import logging
import math
import re
from bisect import bisect_left
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from .answer import Asks, ScoredSpan, choose_span, concept_match, confidence, sparse_norms
from .curated import CuratedAnswers
from .embedders import Embedder, SparseEmbedder, make_embedder
from .errors import UnknownDocumentError
from .hybrid import rrf, weighted
from .models import AbstainReason, Answer, Chunk, Citation, Document, DocumentInfo, Hit, Span
from .query import Query, analyse_question
from .rerank import Reranker, make_reranker
from .settings import IndexSettings
from .store import StoredIndex, read_index, read_manifest
from .text import fold, stem, word_spans, words
from .vocabulary import Vocabulary

log = logging.getLogger(__name__)

_YEAR_OR_CODE = re.compile(r"(?:19|20)\d\d|(?=\w*\d)(?=\w*[^\W\d])\w{2,4}")  # not IINs or phone numbers


@dataclass(frozen=True)
class Passage:
    """Adjacent retrieved chunks cited as one contiguous passage, ranked and labelled by the best of them."""

    best: Chunk
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Retrieval:
    query: Query
    hits: list[Hit]  # the best chunks, where the answering unit is looked for
    passages: list[Passage]  # what is cited
    query_vector: np.ndarray
    unit_sims: np.ndarray  # of every unit, in chunk order
    query_terms: np.ndarray | None = None  # the question's sparse vector, when the index has one


class QAService:
    def __init__(
        self,
        index: StoredIndex,
        embedder: Embedder,
        settings: IndexSettings,
        curated: CuratedAnswers | None = None,
        reranker: Reranker | None = None,
    ) -> None:
        self.index = index
        self.curated = curated or CuratedAnswers()
        self.reranker = reranker
        self.embedder = embedder
        self.settings = settings
        self.manifest = index.manifest.__dict__
        self._texts = {d.id: d.text for d in index.documents.values()}
        # each document's words once, as (start, end, BM25 key): a citation's highlights are then a slice of them
        prefix = index.lexical.prefix
        self._words = {
            doc: [(a, b, stem(fold(w), prefix)) for a, b, w in word_spans(text) if len(w) > 2]
            for doc, text in self._texts.items()
        }
        self._word_starts = {doc: [a for a, _, _ in ws] for doc, ws in self._words.items()}
        self._vocab = Vocabulary(list(self._texts.values()))
        self._sparse = settings.sparse and index.unit_sparse is not None and isinstance(embedder, SparseEmbedder)
        self._unit_sparse_norms = sparse_norms(index.unit_sparse) if self._sparse else None
        self._chunk_vectors = index.dense.vectors() if index.dense.size <= settings.hnsw_above else None
        self._unit_offset = np.cumsum([0] + [len(c.units) for c in index.chunks])
        n = len(index.chunks)
        df: dict[str, int] = {}
        for c in index.chunks:
            for t in set(index.lexical.tokens(c.text)):
                df[t] = df.get(t, 0) + 1
        self._idf = {t: math.log(1 + (n - k + 0.5) / (k + 0.5)) for t, k in df.items()}

    # --- catalogue ------------------------------------------------------------------------------------------------
    def documents(self) -> list[DocumentInfo]:
        return [d.info for d in self.index.documents.values()]

    def document(self, doc_id: str) -> Document:
        try:
            return self.index.documents[doc_id]
        except KeyError:
            raise UnknownDocumentError(doc_id) from None

    # --- retrieval ------------------------------------------------------------------------------------------------
    def analyse(self, question: str) -> Query:
        s = self.settings
        return analyse_question(question, self._vocab, self.index.lexical.prefix, s.max_question_chars)

    def encode(self, text: str) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
        """A question's dense vector, and its sparse terms when the index has them (one encoder pass for both)."""
        if self._sparse:
            return self.embedder.embed_query_with_terms(text)  # type: ignore[attr-defined]
        return self.embedder.embed_queries([text])[0], None

    def _top(self, scores: np.ndarray) -> dict[int, float]:
        cand = min(self.settings.candidates, len(scores))
        top = np.argpartition(-scores, cand - 1)[:cand] if cand < len(scores) else np.arange(len(scores))
        return {int(i): float(scores[i]) for i in top}

    def _units_of(self, chunk: Chunk) -> slice:
        """Where a chunk's sentences / items / rows sit in the unit arrays."""
        return slice(self._unit_offset[chunk.id], self._unit_offset[chunk.id + 1])

    def _per_chunk(self, unit_scores: np.ndarray) -> np.ndarray:
        """A chunk scores as its best sentence / item / row."""
        return np.maximum.reduceat(unit_scores, self._unit_offset[:-1])

    def retrieve(self, question: str, k: int | None = None, doc: str | None = None) -> Retrieval:
        """Ranked lists — chunk and unit vectors, unit latent terms, chunk and unit BM25, chunk n-grams — fused."""
        s = self.settings
        query = self.analyse(question)
        qv, terms = self.encode(query.restored)
        if self._chunk_vectors is not None:
            dense = self._top(self._chunk_vectors @ qv)
        else:
            dense = dict(self.index.dense.search(qv, s.candidates))
        unit_sims = self.index.unit_vectors @ qv
        dense_units = self._top(self._per_chunk(unit_sims))
        lists = [dense, dense_units]
        weights = [s.dense_weight, s.dense_weight]
        q_terms = None
        if terms is not None:
            idx, val = terms
            q_terms = np.zeros(self.index.unit_sparse.shape[1], np.float32)
            q_terms[idx] = val
            lists.append(self._top(self._per_chunk(self.index.unit_sparse @ q_terms)))
            weights.append(s.dense_weight)
        if any(query.tokens):
            lexical = self._top(self.index.lexical.scores(query.tokens))
            lexical_units = self._top(self._per_chunk(self.index.unit_lexical.scores(query.tokens)))
            # a question the corpus vocabulary barely knows (Russian, foreign) leans on the multilingual embedder
            lex_weight = (1 - s.dense_weight) * min(1.0, 0.25 + query.coverage)
            lists += [{i: v for i, v in lexical.items() if v > 0}, {i: v for i, v in lexical_units.items() if v > 0}]
            weights += [lex_weight, lex_weight]
            if self.index.chunk_ngrams is not None:
                ngrams = self._top(self.index.chunk_ngrams.scores(self.index.chunk_ngrams.tokens(query.restored)))
                lists.append({i: v for i, v in ngrams.items() if v > 0})
                weights.append(lex_weight)
        if s.fusion == "rrf":
            fused = rrf([sorted(x, key=x.get, reverse=True) for x in lists], weights, s.rrf_k)
        else:
            fused = weighted(lists, weights)
        ranked = sorted(fused, key=lambda i: -fused[i])
        chunks = self.index.chunks
        if doc is not None:
            ranked = [i for i in ranked if chunks[i].doc == doc]
        if self.reranker is not None:
            head = ranked[: s.rerank_depth]
            scores = self.reranker.rerank(query.text, [chunks[i].text for i in head])
            order = sorted(range(len(head)), key=lambda j: -scores[j])
            fused.update({head[j]: float(scores[j]) for j in order})
            ranked = [head[j] for j in order] + ranked[s.rerank_depth :]
        k = k or s.top_k
        hits = [Hit(chunks[i], fused[i]) for i in ranked[:k]]
        return Retrieval(query, hits, self._passages(ranked, fused, k), qv, unit_sims, q_terms)

    def _passages(self, ranked: list[int], fused: dict[int, float], k: int) -> list[Passage]:
        """The first `k` passages down the ranking; a chunk next to one already cited extends that citation instead
        of taking a slot (up to `citation_chars`): the reader gets the context whole, and the slot goes to another
        passage."""
        chunks = self.index.chunks
        limit = max(k, self.settings.top_k)  # the same first passages whatever k: a smaller k only cuts the list
        runs: list[list[int]] = []  # [first, last, best] chunk ids
        for i in ranked:
            c = chunks[i]
            for run in runs:
                first, last = chunks[run[0]], chunks[run[1]]
                joins = c.doc == first.doc and i in (run[0] - 1, run[1] + 1)
                if joins and max(c.end, last.end) - min(c.start, first.start) <= self.settings.citation_chars:
                    run[0], run[1] = min(run[0], i), max(run[1], i)
                    break
            else:
                if len(runs) == limit:
                    break
                runs.append([i, i, i])
        runs = runs[:k]
        cited = {f for f, _, _ in runs}
        return [
            Passage(chunks[b], chunks[f].start, self._list_end(la, chunks[f].start, cited), fused[b])
            for f, la, b in runs
        ]

    def _list_end(self, last: int, start: int, cited: set[int]) -> int:
        """Where a citation ending with chunk `last` ends: a list the chunk boundary cut («…: 1) …;») runs on into the
        next chunk up to its last item (within `citation_chars`, unless that chunk starts a citation of its own), so
        that the citation does not stop mid-list."""
        chunks = self.index.chunks
        text = self._texts[chunks[last].doc]
        end = chunks[last].end
        nxt = last + 1
        if nxt < len(chunks) and chunks[nxt].doc == chunks[last].doc and nxt not in cited:
            for _, e in chunks[nxt].units:
                if text[end - 1] not in ":;" or e - start > self.settings.citation_chars:
                    break
                end = e
        return end

    def _citations(self, r: Retrieval) -> list[Citation]:
        """The passages as citations, with the words that matched the question marked for highlighting."""
        qkeys = set(r.query.tokens)
        out = []
        for p in r.passages:
            doc = p.best.doc
            text = self._texts[doc][p.start : p.end]
            starts = self._word_starts[doc]
            inside = self._words[doc][bisect_left(starts, p.start) : bisect_left(starts, p.end)]
            matches = tuple((a - p.start, b - p.start) for a, b, key in inside if key in qkeys and b <= p.end)
            title = self.index.documents[doc].info.title_kk
            out.append(Citation(doc, p.start, p.end, text, p.best.section_path, p.score, title, matches))
        return out

    def search(self, query: str, k: int = 10, doc: str | None = None) -> list[Citation]:
        return self._citations(self.retrieve(query, k, doc))

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        s = self.settings
        r = self.retrieve(question, top_k or s.top_k)
        if not r.hits:
            return Answer(question, None, [], True, 0.0, abstain_reason="no_passages")
        top = [h.chunk for h in r.hits[:3]]
        sims = [r.unit_sims[self._units_of(c)] for c in top]
        q = r.query
        asks = Asks.of(q.text, q.long_forms)
        prefix = self.index.lexical.prefix
        best = choose_span(
            top, self._texts, sims, list(q.own_tokens), q.numbers, self._idf, prefix, asks, synonyms=q.synonyms
        )
        top_dense = float(max(sims[0].max(initial=-1.0), 0.0))
        conf = confidence(top_dense, best.overlap if best else 0.0, q.coverage)
        citations = self._citations(r)
        pinned = self.curated.match(r.query_vector)
        if pinned is not None:  # an operator-approved passage answers a question this close: it goes first
            title = self.index.documents[pinned.doc].info.title_kk  # pins are resolved against these documents
            pin = Citation(pinned.doc, pinned.start, pinned.end, pinned.text, "", pinned.similarity, title)
            rest = [c for c in citations if not (c.doc == pin.doc and c.start < pin.end and pin.start < c.end)]
            span = Span(pinned.doc, pinned.start, pinned.end, pinned.text)
            return Answer(question, span, [pin, *rest][: len(citations)], False, max(conf, pinned.similarity), True)
        reason = self._abstain_reason(r, top, best, asks, conf)
        span = None if reason or best is None else best.span
        return Answer(question, span, citations, reason is not None, conf, abstain_reason=reason)

    def _abstain_reason(
        self, r: Retrieval, top: list[Chunk], best: ScoredSpan | None, asks: Asks, conf: float
    ) -> AbstainReason | None:
        """Why the documents do not answer the question; None when they do."""
        if any(_YEAR_OR_CODE.fullmatch(w) and fold(w) not in self._vocab for w in words(r.query.text)):
            return "unknown_figure"  # a year or a code the documents never mention ("2025", "5G")
        if conf < self.settings.abstain_below:
            return "low_confidence"
        if asks.unit is not None and not (best and asks.amount_given_in(best.span.text)):
            return "no_amount"  # "қанша теңге", and the answer gives no sum in tenge
        # a term's definition carries the term, not the question's "what does it mean"
        defines = best is not None and asks.definition and asks.defined_in(best.span.text)
        return "concept_missing" if not defines and self._concepts_missing(r, top) else None

    def _concepts_missing(self, r: Retrieval, top: list[Chunk]) -> bool:
        """No sentence of the answering chunks carries the question's latent concepts: it is about the topic but
        asks for something the documents do not say (a fee, opening hours, who was appointed)."""
        if r.query_terms is None:
            return False
        units = np.r_[tuple(self._units_of(c) for c in top)]
        match = concept_match(r.query_terms, self.index.unit_sparse[units], self._unit_sparse_norms[units])
        return match < self.settings.abstain_concepts_below


def build_service(settings: IndexSettings | None = None, embedder: Embedder | None = None) -> QAService:
    """Load the built index named by the settings; fail fast with a message that says how to fix it."""
    settings = settings or IndexSettings()
    read_manifest(settings.index_dir)  # a missing index is reported before a model is loaded
    embedder = embedder or serving_embedder(settings)
    index = read_index(settings.index_dir, embedder.id)
    log.info("loaded index %s (%d chunks)", index.path, len(index.chunks))
    texts = {d.id: d.text for d in index.documents.values()}
    curated = CuratedAnswers.load(settings.curated_file, texts, embedder, settings.curated_min_similarity)
    return QAService(index, embedder, settings, curated, make_reranker(settings.reranker))


def serving_embedder(settings: IndexSettings) -> Embedder:
    """The embedder of a serving process, its thread pools sized to the cores it was given.

    The encoder gets `serving_threads`; BLAS (small matrix products beside it) gets one: its pool starts with a
    thread per core, and those threads spun beside the encoder's.
    """
    threadpool_limits(limits=1, user_api="blas")
    engine_dir = settings.engine_dir if settings.one_pass else None
    return make_embedder(settings.embedder, settings.serving_threads, engine_dir)
