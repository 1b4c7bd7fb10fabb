"""What routes receive from the app: the service, the query log, settings, metrics, and the guards."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.metrics import ApiMetrics
from api.ratelimit import RedisLimiter, SlidingWindowLimiter, retry_after_header
from app.cache import AnswerCache
from app.service import QAServiceLike
from config import Settings
from ops.querylog import QueryLog

SESSION_HEADER = "X-Jauap-Session"


def get_service(request: Request) -> QAServiceLike:
    service = getattr(request.app.state, "service", None)
    if service is None:
        raise HTTPException(503, "The index is not loaded yet.")
    return service


def get_querylog(request: Request) -> QueryLog:
    return request.app.state.querylog


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_metrics(request: Request) -> ApiMetrics:
    return request.app.state.metrics


def answer_cache(request: Request, service: QAServiceLike) -> AnswerCache:
    """The answer cache of the service now serving: a reload swaps the service, and so starts a fresh cache."""
    state = request.app.state
    cache = state.answer_cache
    if cache is None or cache[0] is not service:
        cache = state.answer_cache = (service, AnswerCache(state.settings.api.answer_cache_size))
    return cache[1]


ServiceDep = Annotated[QAServiceLike, Depends(get_service)]
QueryLogDep = Annotated[QueryLog, Depends(get_querylog)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]


def rate_limited(request: Request) -> None:
    """429 + Retry-After when this client (widget session, else IP) or its IP as a whole sends too much.

    The IP is the peer's, or the one a trusted proxy (JAUAP_TRUSTED_PROXIES) forwarded: uvicorn resolves it.
    """
    state = request.app.state
    limiter: SlidingWindowLimiter | None = state.limiter
    if limiter is None:
        return
    shared_limiter: RedisLimiter | None = state.shared_limiter
    ip = request.client.host if request.client else "unknown"
    session = (request.headers.get(SESSION_HEADER) or "")[:128]
    client_key = f"session:{session}" if session else f"client:{ip}"
    ip_limit = limiter.limit * state.settings.api.rate_limit_ip_factor

    def hit(counter: SlidingWindowLimiter | RedisLimiter) -> float | None:
        return counter.hit(client_key) or counter.hit(f"ip:{ip}", cost_limit=ip_limit)

    # shared by every replica when Redis is set; this process's own window while Redis is away
    wait = state.shared.call(lambda _: hit(shared_limiter), lambda: hit(limiter)) if shared_limiter else hit(limiter)
    if wait is not None:
        request.app.state.metrics.rate_limited.inc()
        raise HTTPException(
            429,
            "Too many requests; please wait before asking again.",
            headers={"Retry-After": retry_after_header(wait)},
        )


_bearer = HTTPBearer(auto_error=False, description="JAUAP_ADMIN_TOKEN")


def require_admin(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """Admin endpoints need `Authorization: Bearer $JAUAP_ADMIN_TOKEN`; with no token configured they are off."""
    expected = settings.api.admin_token.get_secret_value()
    if not expected:
        raise HTTPException(403, "Admin endpoints are disabled: set JAUAP_ADMIN_TOKEN to enable them.")
    if credentials is None or not hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise HTTPException(401, "A valid admin bearer token is required.", headers={"WWW-Authenticate": "Bearer"})
