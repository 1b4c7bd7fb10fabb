"""The browser-facing pages through the real app: what they serve, how they are cached, and what they refuse."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.pages import STATIC_DIR
from config import Settings


@pytest.fixture(scope="module")
def pages_app(index_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    querylog = tmp_path_factory.mktemp("pages") / "querylog.sqlite3"
    return create_app(index_settings.replace(rate_limit="0", querylog_path=querylog, log_json=False))


@pytest.fixture(scope="module")
def pages_client(pages_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(pages_app) as c:
        yield c


def test_widget_js_is_cacheable_javascript(pages_client: TestClient) -> None:
    r = pages_client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert "max-age=" in r.headers["cache-control"]
    assert r.headers["etag"]
    assert r.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "attachShadow" in r.text and "document.currentScript" in r.text


def test_widget_js_revalidates_by_etag(pages_client: TestClient) -> None:
    etag = pages_client.get("/widget.js").headers["etag"]
    again = pages_client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert pages_client.get("/widget.js", headers={"If-None-Match": '"stale"'}).status_code == 200


@pytest.mark.parametrize("path", ["/", "/demo", "/view/egov-portal.txt?start=0&end=10"])
def test_pages_are_html_with_a_strict_csp(pages_client: TestClient, path: str) -> None:
    r = pages_client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert '<base href="/">' in r.text


@pytest.mark.parametrize("path", ["/", "/demo", "/view/egov-portal.txt"])
def test_every_asset_a_page_references_is_served(pages_client: TestClient, path: str) -> None:
    html = pages_client.get(path).text
    refs = re.findall(r'(?:src|href)="((?:static/)?[\w.-]+\.(?:js|css))"', html)
    assert refs, "the page references no scripts or styles"
    kinds = {".js": "text/javascript", ".css": "text/css"}
    for ref in refs:
        r = pages_client.get("/" + ref)
        assert r.status_code == 200, ref
        assert r.headers["content-type"].startswith(kinds[Path(ref).suffix]), ref


def test_module_imports_of_page_scripts_are_served(pages_client: TestClient) -> None:
    for script in ("search.js", "viewer.js"):
        for module in re.findall(r'from "\./([\w.-]+\.js)"', pages_client.get(f"/static/{script}").text):
            assert pages_client.get(f"/static/{module}").status_code == 200, module


def test_demo_embeds_the_widget_with_one_script_tag(pages_client: TestClient) -> None:
    html = pages_client.get("/demo").text
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert len(scripts) == 1
    assert 'src="widget.js"' in scripts[0] and 'data-lang="kk"' in scripts[0] and "defer" in scripts[0]
    assert "http://testserver/widget.js" in html  # the copy-paste snippet names this server


def test_viewer_404s_on_an_unknown_document(pages_client: TestClient) -> None:
    r = pages_client.get("/view/no-such-document.txt?start=0&end=5")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "no-such-document" not in r.text  # the unknown id is not echoed back into HTML


@pytest.mark.parametrize("name", ["pages.py", "..%2Fpages.py", "widget.js", "search.html", "nothing.css"])
def test_static_route_serves_only_listed_assets(pages_client: TestClient, name: str) -> None:
    assert pages_client.get(f"/static/{name}").status_code == 404


def test_host_header_is_escaped_in_the_demo_snippet(pages_client: TestClient) -> None:
    r = pages_client.get("/demo", headers={"host": 'evil.example"><script>alert(1)</script>'})
    assert "<script>alert(1)" not in r.text


def test_pages_under_a_path_prefix_resolve_assets_from_it(pages_app: FastAPI) -> None:
    with TestClient(pages_app, root_path="/jauap") as prefixed:
        assert '<base href="/jauap/">' in prefixed.get("/").text


def test_html_pages_stay_out_of_the_openapi_schema(pages_client: TestClient) -> None:
    paths = pages_client.get("/openapi.json").json()["paths"]
    assert "/widget.js" in paths
    assert not {"/", "/demo", "/view/{doc}", "/static/{name}"} & set(paths)


def test_scripts_never_parse_text_as_html() -> None:
    """Questions and document text must only reach the page as text nodes."""
    forbidden = re.compile(r"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|createContextualFragment")
    for script in STATIC_DIR.glob("*.js"):
        assert not forbidden.search(script.read_text(encoding="utf-8")), script.name
