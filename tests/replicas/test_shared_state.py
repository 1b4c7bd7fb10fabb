"""Two API apps sharing one real Redis: one rate limit, one answer cache, one delivery per Telegram update.

The apps run in this process through TestClient (the multi-process, nginx-fronted setup is test_replicas.py);
Redis is a real redis-server that some tests stop and start again.
"""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

import app.shared
from api.app import create_app
from app.shared import SharedState, SharedStateError, connect

pytestmark = [pytest.mark.replicas, pytest.mark.redis]

QUESTION = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"


@pytest.fixture
def two_apps(tmp_path, index_settings, redis_server):
    def make(**overrides) -> list[TestClient]:
        clients = []
        for n in (1, 2):
            settings = index_settings.replace(
                querylog_path=tmp_path / f"q{n}.sqlite3", redis_url=redis_server.url, index_watch_seconds=0,
                **{"rate_limit": "0", **overrides},
            )  # fmt: skip
            client = TestClient(create_app(settings))
            client.__enter__()
            clients.append(client)
        made.extend(clients)
        return clients

    made: list[TestClient] = []
    yield make
    for client in made:
        client.__exit__(None, None, None)


def _metric(client: TestClient, line: str) -> bool:
    return line in client.get("/metrics").text


def test_a_clients_rate_limit_holds_across_replicas(two_apps) -> None:
    first, second = two_apps(rate_limit="3/minute", rate_limit_ip_factor=1)
    statuses = [c.get("/documents").status_code for c in (first, second, first)]
    assert statuses == [200, 200, 200]
    refused = second.get("/documents")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert first.get("/documents").status_code == 429


def test_a_repeated_question_is_answered_from_the_shared_cache_by_the_other_replica(two_apps) -> None:
    first, second = two_apps()
    answer = first.post("/ask", json={"question": QUESTION}).json()
    again = second.post("/ask", json={"question": QUESTION}).json()
    assert _metric(second, "jauap_answer_cache_hits_total 1.0")
    assert again["citations"] == answer["citations"] and again["index_version"] == answer["index_version"]
    assert again["answer_id"] != answer["answer_id"]


def test_losing_redis_keeps_answers_flowing_and_reports_degraded(two_apps, redis_server, monkeypatch) -> None:
    monkeypatch.setattr(app.shared, "RETRY_AFTER_SECONDS", 0.2)
    [client, _] = two_apps(rate_limit="100/minute")
    assert client.get("/readyz").json()["engines"]["shared_state"] == "redis"
    redis_server.stop()
    try:
        assert client.post("/ask", json={"question": QUESTION}).status_code == 200
        ready = client.get("/readyz").json()
        assert ready["status"] == "degraded" and "redis" in ready["degraded"]
        assert _metric(client, 'jauap_degraded{part="redis"} 1.0')
    finally:
        redis_server.start()
    time.sleep(0.3)
    assert client.post("/ask", json={"question": QUESTION}).status_code == 200
    assert client.get("/readyz").json()["status"] == "ready"


def test_an_unreachable_or_wrong_redis_url_fails_at_start(tmp_path, index_settings) -> None:
    with pytest.raises(SharedStateError, match="JAUAP_REDIS_URL"):
        connect("redis://127.0.0.1:1/0")
    with pytest.raises(SharedStateError, match="not a Redis URL"):
        connect("http://example")
    settings = index_settings.replace(querylog_path=tmp_path / "q.sqlite3", redis_url="redis://127.0.0.1:1/0")
    with pytest.raises(SharedStateError), TestClient(create_app(settings)):
        pass


def test_a_telegram_update_is_first_delivered_once_across_replicas(redis_server) -> None:
    one, two = (SharedState(connect(redis_server.url), 0, 60) for _ in range(2))
    assert one.first_delivery(42, 1001) is True
    assert two.first_delivery(42, 1001) is False and one.first_delivery(42, 1001) is False
    assert two.first_delivery(42, 1002) is True
