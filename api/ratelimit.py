"""Sliding-window rate limiters: one in process memory, one shared by every replica through Redis (`limits`)."""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable

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
