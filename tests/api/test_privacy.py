"""Personal data in a question never reaches the SQLite file or the logs."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ops.logs import setup_logging

SECRETS = ["880101300123", "701 123 45 67", "aigerim@mail.kz"]
QUESTION = "Менің ЖСН 880101300123, телефоным +7 701 123 45 67, поштам aigerim@mail.kz. 1414 нөмірі не?"


@pytest.fixture
def log_stream():
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    stream = io.StringIO()
    setup_logging("DEBUG", json=True, stream=stream)
    yield stream
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def test_an_iin_in_a_question_never_reaches_the_store_or_the_logs(
    client: TestClient, api_settings, log_stream: io.StringIO, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    response = client.post("/ask", json={"question": QUESTION})
    assert response.status_code == 200
    client.get("/search", params={"q": QUESTION})
    client.post("/feedback", json={"answer_id": response.json()["answer_id"], "rating": -1, "reason": QUESTION})
    client.app.state.querylog.flush()
    logging.getLogger("jauap.test").info("user wrote: %s", QUESTION)

    [record] = client.app.state.querylog.questions()
    assert "[IIN]" in record.question and "[PHONE]" in record.question and "[EMAIL]" in record.question
    assert "1414" in record.question
    db_dir: Path = api_settings.storage.querylog_path.parent
    stored = b"".join(p.read_bytes() for p in db_dir.iterdir() if p.name.startswith("querylog"))
    logged = log_stream.getvalue() + caplog.text
    assert "user wrote: Менің ЖСН [IIN]" in log_stream.getvalue()
    assert "/ask" in log_stream.getvalue()  # the access log is there, so the check below is meaningful
    for secret in SECRETS:
        assert secret.encode() not in stored
        assert secret not in logged
