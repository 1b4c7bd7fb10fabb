"""One place that maps domain and validation errors to HTTP responses with messages a client can act on."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from api.middleware import API_CSP
from index.errors import (
    BadQuestionError,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    JauapError,
    UnknownDocumentError,
)
from ops.logs import request_id_var
from ops.redact import redact, storable

logger = logging.getLogger(__name__)

_STATUS: list[tuple[type[JauapError], int]] = [
    (BadQuestionError, 422),
    (UnknownDocumentError, 404),
    (IndexMissingError, 503),
    (IndexCorruptError, 503),
    (IndexMismatchError, 503),
]


def status_for(exc: JauapError) -> int:
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 400


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, JauapError)
    # a message may quote the request ("Unknown document: '880101300123'"): no personal data on an error page;
    # the id is redacted before it is quoted, as repr's escapes ("\x00880…") would hide a number from the patterns
    detail = f"Unknown document: {redact(exc.doc)!r}" if isinstance(exc, UnknownDocumentError) else str(exc)
    return JSONResponse({"detail": storable(redact(detail))}, status_code=status_for(exc))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    """Like FastAPI's own 422, minus the echoed input (it may hold personal data or unencodable text)."""
    assert isinstance(exc, RequestValidationError)
    detail = []
    for err in exc.errors():
        msg = str(err.get("msg", "invalid value"))
        detail.append({"loc": [str(part) for part in err.get("loc", ())], "msg": msg, "type": err.get("type", "")})
    return JSONResponse({"detail": detail}, status_code=422)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette answers this from its outermost middleware, after ours has finished: the request id comes back from
    # the scope (for the log line and the reply), and the headers every response carries are set here.
    request_id = getattr(request.state, "request_id", None) or request_id_var.get()
    token = request_id_var.set(request_id)
    try:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
    finally:
        request_id_var.reset(token)
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": API_CSP.decode()}
    if request_id != "-":
        headers["X-Request-ID"] = request_id
    return JSONResponse(
        {"detail": "Internal error; it has been logged.", "request_id": request_id}, status_code=500, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(JauapError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
