"""Browser-facing pages: the embeddable widget script, its demo host page, the operators' search page and the
passage viewer. The pages are static shells whose scripts call the JSON API, so there is no server-side templating
of user or document text (only the app's own base URL is filled in)."""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from index.errors import UnknownDocumentError

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Pages only talk to their own origin; the widget script itself runs on other sites and is not covered by this.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
# Assets revalidate cheaply by ETag; the widget may be cached a while by every host page's visitors.
ASSETS = {
    "search.js": "text/javascript; charset=utf-8",
    "targets.js": "text/javascript; charset=utf-8",
    "viewer.js": "text/javascript; charset=utf-8",
    "ui.js": "text/javascript; charset=utf-8",
    "search.css": "text/css; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
}
WIDGET_MAX_AGE = 600
ASSET_MAX_AGE = 300

router = APIRouter()


@dataclass(frozen=True)
class Asset:
    body: bytes
    etag: str


@lru_cache(maxsize=32)
def _asset(name: str) -> Asset:
    """Read a static file once per process; its ETag is a content hash, so a redeploy invalidates caches."""
    body = (STATIC_DIR / name).read_bytes()
    return Asset(body=body, etag='"' + hashlib.sha256(body).hexdigest()[:20] + '"')


def _cached(
    request: Request, name: str, media_type: str, max_age: int, extra: dict[str, str] | None = None
) -> Response:
    asset = _asset(name)
    headers = {
        "Cache-Control": f"public, max-age={max_age}",
        "ETag": asset.etag,
        "X-Content-Type-Options": "nosniff",
        **(extra or {}),
    }
    if asset.etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=media_type, headers=headers)


def _base_path(request: Request) -> str:
    """The app's own path prefix ending in '/', for <base href> (works behind a proxy that mounts us under a path)."""
    return request.scope.get("root_path", "").rstrip("/") + "/"


def _page(request: Request, name: str, status_code: int = 200) -> HTMLResponse:
    text = _asset(name).body.decode("utf-8").replace("%BASE%", html.escape(_base_path(request), quote=True))
    if "%ORIGIN%" in text:
        text = text.replace("%ORIGIN%", html.escape(str(request.base_url), quote=True))
    return HTMLResponse(text, status_code=status_code, headers=PAGE_HEADERS)


@router.get(
    "/widget.js",
    summary="Embeddable chat widget",
    description='Add `<script src="https://HOST/widget.js" data-lang="kk" defer></script>` to a page; the site\'s '
    "origin must be listed in JAUAP_CORS_ORIGINS.",
    response_class=Response,
    responses={200: {"content": {"text/javascript": {}}}, 304: {"description": "Not modified (ETag matched)."}},
    tags=["widget"],
)
def widget_js(request: Request) -> Response:
    # Loaded by other origins: let pages with Cross-Origin-Embedder-Policy embed it too.
    return _cached(
        request,
        "widget.js",
        "text/javascript; charset=utf-8",
        WIDGET_MAX_AGE,
        {"Cross-Origin-Resource-Policy": "cross-origin"},
    )


@router.get("/static/{name}", include_in_schema=False)
def static_asset(name: str, request: Request) -> Response:
    media_type = ASSETS.get(name)
    if media_type is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    return _cached(request, name, media_type, ASSET_MAX_AGE)


@router.get("/", include_in_schema=False, response_class=HTMLResponse)
def search_page(request: Request) -> HTMLResponse:
    return _page(request, "search.html")


@router.get("/demo", include_in_schema=False, response_class=HTMLResponse)
def demo_page(request: Request) -> HTMLResponse:
    return _page(request, "demo.html")


@router.get("/view/{doc}", include_in_schema=False, response_class=HTMLResponse)
def viewer_page(doc: str, request: Request) -> HTMLResponse:
    """The page shell; its script reads start/end from the query and the text from /documents/{doc}."""
    service = getattr(request.app.state, "service", None)
    if service is not None:
        try:
            service.document(doc)
        except UnknownDocumentError:
            return _not_found(request)
    return _page(request, "viewer.html")


def _not_found(request: Request) -> HTMLResponse:
    body = (
        '<!doctype html><html lang="kk"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<base href="{html.escape(_base_path(request), quote=True)}">'
        '<title>Құжат табылмады — Jauap</title><link rel="stylesheet" href="static/search.css"></head>'
        '<body><header class="bar"><div class="brand"><span class="logo" aria-hidden="true">J</span> Jauap</div>'
        '</header><main><h1>Құжат табылмады</h1><p lang="ru">Документ не найден.</p>'
        '<p><a href="./">Іздеу бетіне оралу · Вернуться к поиску</a></p></main></body></html>'
    )
    return HTMLResponse(body, status_code=404, headers=PAGE_HEADERS)
