"""Admin endpoints: bearer-token guard, hot reload of a rebuilt index without downtime, the operator report."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
from fastapi.testclient import TestClient

NEW_DOC = "Цифрлық қолтаңба (ЭЦҚ) алу үшін азамат eGov mobile қосымшасында өтінім береді. Кілт бір жыл жарамды."


@pytest.mark.parametrize(("method", "path"), [("post", "/admin/reload"), ("get", "/admin/report")])
def test_admin_endpoints_need_the_bearer_token(client: TestClient, method: str, path: str) -> None:
    assert getattr(client, method)(path).status_code == 401
    wrong = getattr(client, method)(path, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert getattr(client, method)(path, headers={"Authorization": "Basic test-admin-token"}).status_code == 401


def test_admin_endpoints_are_off_without_a_configured_token(make_client) -> None:
    client = make_client(admin_token="")
    response = client.post("/admin/reload", headers={"Authorization": "Bearer "})
    assert response.status_code == 403
    assert "JAUAP_ADMIN_TOKEN" in response.json()["detail"]


def test_hot_reload_serves_a_rebuilt_index_without_downtime(make_client, fresh_index, admin_headers) -> None:
    from index.build import build_index

    settings = fresh_index
    client = make_client(index_settings=settings)
    assert "ecp.txt" not in {d["id"] for d in client.get("/documents").json()}
    old_service = client.app.state.service

    (settings.retrieval.corpus_dir / "ecp.txt").write_text(NEW_DOC, encoding="utf-8")
    time.sleep(1.1)  # index versions are named to the second (index/store.py): a rebuild in the same second collides
    build_index(settings)

    statuses: list[int] = []
    stop = threading.Event()

    def keep_asking() -> None:
        while not stop.is_set():
            statuses.append(client.post("/ask", json={"question": "ХҚКО қанша қызмет көрсетті?"}).status_code)

    worker = threading.Thread(target=keep_asking)
    worker.start()
    try:
        response = client.post("/admin/reload", headers=admin_headers)
    finally:
        stop.set()
        worker.join()
    assert response.status_code == 200
    assert response.json() == {"status": "reloaded", "documents": 4, "embedder": "hash"}
    assert client.app.state.service is not old_service
    client.post("/ask", json={"question": "ХҚКО қанша қызмет көрсетті?"})
    assert client.app.state.answer_cache[0] is client.app.state.service  # answers of the old index are dropped
    assert statuses and set(statuses) == {200}
    assert "ecp.txt" in {d["id"] for d in client.get("/documents").json()}
    hits = client.get("/search", params={"q": "цифрлық қолтаңба eGov mobile"}).json()["results"]
    assert hits[0]["doc"] == "ecp.txt"
    assert 'jauap_index_reloads_total{outcome="ok"} 1.0' in client.get("/metrics").text


def test_a_failed_reload_keeps_serving_the_previous_index(make_client, fresh_index, admin_headers) -> None:
    settings = fresh_index
    client = make_client(index_settings=settings)
    index_dir = settings.retrieval.index_dir
    if index_dir.is_symlink():  # the build switches versions through a symlink: break what it points to
        shutil.rmtree(index_dir.resolve())
        index_dir.unlink()
    else:
        shutil.rmtree(index_dir)
    response = client.post("/admin/reload", headers=admin_headers)
    assert response.status_code == 409
    assert "still serving the previous index" in response.json()["detail"]
    assert "python -m index build" in response.json()["detail"]
    assert client.post("/ask", json={"question": "1414"}).status_code == 200
    assert client.get("/readyz").status_code == 200


def test_report_summarises_the_query_log(client: TestClient, admin_headers) -> None:
    pytest.importorskip("ops.report")
    client.post("/ask", json={"question": "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"})
    answer_id = client.post("/ask", json={"question": "1414 нөмірі"}).json()["answer_id"]
    client.post("/feedback", json={"answer_id": answer_id, "rating": -1, "reason": "толық емес"})
    response = client.get("/admin/report", headers=admin_headers)
    assert response.status_code == 200
    report = response.json()
    assert report["total"] == 2
    assert report["thumbs_down_count"] == 1
    assert report["thumbs_down"][0]["reason"] == "толық емес"
    assert client.get("/admin/report", headers=admin_headers, params={"since": "2999-01-01"}).json()["total"] == 0
    assert client.get("/admin/report", headers=admin_headers, params={"since": "yesterday"}).status_code == 422
