"""QAService: the one entry point the CLI, the API and the bot call. Nothing outside `index/` touches FAISS or BM25.

A question goes through short stages, each its own module: analysis (`query.py`), the ranked lists
(`retrievers.py`), fusion (`hybrid.py`) or the learned ranker (`ranking.py`), the answering sentence (`answer.py`,
`learned.py`), abstention (`abstention.py`) and the citations (`citations.py`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from config import Settings

from .abstention import best_concept_match, rule_reason, unknown_figure
from .answer import Asks, ScoredSpan, UnitCandidate, best_by_hand, confidence, score_units, sparse_norms
from .citations import Citer, Passage
from .curated import CuratedAnswers
from .embedders import Embedder, SparseEmbedder, TokenEmbedder, make_embedder
from .errors import UnknownDocumentError
from .features import ChunkFacts
from .learned import AnswerModel, load_answer_model
from .models import AbstainReason, Answer, Citation, Document, DocumentInfo, Hit, Span
from .query import Query, analyse_question
from .ranking import ChunkRanker, Ranked, fuse, rank_chunks
from .rerank import Reranker, make_reranker
from .retrievers import (
    Bm25Chunks,
    Bm25Units,
    Candidates,
    ChunkNgrams,
    DenseChunks,
    DenseUnits,
    LatentTerms,
    QuestionContext,
    Retriever,
    UnitLayout,
    search_all,
)
from .store import StoredIndex, read_index, read_manifest
from .target_gate import candidate
from .target_match import TargetMatch, answer_from_targets, rows_at
from .target_store import TargetBook, book_for
from .unit_scores import SparseRows, UnitSims, stored_rows
from .vocabulary import Vocabulary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retrieval:
    ctx: QuestionContext
    lists: list[Candidates]
    ranked: Ranked
    hits: list[Hit]  # the best chunks, where the answering unit is looked for
    passages: list[Passage]  # what is cited

    @property
    def query(self) -> Query:
        return self.ctx.query


class QAService:
    def __init__(
        self,
        index: StoredIndex,
        embedder: Embedder,
        settings: Settings,
        curated: CuratedAnswers | None = None,
        reranker: Reranker | None = None,
        model: AnswerModel | None = None,
    ) -> None:
        self.index = index
        self.curated = curated or CuratedAnswers()
        self.reranker = reranker
        self.embedder = embedder
        self.settings = settings
        self.model = model  # None: fusion by reciprocal rank, the heuristic sentence choice and the hand rules
        self.manifest = index.manifest.__dict__
        self.texts = {d.id: d.text for d in index.documents.values()}
        self.citer = Citer(index.documents, index.chunks, index.lexical.prefix, settings.retrieval.citation_chars)
        self.vocab = Vocabulary(list(self.texts.values()))
        self.layout = UnitLayout([len(c.units) for c in index.chunks])
        self.large = len(index.chunks) > settings.retrieval.rescore_above  # units scored on demand, lists re-scored
        self.unit_vectors = stored_rows(index.unit_vectors) if self.large else index.unit_vectors.astype(np.float32)
        self._sparse = (
            settings.retrieval.sparse and index.unit_sparse is not None and isinstance(embedder, SparseEmbedder)
        )
        # the units' token states and an embedder that gives the question's: the late-interaction features
        self._tokens = (
            index.unit_tokens is not None and isinstance(embedder, TokenEmbedder) and embedder.has_token_states
        )
        self.unit_sparse_norms = None
        if self._sparse:  # large: read block by block (a product would copy the whole matrix into memory)
            rows = index.unit_sparse
            self.unit_sparse_norms = SparseRows(rows).norms() if self.large else sparse_norms(rows)
        self.retrievers = self._retrievers()
        self.facts = ChunkFacts.of(index.chunks, self.texts, index.lexical.prefix)
        n = len(index.chunks)
        df: dict[str, int] = {}
        for c in index.chunks:
            for t in set(index.lexical.tokens(c.text)):
                df[t] = df.get(t, 0) + 1
        self.idf = {t: math.log(1 + (n - k + 0.5) / (k + 0.5)) for t, k in df.items()}

    def _retrievers(self) -> list[Retriever]:
        """The ranked lists, in the order fusion adds them up."""
        index, large = self.index, self.large
        out: list[Retriever] = [DenseChunks(index.dense, self.settings.retrieval.hnsw_above)]
        out.append(DenseUnits(self.layout, large))
        if self._sparse:
            out.append(LatentTerms(index.unit_sparse, self.layout, large))
        out += [Bm25Chunks(index.lexical, large), Bm25Units(index.unit_lexical, self.layout, large)]
        if index.chunk_ngrams is not None:
            out.append(ChunkNgrams(index.chunk_ngrams, large))
        return out

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
        return analyse_question(question, self.vocab, self.index.lexical.prefix, s.retrieval.max_question_chars)

    def encode(self, text: str) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None, np.ndarray | None]:
        """A question's dense vector, its sparse terms and its tokens' states when the index has them (one encoder
        pass for all three)."""
        if self._tokens:
            dense, terms, states = self.embedder.embed_question(text)  # type: ignore[attr-defined]
            return dense, terms if self._sparse else None, states
        if self._sparse:
            return *self.embedder.embed_query_with_terms(text), None  # type: ignore[attr-defined]
        return self.embedder.embed_queries([text])[0], None, None

    def context(self, question: str) -> QuestionContext:
        query = self.analyse(question)
        qv, terms, states = self.encode(query.restored)
        q_terms = None
        if terms is not None:
            q_terms = np.zeros(self.index.unit_sparse.shape[1], np.float32)
            q_terms[terms[0]] = terms[1]
        sims = UnitSims(self.unit_vectors, self.layout.offsets, qv) if self.large else self.unit_vectors @ qv
        return QuestionContext(query, qv, sims, q_terms, states)

    def retrieve(self, question: str, k: int | None = None, doc: str | None = None) -> Retrieval:
        """The ranked lists of the question, ranked into one (fusion, then the learned ranker when fitted)."""
        ctx = self.context(question)
        lists = search_all(self.retrievers, ctx, self.settings.retrieval.candidates)
        return self.assemble(ctx, lists, self.model.ranker if self.model is not None else None, k, doc)

    def assemble(
        self,
        ctx: QuestionContext,
        lists: list[Candidates],
        ranker: ChunkRanker | None,
        k: int | None = None,
        doc: str | None = None,
    ) -> Retrieval:
        """Fuse and rank the lists, keep one document's chunks if asked, rerank, and cut into hits and passages."""
        s = self.settings
        ranked = rank_chunks(self, ctx, lists, fuse(lists, ctx.query.coverage, s), ranker)
        order, scores = ranked.ids, dict(ranked.scores)
        chunks = self.index.chunks
        if doc is not None:
            order = [i for i in order if chunks[i].doc == doc]
        if self.reranker is not None:
            head = order[: s.retrieval.rerank_depth]
            rescored = self.reranker.rerank(ctx.query.text, [chunks[i].text for i in head])
            new = sorted(range(len(head)), key=lambda j: -rescored[j])
            scores.update({head[j]: float(rescored[j]) for j in new})
            order = [head[j] for j in new] + order[s.retrieval.rerank_depth :]
        k = k or s.retrieval.top_k
        hits = [Hit(chunks[i], scores[i]) for i in order[:k]]
        passages = self.citer.passages(order, scores, k, s.retrieval.top_k)
        return Retrieval(ctx, lists, Ranked(order, scores), hits, passages)

    def search(self, query: str, k: int = 10, doc: str | None = None) -> list[Citation]:
        r = self.retrieve(query, k, doc)
        return self.citer.citations(r.passages, set(r.query.tokens))

    # --- answering ------------------------------------------------------------------------------------------------
    def ask(self, question: str, top_k: int | None = None) -> Answer:
        r = self.retrieve(question, top_k or self.settings.retrieval.top_k)
        if not r.hits:
            return Answer(question, None, [], True, 0.0, abstain_reason="no_passages")
        q = r.query
        asks = Asks.of(q.text, q.long_forms)
        citations = self.citer.citations(r.passages, set(q.tokens))
        pinned = self.curated.match(r.ctx.vector)
        if self.model is not None:
            decision = self.model.answer(self, r, asks)
            best, conf, reason = decision.best, decision.probability, decision.reason
        else:
            best = best_by_hand(self.answer_units(r, asks))
            conf = self.hand_confidence(r, best)
            reason = self._rule_reason(r, best, asks, conf)
        if pinned is not None:  # an operator-approved passage answers a question this close: it goes first
            title = self.index.documents[pinned.doc].info.title_kk  # pins are resolved against these documents
            pin = Citation(pinned.doc, pinned.start, pinned.end, pinned.text, "", pinned.similarity, title)
            rest = [c for c in citations if not (c.doc == pin.doc and c.start < pin.end and pin.start < c.end)]
            span = Span(pinned.doc, pinned.start, pinned.end, pinned.text)
            return Answer(question, span, [pin, *rest][: len(citations)], False, max(conf, pinned.similarity), True)
        book = book_for(self) if self.settings.retrieval.target_answers else None
        span = None if reason or best is None else best.span
        target = self.target_answer(r, book, conf, span, citations) if book is not None else None
        if target is not None:  # a target statement answers, with its indicator, year and value
            span = Span(target.doc, target.start, target.end, self.texts[target.doc][target.start : target.end])
            return Answer(question, span, answer_first(citations, span), False, conf, target=target)
        if span is not None and self.model is not None:
            citations = answer_first(citations, span)
        rows = None
        if span is not None and book is not None:  # a target statement answered, whichever path chose it
            rows = rows_at(q.text, book.index, span.doc, span.start, span.end)
        return Answer(question, span, citations, reason is not None, conf, abstain_reason=reason, target=rows)

    def target_answer(
        self, r: Retrieval, book: TargetBook, probability: float, span: Span | None, citations: list[Citation]
    ) -> TargetMatch | None:
        """The target statement that answers instead of the chosen sentence (`span`, None when refused), if any: the
        answer model's fitted gate where the index stored the statements' token states, else the word match."""
        q = r.query.text
        gate = self.model.target_gate if self.model is not None else None
        if gate is not None and book.tokens is not None and r.ctx.states is not None:
            at = (span.doc, span.start, span.end) if span is not None else None
            return gate.match(q, book.index, candidate(q, r.ctx.states, book.index, book.tokens, probability, at))
        return answer_from_targets(q, book.index, [(c.doc, c.start, c.end) for c in citations[:3]])

    def answer_units(self, r: Retrieval, asks: Asks) -> list[UnitCandidate]:
        """Every sentence / item / row of the top chunks, scored by hand: where the answering one is chosen."""
        q = r.query
        top = [h.chunk for h in r.hits[: self.settings.retrieval.answer_chunks]]
        sims = [r.ctx.unit_sims[self.layout.of(c.id)] for c in top]
        prefix = self.index.lexical.prefix
        return score_units(
            top, self.texts, sims, list(q.own_tokens), q.numbers, self.idf, prefix, asks, synonyms=q.synonyms
        )

    def hand_confidence(self, r: Retrieval, best: ScoredSpan | None) -> float:
        """The hand-weighted confidence: closeness of the top chunk's best sentence, shared words, coverage."""
        top_dense = float(max(r.ctx.unit_sims[self.layout.of(r.hits[0].chunk.id)].max(initial=-1.0), 0.0))
        return confidence(top_dense, best.overlap if best else 0.0, r.query.coverage)

    def unknown_figure(self, r: Retrieval) -> bool:
        return unknown_figure(r.query.text, self.vocab)

    def _rule_reason(self, r: Retrieval, best: ScoredSpan | None, asks: Asks, conf: float) -> AbstainReason | None:
        """The hand rules (an index without a fitted model)."""
        if self.unknown_figure(r):
            return "unknown_figure"
        s = self.settings
        chunk_ids = [h.chunk.id for h in r.hits[: s.retrieval.answer_chunks]]
        units = self.layout.units(chunk_ids)
        concept = best_concept_match(r.ctx.terms, self.index.unit_sparse, self.unit_sparse_norms, units)
        return rule_reason(asks, best, conf, concept, s.retrieval.abstain_below, s.retrieval.abstain_concepts_below)


def answer_first(citations: list[Citation], span: Span) -> list[Citation]:
    """The passage that holds the chosen answer is cited first. The sentence choice reads sentences of the top three
    chunks and picks the answering one more often than fusion puts its passage first (on questions nobody tuned to,
    docs/quality.md), and a reader expects the highlighted answer in the first passage."""
    at = next((j for j, c in enumerate(citations) if c.doc == span.doc and c.start <= span.start < c.end), 0)
    return [citations[at], *citations[:at], *citations[at + 1 :]] if at else citations


def build_service(settings: Settings | None = None, embedder: Embedder | None = None) -> QAService:
    """Load the built index named by the settings; fail fast with a message that says how to fix it."""
    settings = settings or Settings.load()
    read_manifest(settings.retrieval.index_dir)  # a missing index is reported before a model is loaded
    embedder = embedder or serving_embedder(settings)
    index = read_index(settings.retrieval.index_dir, embedder.id)
    log.info("loaded index %s (%d chunks)", index.path, len(index.chunks))
    texts = {d.id: d.text for d in index.documents.values()}
    curated = CuratedAnswers.load(
        settings.retrieval.curated_file, texts, embedder, settings.retrieval.curated_min_similarity
    )
    model = load_answer_model(index, settings)
    return QAService(index, embedder, settings, curated, make_reranker(settings.retrieval.reranker), model)


def serving_embedder(settings: Settings) -> Embedder:
    """The embedder of a serving process, its thread pools sized to the cores it was given.

    The encoder gets `serving_threads`; BLAS (small matrix products beside it) gets one: its pool starts with a
    thread per core, and those threads spun beside the encoder's.
    """
    threadpool_limits(limits=1, user_api="blas")
    engine_dir = settings.retrieval.engine_dir if settings.retrieval.one_pass else None
    return make_embedder(settings.retrieval.embedder, settings.retrieval.serving_threads, engine_dir)
