"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.schemas import Health, Readiness
from api.status import engines, problems, refresh_gauges

router = APIRouter(tags=["operations"])


def _version(request: Request) -> str | None:
    live = getattr(request.app.state, "live", None)
    return live.version if live is not None else None


@router.get("/healthz", response_model=Health, response_model_exclude_none=True)
def healthz(request: Request) -> Health:
    """The process is alive (and which index version it serves)."""
    return Health(status="ok", index_version=_version(request))


@router.get("/readyz", response_model=Readiness, responses={503: {"description": "Index not loaded"}})
def readyz(request: Request) -> Readiness | JSONResponse:
    """The index is loaded and questions can be answered; `degraded` names a shared part that is not well."""
    service = getattr(request.app.state, "service", None)
    if service is None:
        return JSONResponse({"detail": "The index is not loaded."}, status_code=503)
    found = problems(request.app)
    return Readiness(
        status="degraded" if found else "ready",
        documents=len(service.documents()),
        embedder=str(service.manifest.get("embedder", service.settings.retrieval.embedder)),
        index_version=_version(request),
        engines=engines(request.app),
        degraded=found,
    )


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request) -> Response:
    """Prometheus metrics of this process, and totals of the shared query log."""
    refresh_gauges(request.app)
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
