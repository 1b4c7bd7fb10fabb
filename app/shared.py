"""State every replica shares through Redis when `JAUAP_REDIS_URL` is set: answers, limits, seen Telegram updates.

Without Redis each process keeps its own (as on one machine). With it, a Redis failure while serving never stops
answers: each operation falls back to this process's own state, the outage is reported (degraded in /readyz and
/metrics), and Redis is tried again after a short pause.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict
from typing import TypeVar

import redis

from app.cache import AnswerCache
from index.errors import JauapError
from index.models import Answer, Citation, Span
from index.target_match import TargetMatch
from index.targets import TargetRow

logger = logging.getLogger(__name__)

T = TypeVar("T")
PREFIX = "jauap"
RETRY_AFTER_SECONDS = 5.0  # after a failure, this process's own state serves until Redis is tried again
TIMEOUT_SECONDS = 0.5  # one Redis call never holds a request longer than this
UPDATE_TTL_SECONDS = 24 * 3600  # Telegram retries an update for at most a day
_LOCAL_UPDATES = 10_000


class SharedStateError(JauapError):
    """JAUAP_REDIS_URL is wrong or Redis is unreachable at start."""


def connect(url: str) -> redis.Redis:
    """A client for `url`, checked with PING, or a clear error naming the setting (password hidden)."""
    try:
        client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)
    except ValueError as exc:
        raise SharedStateError(f"JAUAP_REDIS_URL is not a Redis URL ({exc}); use redis://host:6379/0") from None
    try:
        client.ping()
    except redis.RedisError as exc:
        shown = url.split("@")[-1]
        raise SharedStateError(
            f"Cannot reach Redis at {shown}: {exc}. Check JAUAP_REDIS_URL (empty = state kept in each process)."
        ) from None
    return client


def answer_to_json(answer: Answer) -> str:
    return json.dumps(asdict(answer), ensure_ascii=False)


def answer_from_json(text: str | bytes) -> Answer:
    """The `Answer` that `answer_to_json` wrote, nested dataclasses (span, citations, target rows) rebuilt."""
    data = json.loads(text)
    span = Span(**data["answer"]) if data["answer"] else None
    citations = [Citation(**{**c, "matches": tuple(tuple(m) for m in c["matches"])}) for c in data["citations"]]
    target = data.get("target")
    if target:
        target = TargetMatch(**{**target, "rows": tuple(TargetRow(**row) for row in target["rows"])})
    return Answer(**{**data, "answer": span, "citations": citations, "target": target})


class SharedState:
    """Redis (when given) with a per-process fallback for each use: the answer cache and update de-duplication."""

    def __init__(self, client: redis.Redis | None, cache_size: int, cache_ttl: int) -> None:
        self.redis = client
        self.cache_ttl = cache_ttl
        self.cache_size = cache_size
        self.degraded: str | None = None
        self._retry_at = 0.0
        self._local_updates: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def call(self, use: Callable[[redis.Redis], T], fallback: Callable[[], T]) -> T:
        """`use(redis)`, or `fallback()` when there is no Redis or it failed within the last few seconds."""
        if self.redis is None or time.monotonic() < self._retry_at:
            return fallback()
        try:
            result = use(self.redis)
        except redis.RedisError as exc:
            if self.degraded is None:
                logger.error("Redis unavailable, serving from this process's own state: %s", exc)
            self.degraded = str(exc)[:200] or type(exc).__name__
            self._retry_at = time.monotonic() + RETRY_AFTER_SECONDS
            return fallback()
        if self.degraded is not None:
            logger.info("Redis is back")
            self.degraded = None
        return result

    def recheck(self) -> str | None:
        """Why Redis is degraded now, pinging it first when due (a quiet replica would otherwise never notice)."""
        if self.degraded is not None:
            self.call(lambda client: client.ping(), lambda: None)
        return self.degraded

    # -- answers -------------------------------------------------------------------------------------------------

    @staticmethod
    def _key(version: str | None, question: str, top_k: int | None) -> str:
        digest = hashlib.sha256(f"{top_k}\0{question}".encode()).hexdigest()[:32]
        return f"{PREFIX}:answer:{version}:{digest}"

    def get_answer(self, local: AnswerCache, version: str | None, question: str, top_k: int | None) -> Answer | None:
        """The cached answer (Redis, else `local`: this process's cache of the serving index)."""
        if self.cache_size <= 0:
            return None

        def use(client: redis.Redis) -> Answer | None:
            raw = client.get(self._key(version, question, top_k))
            return answer_from_json(raw) if raw else None  # type: ignore[arg-type]

        return self.call(use, lambda: local.get(question, top_k))

    def put_answer(
        self, local: AnswerCache, version: str | None, question: str, top_k: int | None, answer: Answer
    ) -> None:
        if self.cache_size <= 0:
            return
        key = self._key(version, question, top_k)
        self.call(
            lambda client: client.set(key, answer_to_json(answer), ex=self.cache_ttl),
            lambda: local.put(question, top_k, answer),
        )

    # -- Telegram updates ----------------------------------------------------------------------------------------

    def first_delivery(self, bot_id: int, update_id: int) -> bool:
        """True for the first delivery of an update to any replica; False for a repeat (to be acknowledged only)."""
        key = f"{PREFIX}:tg-update:{bot_id}:{update_id}"

        def local() -> bool:
            with self._lock:
                if key in self._local_updates:
                    return False
                self._local_updates[key] = None
                while len(self._local_updates) > _LOCAL_UPDATES:
                    self._local_updates.popitem(last=False)
                return True

        return self.call(lambda client: bool(client.set(key, 1, nx=True, ex=UPDATE_TTL_SECONDS)), local)
