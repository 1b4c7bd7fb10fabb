"""Health, readiness, metrics, OpenAPI docs, CORS and request ids."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_and_readiness(client: TestClient) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["index_version"].startswith("index-")
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "documents": 3,
        "embedder": "hash",
        "index_version": health["index_version"],
        "engines": {"database": "sqlite", "shared_state": "process"},
        "degraded": {},
    }


def test_readiness_is_503_while_no_index_is_loaded(client: TestClient) -> None:
    client.app.state.service = None
    assert client.get("/readyz").status_code == 503
    response = client.post("/ask", json={"question": "портал"})
    assert response.status_code == 503
    assert client.get("/healthz").status_code == 200


def test_metrics_count_requests_latency_and_abstentions(client: TestClient) -> None:
    client.post("/ask", json={"question": "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"})
    client.post("/ask", json={"question": ""})
    client.post("/ask", json={"question": "2031 жылы порталды күн сайын қанша азамат пайдаланады?"})
    client.get("/documents/nope.txt")
    text = client.get("/metrics").text
    assert 'jauap_http_requests_total{method="POST",route="/ask",status="200"} 2.0' in text
    assert 'jauap_http_requests_total{method="POST",route="/ask",status="422"} 1.0' in text
    assert 'jauap_http_requests_total{method="GET",route="/documents/{doc}",status="404"} 1.0' in text
    assert 'jauap_http_request_duration_seconds_count{route="/ask"} 3.0' in text
    assert "jauap_answers_total 2.0" in text
    assert 'jauap_abstentions_total{reason="unknown_figure"} 1.0' in text


def test_two_apps_in_one_process_keep_separate_metrics(make_client) -> None:
    first, second = make_client(), make_client()
    first.get("/healthz")
    assert 'route="/healthz"' in first.get("/metrics").text
    assert 'route="/healthz"' not in second.get("/metrics").text


def test_openapi_and_docs_are_served(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path in ("/ask", "/search", "/documents", "/documents/{doc}", "/feedback", "/healthz", "/readyz"):
        assert path in schema["paths"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_request_id_is_returned_and_a_sane_client_id_is_kept(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    odd = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["x-request-id"]
    assert odd != "<script>"


def test_cors_allows_configured_origins_only(client: TestClient) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-jauap-session",
    }
    allowed = client.options("/ask", headers={"Origin": "https://gov.example.kz", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://gov.example.kz"
    assert "x-jauap-session" in allowed.headers["access-control-allow-headers"].lower()
    denied = client.options("/ask", headers={"Origin": "https://evil.example.com", **preflight})
    assert "access-control-allow-origin" not in denied.headers
    simple = client.get("/healthz", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in simple.headers


def test_cors_wildcard(make_client) -> None:
    client = make_client(cors_origins="*")
    response = client.get("/documents", headers={"Origin": "https://any.example.org"})
    assert response.headers["access-control-allow-origin"] == "*"


def test_no_cors_headers_when_no_origins_configured(make_client) -> None:
    client = make_client(cors_origins="")
    response = client.get("/documents", headers={"Origin": "https://gov.example.kz"})
    assert "access-control-allow-origin" not in response.headers
