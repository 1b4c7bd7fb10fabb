"""ASGI middleware: request id + access log + metrics around every request, a request body size limit, and the
security headers every response carries."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import ApiMetrics
from ops.logs import request_id_var
from ops.redact import redact

logger = logging.getLogger("api.access")

_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _route_label(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"  # never the raw path: unbounded label values


class RequestContextMiddleware:
    """Gives each request an id (from X-Request-ID if sane), logs one line for it and records metrics.

    Every response also names the index version served (`X-Jauap-Index-Version`), so a client or a balancer can
    see that all replicas agree.
    """

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _CLIENT_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id  # for the 500 handler, which runs after our reset
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                live = getattr(getattr(scope.get("app"), "state", None), "live", None)
                if live is not None and live.version:  # which index version this replica serves
                    headers.append((b"x-jauap-index-version", live.version.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_label(scope)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(route).observe(elapsed)
            # The path only, never the query string: search terms may carry personal data (redacted anyway).
            logger.info(
                "%s %s %d %.1fms",
                scope["method"],
                redact(scope["path"]),  # alone: in the line, the status after it would shield a grouped IIN
                status,
                elapsed * 1000,
                extra={"status": status, "duration_ms": round(elapsed * 1000, 1)},
            )
            request_id_var.reset(token)


class BodyLimitMiddleware:
    """413 for request bodies over the limit, by Content-Length up front or by counting a streamed body.

    `path_limits` gives exact paths their own limit: Telegram's webhook updates (a long message with its entities,
    a reply that quotes another) can be far larger than anything a citizen's question needs.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, path_limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = dict(path_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.path_limits.get(scope["path"], self.max_bytes)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.isdigit():
                await _reply(send, 400, "Invalid Content-Length header.")
                return
            if int(length) > max_bytes:
                await _reply(send, 413, f"Request body too large (limit {max_bytes} bytes).")
                return
        # Bodies here are small (questions, ratings): read the whole body first, then replay it to the app.
        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # client went away
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > max_bytes:
                await _reply(send, 413, f"Request body too large (limit {max_bytes} bytes).")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _reply(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# JSON, CSV and plain-text answers are data, never a document to render: a browser tricked into opening one as a
# page runs nothing and cannot be framed. HTML pages set their own policy (api/pages.py); /docs loads Swagger UI.
API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
_OWN_POLICY = (b"text/html",)


class SecurityHeadersMiddleware:
    """`X-Content-Type-Options: nosniff` on every response; a deny-all CSP on every response that is not HTML."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                kind = dict((n.lower(), v) for n, v in headers).get(b"content-type", b"")
                if b"x-content-type-options" not in names:
                    headers.append((b"x-content-type-options", b"nosniff"))
                if b"content-security-policy" not in names and not kind.startswith(_OWN_POLICY):
                    headers.append((b"content-security-policy", API_CSP))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
