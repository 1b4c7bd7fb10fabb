"""What /readyz and /metrics say about the parts a replica shares with the others: database, Redis, index."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI

logger = logging.getLogger(__name__)


def problems(app: FastAPI) -> dict[str, str]:
    """part → why it is degraded, for each part that is (empty when all is well)."""
    state = app.state
    found: dict[str, str] = {}
    querylog = getattr(state, "querylog", None)
    if querylog is not None and querylog.degraded:
        found["database"] = f"log rows are spooled locally until the database is back: {querylog.degraded}"
    shared = getattr(state, "shared", None)
    if shared is not None and shared.recheck():  # the bot's storage uses the same Redis and recovers with it
        found["redis"] = f"limits, cache, bot state and de-duplication fall back to this process: {shared.degraded}"
    live = getattr(state, "live", None)
    if live is not None and live.failed:
        found["index"] = live.failed
    return found


def engines(app: FastAPI) -> dict[str, str]:
    """Which engine holds what, for the readiness report."""
    querylog = getattr(app.state, "querylog", None)
    shared = getattr(app.state, "shared", None)
    return {
        "database": querylog.dialect if querylog is not None else "none",
        "shared_state": "redis" if shared is not None and shared.redis is not None else "process",
    }


def refresh_gauges(app: FastAPI) -> None:
    """Set the scrape-time gauges: degraded parts, spooled rows, log totals, the index version served."""
    metrics = app.state.metrics
    found = problems(app)
    for part in ("database", "redis", "index"):
        metrics.degraded.labels(part).set(1 if part in found else 0)
    querylog = getattr(app.state, "querylog", None)
    if querylog is not None:
        metrics.spooled.set(querylog.spooled_rows)
        if not querylog.degraded:
            try:
                totals: dict[str, Any] = querylog.totals()
            except Exception as exc:  # the database went away since the last write: keep the last values
                logger.warning("log totals unavailable: %s", exc)
            else:
                metrics.logged_questions.set(totals["questions"])
                metrics.logged_feedback.labels("1").set(totals["thumbs_up"])
                metrics.logged_feedback.labels("-1").set(totals["thumbs_down"])
    live = getattr(app.state, "live", None)
    if live is not None and live.version:
        metrics.index_version.clear()
        metrics.index_version.labels(live.version).set(1)
