"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.schemas import Health, Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"description": "Index not loaded"}})
def readyz(request: Request) -> Readiness | JSONResponse:
    """The index is loaded and questions can be answered."""
    service = getattr(request.app.state, "service", None)
    if service is None:
        return JSONResponse({"detail": "The index is not loaded."}, status_code=503)
    return Readiness(
        status="ready",
        documents=len(service.documents()),
        embedder=str(service.manifest.get("embedder", service.settings.embedder)),
    )


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request) -> Response:
    """Prometheus metrics of this process."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
