"""The real server process (`python -m api`, uvicorn) answers the contract over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from config import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(index_settings: Settings, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAUAP_")}
    env.update(
        JAUAP_INDEX_DIR=str(index_settings.retrieval.index_dir),
        JAUAP_CORPUS_DIR=str(index_settings.retrieval.corpus_dir),
        JAUAP_CURATED_FILE=str(index_settings.retrieval.curated_file),
        JAUAP_EMBEDDER="hash",
        JAUAP_QUERYLOG_PATH=str(tmp / "querylog.sqlite3"),
        JAUAP_RATE_LIMIT="0",
    )
    return env


@pytest.fixture
def server(index_settings: Settings, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "api", "--host", "127.0.0.1", "--port", str(port)],
        env=_env(index_settings, tmp_path),
        cwd=tmp_path,  # no stray .env
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_real_server_answers_the_contract_and_serves_docs(server: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=server, timeout=10) as http:
        response = http.post("/ask", json={"question": "Кеңес алу үшін қай нөмірге хабарласу керек?"})
        assert response.status_code == 200
        body = response.json()
        assert {"abstained", "answer", "citations", "answer_id"} <= set(body)
        for c in body["citations"]:
            text = http.get(f"/documents/{c['doc']}").json()["text"]
            assert text[c["start"] : c["end"]] == c["text"]
            assert c["viewer_url"].startswith(f"{server}/view/")
        assert http.post("/ask", json={"question": ""}).status_code == 422
        assert (
            http.post("/ask", content=b"\x00\xff" * 10, headers={"content-type": "application/json"}).status_code == 422
        )
        assert http.post("/ask", content=b"{" + b" " * 100_000 + b"}").status_code == 413
        assert http.get("/docs").status_code == 200
        assert http.get("/openapi.json").json()["info"]["title"] == "Jauap API"
        assert "jauap_http_requests_total" in http.get("/metrics").text
    lines = [json.loads(line) for line in (tmp_path / "server.log").read_text().splitlines() if line.startswith("{")]
    access = [r for r in lines if r["message"].startswith("POST /ask 200")]
    assert access and len(access[0]["request_id"]) == 32  # JSON access lines with the request id


def test_missing_index_is_a_clear_startup_error(index_settings: Settings, tmp_path: Path) -> None:
    env = _env(index_settings, tmp_path)
    env["JAUAP_INDEX_DIR"] = str(tmp_path / "no-index-here")
    done = subprocess.run(
        [sys.executable, "-m", "api", "--port", str(_free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "No index at" in done.stderr and "python -m index build" in done.stderr
