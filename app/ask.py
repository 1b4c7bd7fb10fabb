"""Asking one question, the same for every front-end: check, answer, time, name, log and count it.

The API and the bot call `ask_question` and keep only their own rendering; a question answered on the web and one
answered in Telegram leave the same kind of log row (one answer-id format, the question's detected language).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Protocol

from app.service import QAServiceLike
from index.errors import BadQuestionError
from index.models import Answer
from index.query import clean_question, detect_lang


class QuestionTooLongError(BadQuestionError):
    """Longer than `JAUAP_MAX_QUESTION_CHARS`: the front-end says so with both numbers."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"The question is too long: {length} characters (limit {limit}).")
        self.length, self.limit = length, limit


class QuestionLog(Protocol):
    """Where answered questions are recorded (`ops.querylog.QueryLog`)."""

    def log_question(
        self, *, answer_id: str, channel: str, question: str, lang: str | None, abstained: bool, confidence: float,
        top_doc: str | None, latency_ms: float, curated: bool = False, index_version: str | None = None,
    ) -> None: ...


class Counter(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class LabelledCounter(Protocol):
    def labels(self, *values: str) -> Counter: ...


class AnswerMetrics(Protocol):
    """The answer counters of `api.metrics.ApiMetrics`."""

    answers: Counter
    abstentions: LabelledCounter
    cache_hits: Counter


class AnswerCache(Protocol):
    """Answers already given by the serving index (the API's per-process or Redis cache)."""

    def get(self, question: str, top_k: int | None) -> Answer | None: ...
    def put(self, question: str, top_k: int | None, answer: Answer) -> None: ...


@dataclass(frozen=True)
class Asked:
    """An answered question with what every front-end shows or records beside the answer."""

    answer_id: str
    answer: Answer
    lang: str  # the question's language as the retrieval layer detects it ("kk" | "ru")
    latency_ms: float
    index_version: str | None
    cached: bool = False


def new_answer_id() -> str:
    """The id a rating refers to: 32 hex digits, the same on every channel (fits Telegram's 64-byte callbacks)."""
    return uuid.uuid4().hex


def check_question(service: QAServiceLike, question: str) -> str:
    """The question's language; `BadQuestionError` (or `QuestionTooLongError`) before any search is spent on it."""
    limit = service.settings.retrieval.max_question_chars
    if len(question) > limit:
        raise QuestionTooLongError(len(question), limit)
    return detect_lang(clean_question(question, limit))


def ask_question(
    service: QAServiceLike,
    question: str,
    *,
    channel: str,
    querylog: QuestionLog,
    top_k: int | None = None,
    lang: str | None = None,
    metrics: AnswerMetrics | None = None,
    cache: AnswerCache | None = None,
) -> Asked:
    """Answer `question` (from `cache` when it has it), log it under a new answer id and count it.

    `lang` is the asker's own choice of language when the front-end knows it; the log records it, else the
    detected one. The search is CPU-bound: an async front-end runs this in a worker thread.
    """
    detected = check_question(service, question)
    started = time.perf_counter()
    version = getattr(service, "index_version", None)  # stamped by app.live on the service it swapped in
    found = cache.get(question, top_k) if cache is not None else None
    cached = found is not None
    if found is None:
        found = service.ask(question, top_k=top_k)
        if cache is not None:
            cache.put(question, top_k, found)
    elif metrics is not None:
        metrics.cache_hits.inc()
    asked = Asked(new_answer_id(), found, detected, (time.perf_counter() - started) * 1000, version, cached)
    if metrics is not None:
        metrics.answers.inc()
        if found.abstained:
            metrics.abstentions.labels(found.abstain_reason or "unknown").inc()
    querylog.log_question(
        answer_id=asked.answer_id,
        channel=channel,
        question=question,
        lang=lang or detected,
        abstained=found.abstained,
        confidence=found.confidence,
        top_doc=found.citations[0].doc if found.citations else None,
        latency_ms=asked.latency_ms,
        curated=found.curated,
        index_version=version,
    )
    return asked
