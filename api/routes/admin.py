"""Admin endpoints behind the JAUAP_ADMIN_TOKEN bearer: index hot reload and the operator report."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy.exc import SQLAlchemyError

from api.deps import QueryLogDep, require_admin
from api.schemas import ReloadResponse
from index.errors import JauapError

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_admin)])

_AUTH = {401: {"description": "Missing or wrong bearer token"}, 403: {"description": "Admin endpoints disabled"}}


@router.post(
    "/reload", response_model=ReloadResponse, responses={**_AUTH, 409: {"description": "The new index failed to load"}}
)
async def reload_index(request: Request) -> ReloadResponse:
    """Load the (re)built index beside the serving one, then swap: requests in flight finish on the old one."""
    try:
        service = await request.app.state.live.reload()
    except JauapError as exc:
        raise HTTPException(409, f"Reload failed; still serving the previous index. {exc}") from exc
    return ReloadResponse(
        status="reloaded",
        documents=len(service.documents()),
        embedder=str(service.manifest.get("embedder", service.settings.retrieval.embedder)),
    )


@router.get("/report", responses={**_AUTH, 503: {"description": "The report module is not installed"}})
async def report(
    querylog: QueryLogDep,
    since: Annotated[date | None, Query(description="Only questions from this day on (UTC).")] = None,
) -> dict[str, Any]:
    """Operator report over the query log: volume, abstentions, top questions, content gaps, thumbs-down."""
    try:
        from ops.report import build_report
    except ImportError as exc:
        raise HTTPException(503, "The operator report is not available in this build.") from exc
    start = datetime.combine(since, time.min, tzinfo=UTC) if since else None

    def build() -> dict[str, Any]:
        querylog.flush()
        return build_report(querylog, since=start).to_dict()

    try:
        return await asyncio.to_thread(build)
    except SQLAlchemyError as exc:
        logger.error("report failed: %s", exc)
        raise HTTPException(503, "The query log database is unavailable; try the report again later.") from exc
