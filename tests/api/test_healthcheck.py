"""The container health probe against a real loopback HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from api.healthcheck import main, probe


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/readyz" else 503)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_ready_api_is_healthy(server: str) -> None:
    assert probe(f"{server}/readyz") == (True, "HTTP 200")
    assert main(["--url", f"{server}/readyz"]) == 0


def test_not_ready_api_is_unhealthy(server: str) -> None:
    assert probe(f"{server}/not-ready") == (False, "HTTP 503")
    assert main(["--url", f"{server}/not-ready"]) == 1


def test_default_url_follows_jauap_port(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JAUAP_PORT", server.rsplit(":", 1)[1])
    assert main([]) == 0


def test_nothing_listening_is_unhealthy() -> None:
    probe_server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = probe_server.server_address[1]
    probe_server.server_close()  # the port is now free and nothing listens on it
    healthy, detail = probe(f"http://127.0.0.1:{port}/readyz", timeout=2)
    assert not healthy and detail.startswith("unreachable")
