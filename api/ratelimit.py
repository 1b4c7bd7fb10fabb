"""Sliding-window rate limiters: one in process memory, one shared by every replica through Redis (`limits`)."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from config import parse_rate  # the JAUAP_RATE_LIMIT syntax, checked where the setting is read

__all__ = ["RedisLimiter", "SlidingWindowLimiter", "parse_rate", "retry_after_header"]


class SlidingWindowLimiter:
    """At most `limit` hits per key within any `window` seconds (exact sliding log, thread-safe).

    Memory is bounded by the number of keys active within one window: idle keys are swept periodically.
    One process only: several API replicas each enforce the limit on the traffic they see.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = clock()

    def hit(self, key: str, cost_limit: int | None = None) -> float | None:
        """Record a hit for `key`; return None if allowed, else the seconds to wait before retrying."""
        limit = cost_limit or self.limit
        now = self._clock()
        with self._lock:
            if now - self._last_sweep > self.window:
                self._sweep(now)
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= limit:
                return max(hits[len(hits) - limit] + self.window - now, 0.001)
            hits.append(now)
            return None

    def _sweep(self, now: float) -> None:
        stale = [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]
        for key in stale:
            del self._hits[key]
        self._last_sweep = now


class RedisLimiter:
    """The same sliding window as `SlidingWindowLimiter`, kept in Redis so a client's hits add up across replicas.

    `limits`' moving window (an exact log of hit times per key, trimmed by a Lua script) does the counting; Redis
    errors propagate, so the caller can fall back to its own process's limiter (`app.shared.SharedState.call`).
    """

    def __init__(self, url: str, limit: int, window: float, timeout: float = 0.5) -> None:
        from limits import RateLimitItemPerSecond
        from limits.storage import RedisStorage
        from limits.strategies import MovingWindowRateLimiter

        self.limit = limit
        self.window = window
        self._item = RateLimitItemPerSecond
        self._storage = RedisStorage(
            url, key_prefix="jauap:limits", socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._limiter = MovingWindowRateLimiter(self._storage)

    def hit(self, key: str, cost_limit: int | None = None) -> float | None:
        """Record a hit for `key`; None if allowed, else the seconds to wait before retrying."""
        item = self._item(cost_limit or self.limit, int(self.window))
        if self._limiter.hit(item, key):
            return None
        stats = self._limiter.get_window_stats(item, key)
        return max(stats.reset_time - time.time(), 0.001)


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
