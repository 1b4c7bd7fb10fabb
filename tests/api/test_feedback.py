"""POST /feedback: one changeable rating per answer, stored redacted, counted in metrics."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient


def _answer_id(client: TestClient) -> str:
    return client.post("/ask", json={"question": "1414 нөмірі не үшін керек?"}).json()["answer_id"]


def test_rating_twice_keeps_one_rating_and_the_last_one_wins(client: TestClient) -> None:
    answer_id = _answer_id(client)
    for _ in range(2):
        response = client.post("/feedback", json={"answer_id": answer_id, "rating": 1})
        assert response.status_code == 200
        assert response.json() == {"answer_id": answer_id, "rating": 1, "status": "recorded"}
    response = client.post(
        "/feedback", json={"answer_id": answer_id, "rating": -1, "reason": "Маған хабарласыңыз: +7 701 123 45 67"}
    )
    assert response.status_code == 200
    querylog = client.app.state.querylog
    querylog.flush()
    [stored] = querylog.feedback()
    assert (stored.answer_id, stored.rating, stored.channel) == (answer_id, -1, "web")
    assert stored.reason == "Маған хабарласыңыз: [PHONE]"
    metrics = client.get("/metrics").text
    assert 'jauap_feedback_total{rating="1"} 2.0' in metrics
    assert 'jauap_feedback_total{rating="-1"} 1.0' in metrics


def test_asked_questions_are_logged_with_their_answer_id(client: TestClient) -> None:
    answer_id = _answer_id(client)
    querylog = client.app.state.querylog
    querylog.flush()
    [record] = querylog.questions()
    assert record.answer_id == answer_id
    assert record.channel == "web" and record.lang == "kk"
    assert record.top_doc == "egov-portal.txt"
    assert record.latency_ms > 0


@pytest.mark.parametrize(
    "payload",
    [
        {"answer_id": "abc", "rating": 0},
        {"answer_id": "abc", "rating": 2},
        {"answer_id": "abc", "rating": "up"},
        {"answer_id": "abc"},
        {"rating": 1},
        {"answer_id": "", "rating": 1},
        {"answer_id": "../../etc", "rating": 1},
        {"answer_id": "a" * 65, "rating": 1},
        {"answer_id": "abc", "rating": 1, "reason": "x" * 1001},
        {"answer_id": "abc", "rating": 1, "reason": "bad\x00"},
        {"answer_id": "abc", "rating": 1, "reason": 5},
    ],
)
def test_bad_feedback_gets_422(client: TestClient, payload: dict) -> None:
    assert client.post("/feedback", json=payload).status_code == 422


def test_an_acknowledged_rating_is_already_stored(client: TestClient) -> None:
    """Regression (soak, kill -9 of a replica): a rating was acknowledged while still queued in memory."""
    answer_id = _answer_id(client)
    assert client.post("/feedback", json={"answer_id": answer_id, "rating": -1}).status_code == 200
    assert [f.answer_id for f in client.app.state.querylog.feedback()] == [answer_id]  # no flush: on disk already


def test_a_rating_neither_the_database_nor_the_disk_can_take_is_refused_then_kept(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """With the database down and the spool's disk refusing writes, 503 + Retry-After, not a 200 a crash could undo;
    the rating is still held and stored once the disk is back."""
    import sqlalchemy as sa

    import ops.logwriter
    from api.routes import feedback

    answer_id = _answer_id(client)
    writer = client.app.state.querylog._writer
    monkeypatch.setattr(feedback, "STORE_WAIT_SECONDS", 0.3)
    monkeypatch.setattr(ops.logwriter, "_RETRY_SECONDS", 0.05)
    real_deliver = ops.logwriter.LogWriter._deliver

    def down(self, rows):
        raise sa.exc.OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(ops.logwriter.LogWriter, "_deliver", down)
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder: the spool cannot be written")
    monkeypatch.setattr(writer.spool, "folder", blocked / "spool")
    response = client.post("/feedback", json={"answer_id": answer_id, "rating": 1})
    assert response.status_code == 503 and response.headers["Retry-After"] == "10"
    assert "feedback" in [table for table, _ in writer.held]
    monkeypatch.setattr(ops.logwriter.LogWriter, "_deliver", real_deliver)  # the database is back
    deadline = time.monotonic() + 20
    while not client.app.state.querylog.feedback():
        assert time.monotonic() < deadline, "the held rating was never stored"
        time.sleep(0.05)
    assert client.app.state.querylog.feedback()[0].rating == 1
