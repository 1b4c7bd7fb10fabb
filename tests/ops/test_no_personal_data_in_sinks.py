"""Property: generated IINs, phone numbers, e-mails and payment card numbers, written the ways people write them and
sent through every place the service writes to — redaction, log records (message, args, extras, tracebacks; JSON
and text handlers and a foreign handler), the query log file, Prometheus metrics and error pages — are found in
none of them. The bot's own log lines go through the same record factory (tests/bot/test_bot_hostile.py)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from personal_data import leaks, sentences

from api.app import create_app
from config import Settings
from ops.logs import setup_logging
from ops.redact import redact


@settings(max_examples=500, deadline=None, database=None)
@given(sentences())
def test_redaction_removes_every_generated_personal_number(case: tuple[str, list[str]]) -> None:
    text, secrets = case
    assert not leaks(redact(text), secrets)
    assert redact(redact(text)) == redact(text)


class Collect(logging.Handler):
    """A handler we do not own (like pytest's caplog or an error tracker): it sees records, not our formatter."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(record.getMessage() + repr(record.__dict__))


@pytest.fixture(scope="module")
def sinks(index_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    json_stream, text_stream, foreign = io.StringIO(), io.StringIO(), Collect()
    setup_logging("DEBUG", json=False, stream=text_stream)
    text_handler = next(h for h in root.handlers if h.get_name() == "jauap")
    text_handler.set_name("jauap-text")  # kept when the JSON handler replaces the "jauap" one
    setup_logging("DEBUG", json=True, stream=json_stream)
    root.addHandler(foreign)
    quiet = [logging.getLogger(name) for name in ("httpx", "httpx2")]  # the test's own HTTP client, not a sink
    for client_logger in quiet:
        client_logger.setLevel(logging.WARNING)
    tmp = tmp_path_factory.mktemp("sinks")
    app: FastAPI = create_app(index_settings.replace(querylog_path=tmp / "q.sqlite3", rate_limit="0", admin_token="t"))

    def boom(q: str) -> None:
        raise RuntimeError(f"failed on {q}")  # an unexpected error quoting the request

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield {"client": client, "json": json_stream, "text": text_stream, "foreign": foreign, "dir": tmp}
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for client_logger in quiet:
        client_logger.setLevel(logging.NOTSET)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(case=sentences())
def test_no_sink_ever_holds_generated_personal_data(sinks: dict, case: tuple[str, list[str]]) -> None:
    text, secrets = case
    client: TestClient = sinks["client"]
    errors = []
    asked = client.post("/ask", json={"question": text})
    answer_id = asked.json()["answer_id"] if asked.status_code == 200 else "0" * 32
    errors += [r for r in (asked,) if r.status_code >= 400]
    responses = [
        client.get("/search", params={"q": text}),
        client.post("/feedback", json={"answer_id": answer_id, "rating": -1, "reason": text}),
        client.get(f"/documents/{quote(text, safe='')}"),
        client.get(f"/view/{quote(text, safe='')}"),
        client.get("/boom", params={"q": text}),
        client.post("/ask", json={"question": text + "\x00"}),  # 422
        client.get("/search", params={"q": text, "k": text}),  # 422
    ]
    errors += [r for r in responses if r.status_code >= 400]
    logger = logging.getLogger("jauap.sinks")
    logger.info("user wrote %s", text, extra={"question": text})
    try:
        raise ValueError(text)
    except ValueError:
        logger.exception("handling %r failed", text)
    client.app.state.querylog.flush()

    stored = b"".join(p.read_bytes() for p in Path(sinks["dir"]).iterdir() if p.name.startswith("q.sqlite3"))
    metrics = client.get("/metrics").text
    places = {
        "json log": sinks["json"].getvalue(),
        "text log": sinks["text"].getvalue(),
        "foreign handler": "\n".join(sinks["foreign"].seen),
        "query log file": stored.decode("utf-8", "replace"),
        "metrics": metrics,
        "error pages": "\n".join(f"{r.status_code} {r.text} {dict(r.headers)}" for r in errors),
    }
    assert errors and any(r.status_code == 500 for r in errors)  # the error-page check is not vacuous
    assert "user wrote" in places["json log"] and "user wrote" in places["text log"]
    for place, content in places.items():
        leaked = leaks(content, secrets)
        assert not leaked, (place, leaked, [line for line in content.splitlines() if any(s in line for s in leaked)])
