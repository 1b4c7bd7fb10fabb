"""One index version everywhere: a replica switches to a newly published version by itself, and reports it.

A published version that cannot be loaded leaves the previous one serving, and /readyz and /metrics say so.
"""

from __future__ import annotations

import os
import shutil
import time

from fastapi.testclient import TestClient

from index.build import build_index

NEW_DOC = "Цифрлық қолтаңба (ЭЦҚ) алу үшін азамат eGov mobile қосымшасында өтінім береді. Кілт бір жыл жарамды."


def _wait_for(check, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _version(client: TestClient) -> str:
    return client.get("/healthz").json()["index_version"]


def test_a_published_index_is_served_without_a_restart(make_client, fresh_index) -> None:
    client = make_client(index_settings=fresh_index, index_watch_seconds=0.1)
    before = _version(client)
    assert before == os.path.basename(os.path.realpath(fresh_index.retrieval.index_dir))
    (fresh_index.retrieval.corpus_dir / "ecp.txt").write_text(NEW_DOC, encoding="utf-8")
    build_index(fresh_index)
    after = os.path.basename(os.path.realpath(fresh_index.retrieval.index_dir))
    assert after != before
    _wait_for(lambda: _version(client) == after)
    response = client.post("/ask", json={"question": "цифрлық қолтаңба eGov mobile"})
    assert response.json()["index_version"] == after == response.headers["x-jauap-index-version"]
    assert client.get("/documents").headers["x-jauap-index-version"] == after
    assert client.get("/readyz").json()["status"] == "ready"
    audit = client.app.state.querylog
    audit.flush()
    assert [row["index_version"] for row in audit.pin_audit()] == [before, after]


def test_a_version_that_fails_to_load_leaves_the_old_one_serving_and_says_so(make_client, fresh_index) -> None:
    client = make_client(index_settings=fresh_index, index_watch_seconds=0.1)
    before = _version(client)
    broken = fresh_index.retrieval.index_dir.parent / "index-20990101-000000-1"
    shutil.copytree(os.path.realpath(fresh_index.retrieval.index_dir), broken)
    (broken / "manifest.json").write_text("{not json", encoding="utf-8")
    link = fresh_index.retrieval.index_dir.with_name("link-tmp")
    link.symlink_to(broken.name)
    os.replace(link, fresh_index.retrieval.index_dir)

    _wait_for(lambda: client.get("/readyz").json()["status"] == "degraded")
    ready = client.get("/readyz").json()
    assert broken.name in ready["degraded"]["index"] and ready["index_version"] == before
    assert client.post("/ask", json={"question": "портал"}).json()["index_version"] == before
    metrics = client.get("/metrics").text
    assert 'jauap_degraded{part="index"} 1.0' in metrics
    assert f'jauap_index_version_info{{version="{before}"}} 1.0' in metrics
    assert 'jauap_index_reloads_total{outcome="failed"} 1.0' in metrics

    build_index(fresh_index)  # the next good version clears it
    _wait_for(lambda: client.get("/readyz").json()["status"] == "ready")
    assert _version(client) not in (before, broken.name)


def test_a_reference_kept_by_the_polling_bot_follows_the_switch(fresh_index) -> None:
    import asyncio
    from types import SimpleNamespace

    from app.live import CurrentService, LiveIndex

    live = LiveIndex(SimpleNamespace(service=None), fresh_index)
    asyncio.run(live.reload())
    service = CurrentService(live)
    assert len(service.documents()) == 3
    (fresh_index.retrieval.corpus_dir / "ecp.txt").write_text(NEW_DOC, encoding="utf-8")
    build_index(fresh_index)
    asyncio.run(live.reload(force=False))
    assert len(service.documents()) == 4 and service.index_version == live.version
