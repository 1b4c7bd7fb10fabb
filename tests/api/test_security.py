"""Security review evidence (docs/security.md): function-level authorisation of every admin route, tokens compared in
constant time, client addresses behind proxies, secrets kept out of logs, and the headers every response carries."""

from __future__ import annotations

import hmac
import io
import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest
from fastapi.testclient import TestClient
from live_server import serving

import api.deps
from api.__main__ import server_options
from api.app import create_app
from api.middleware import API_CSP
from config import Settings
from ops.logs import setup_logging

ADMIN_TOKEN = "test-admin-token"  # tests/api/conftest.py configures the clients with it


def _routes(routes: list) -> Iterator[object]:
    """Every endpoint, in included routers too (hidden ones as well: the OpenAPI schema would miss those)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from _routes(inner.routes) if inner is not None else [route]


def _admin_routes(client: TestClient) -> list[tuple[str, str]]:
    return [
        (method, route.path)
        for route in _routes(client.app.routes)
        if getattr(route, "path", "").startswith("/admin")
        for method in sorted(getattr(route, "methods", ()) or ())
    ]


def test_every_admin_route_needs_the_token_and_is_off_without_one(client: TestClient, make_client) -> None:
    routes = _admin_routes(client)
    assert {("POST", "/admin/reload"), ("GET", "/admin/report")} <= set(routes)
    off = make_client(admin_token="")
    wrong = ["", "Bearer wrong", f"Basic {ADMIN_TOKEN}", f"Bearer {ADMIN_TOKEN}x", f"Bearer {ADMIN_TOKEN[:-1]}"]
    for method, path in routes:
        for headers in [{"Authorization": value} if value else {} for value in wrong]:
            assert client.request(method, path, headers=headers).status_code == 401, (method, path, headers)
        assert off.request(method, path, headers={"Authorization": "Bearer "}).status_code == 403
        assert off.request(method, path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}).status_code == 403


def test_tokens_are_compared_in_constant_time(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """`hmac.compare_digest` takes the same time wherever the first wrong byte is; `==` would leak the prefix."""
    calls: list[tuple[bytes, bytes]] = []
    compare = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(api.deps.hmac, "compare_digest", spy)
    assert client.get("/admin/report", headers={"Authorization": "Bearer guess"}).status_code == 401
    assert calls == [(b"guess", ADMIN_TOKEN.encode())]

    from bot.webhook import WebhookBot
    from config import Settings

    hook = WebhookBot.__new__(WebhookBot)
    hook.settings = Settings.of(bot_token="1:x", webhook_secret="s3cret")
    calls.clear()
    assert not hook.secret_ok("s3creT") and hook.secret_ok("s3cret") and not hook.secret_ok(None)
    assert calls == [(b"s3creT", b"s3cret"), (b"s3cret", b"s3cret")]
    hook.settings = Settings.of(bot_token="1:x", webhook_secret="")
    assert not hook.secret_ok("")  # no secret configured: nothing is accepted
    with pytest.raises(ValueError, match="needs JAUAP_WEBHOOK_SECRET"):  # and webhook mode does not start
        Settings.of(bot_token="1:x", bot_mode="webhook", webhook_secret="")


@pytest.fixture
def behind_proxy(index_settings: Settings, tmp_path) -> Iterator[Callable[[str], str]]:
    """The app served by uvicorn with the deployment's options, trusting the given proxy addresses."""
    with ExitStack() as running:
        served: list[str] = []

        def serve(trusted: str) -> str:
            settings = index_settings.replace(querylog_path=tmp_path / f"q{len(served)}.sqlite3", rate_limit="2/minute",
                                              rate_limit_ip_factor=1, trusted_proxies=trusted)  # fmt: skip
            options = {**server_options(settings), "log_config": None, "log_level": "warning"}
            server = running.enter_context(serving(create_app(settings), host="127.0.0.1", port=0, **options))
            served.append(f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}")
            return served[-1]

        yield serve


def _statuses(base: str, forwarded_for: str, n: int) -> list[int]:
    headers = {"X-Forwarded-For": forwarded_for}
    return [httpx.get(f"{base}/documents", headers=headers).status_code for _ in range(n)]


def test_rate_limits_follow_the_forwarded_client_only_behind_a_trusted_proxy(behind_proxy) -> None:
    trusted = behind_proxy("127.0.0.1")  # nginx on this host: each forwarded client has its own budget
    assert _statuses(trusted, "10.0.0.1", 3) == [200, 200, 429]
    assert _statuses(trusted, "10.0.0.2", 2) == [200, 200]
    untrusted = behind_proxy("10.9.9.9")  # a client talking to us directly cannot mint addresses to escape it
    assert _statuses(untrusted, "10.0.0.3", 2) == [200, 200]
    assert _statuses(untrusted, "10.0.0.4", 1) == [429]


def test_secrets_never_reach_the_logs(make_client) -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    setup_logging("DEBUG", json=True, stream=stream)
    try:
        client = make_client(admin_token="adm-T0KEN-never-logged")
        client.get("/admin/report", headers={"Authorization": "Bearer guess-T0KEN-never-logged"})
        client.get("/admin/report", headers={"Authorization": "Bearer adm-T0KEN-never-logged"})
        client.get("/metrics")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    logged = stream.getvalue()
    assert "/admin/report" in logged  # the requests were logged, so the check below is meaningful
    assert "T0KEN" not in logged
    assert "adm-T0KEN-never-logged" not in repr(Settings.of(admin_token="adm-T0KEN-never-logged"))


def _boom() -> None:
    raise RuntimeError("secret detail of an unexpected error")


def test_every_response_carries_the_security_headers(client: TestClient) -> None:
    for response in (
        client.get("/documents"),
        client.post("/ask", json={"question": ""}),
        client.get("/no-such-path"),
        client.post("/ask", content=b"x" * 70_000),  # answered by the body limit, before the app
        client.get("/admin/report"),
        client.get("/metrics"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == API_CSP.decode()
    client.app.add_api_route("/boom", _boom)
    crashed = TestClient(client.app, raise_server_exceptions=False).get("/boom", headers={"X-Request-ID": "req-1"})
    assert crashed.status_code == 500 and "secret" not in crashed.text  # a generic page, nothing of the error
    assert crashed.headers["x-content-type-options"] == "nosniff" and crashed.headers["x-request-id"] == "req-1"
    assert crashed.headers["content-security-policy"] == API_CSP.decode()
    assert crashed.json()["request_id"] == "req-1"  # the id a user quotes to support finds the logged traceback
    page = client.get("/")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    widget = client.get("/widget.js")
    assert widget.headers["x-content-type-options"] == "nosniff"
    assert widget.headers["content-type"].startswith("text/javascript")
