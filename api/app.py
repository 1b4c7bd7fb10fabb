"""The FastAPI app factory: loads the index once, wires routes, middleware, error handling and optional parts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from api import pages
from api.errors import install_error_handlers
from api.metrics import ApiMetrics
from api.middleware import BodyLimitMiddleware, RequestContextMiddleware, SecurityHeadersMiddleware
from api.ratelimit import RedisLimiter, SlidingWindowLimiter, parse_rate
from api.routes import admin, ask, documents, feedback, health, search, targets
from app.live import LiveIndex, pin_file_digest
from app.service import QAServiceLike
from app.shared import SharedState, connect
from config import Settings
from index.errors import JauapError
from ops.logs import setup_logging
from ops.querylog import QueryLog

logger = logging.getLogger(__name__)

DESCRIPTION = """Cited, extractive answers from Kazakhstan's e-government documents, in Kazakh and Russian.

`POST /ask` returns the answer object of the evaluation contract (`abstained`, `answer`, `citations`) plus an
`answer_id` for `POST /feedback`, document titles and viewer links. Questions are limited to
`JAUAP_MAX_QUESTION_CHARS` characters (default 1,000), request bodies to `JAUAP_MAX_BODY_BYTES`; clients are
rate-limited by `JAUAP_RATE_LIMIT` (429 + `Retry-After`)."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    state, settings = app.state, app.state.settings
    store = settings.storage
    try:
        state.querylog = await asyncio.to_thread(
            QueryLog, store.querylog_path, store.database_url, retention_days=store.querylog_retention_days
        )
        if settings.storage.redis_url:
            await asyncio.to_thread(_share_through_redis, app)
        state.live.on_switch.append(lambda service, version: _audit_pins(app, service, version))
        await state.live.reload()
    except JauapError as exc:
        logger.critical("Cannot start the API: %s", exc)
        if getattr(state, "querylog", None) is not None:
            state.querylog.close()
        raise
    logger.info("index %s loaded: %d documents", state.live.version, len(state.service.documents()))
    watcher = (
        asyncio.create_task(state.live.watch(settings.api.index_watch_seconds))
        if settings.api.index_watch_seconds
        else None
    )
    try:
        yield
    finally:
        if watcher is not None:
            watcher.cancel()
        state.querylog.close()
        if state.shared.redis is not None:
            state.shared.redis.close()


def _share_through_redis(app: FastAPI) -> None:
    """Answers, rate limits and seen Telegram updates in Redis (a clear error at start if it cannot be reached)."""
    settings = app.state.settings
    app.state.shared.redis = connect(settings.storage.redis_url)
    rate = parse_rate(settings.api.rate_limit)
    app.state.shared_limiter = RedisLimiter(settings.storage.redis_url, *rate) if rate else None
    logger.info("shared state in Redis: answers, rate limits, Telegram update de-duplication")


def _audit_pins(app: FastAPI, service: object, version: str) -> None:
    """Every index switch puts a set of curated pins live: record which (count, file digest, version)."""
    curated = getattr(service, "curated", None)
    digest = pin_file_digest(app.state.settings.retrieval.curated_file)
    app.state.querylog.audit_pins(index_version=version, pins=len(curated or ()), detail=digest)


def create_app(settings: Settings | None = None, *, path_limits: dict[str, int] | None = None) -> FastAPI:
    """Build the API app (without the bot: `jauap.web` composes both); settings from JAUAP_* env when not given.

    `path_limits` raises the body limit for paths another part mounts (the Telegram webhook).
    """
    if settings is None:
        settings = Settings.load()
        setup_logging(settings.api.log_level, json=settings.api.log_json)
    app = FastAPI(title="Jauap API", version="0.1.0", description=DESCRIPTION, lifespan=_lifespan)
    app.state.settings = settings
    app.state.service = None
    app.state.answer_cache = None  # (service, AnswerCache), see api.deps.answer_cache
    app.state.metrics = ApiMetrics()
    metrics = app.state.metrics
    app.state.live = LiveIndex(app.state, settings, count=lambda outcome: metrics.reloads.labels(outcome).inc())
    rate = parse_rate(settings.api.rate_limit)
    app.state.limiter = SlidingWindowLimiter(*rate) if rate else None
    app.state.shared = SharedState(
        None, settings.api.answer_cache_size, settings.api.answer_cache_ttl
    )  # Redis: lifespan
    app.state.shared_limiter = None

    for module in (ask, search, documents, targets, feedback, health, admin):
        app.include_router(module.router)
    app.include_router(pages.router)
    install_error_handlers(app)

    # Added innermost first: CORS answers preflights before the body limit; the context middleware sees everything.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.api.max_body_bytes, path_limits=path_limits or {})
    origins = settings.api.cors_origin_list
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=["*"] if "*" in origins else origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-Jauap-Session", "X-Request-ID"],
            expose_headers=["Retry-After", "X-Request-ID", "X-Jauap-Index-Version"],
            max_age=600,
        )
    app.add_middleware(SecurityHeadersMiddleware)  # outside the body limit and CORS: their own replies get them too
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    return app


def serving(app: FastAPI) -> tuple[QAServiceLike, QueryLog]:
    """The service and query log the app serves now (/admin/reload and index switches replace the service)."""
    return app.state.service, app.state.querylog


def shared_state(app: FastAPI) -> SharedState:
    """What the app's replicas share (Redis once the lifespan connected it, else this process's own state)."""
    return app.state.shared
