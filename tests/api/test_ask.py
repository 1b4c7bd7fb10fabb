"""POST /ask through the real app: the contract object, ids, titles, viewer links, and 4xx for every bad input."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

QUESTION = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"


def _doc_text(client: TestClient, doc: str) -> str:
    response = client.get(f"/documents/{doc}")
    assert response.status_code == 200
    return response.json()["text"]


def test_ask_returns_the_contract_object_with_id_titles_and_viewer_links(client: TestClient) -> None:
    response = client.post("/ask", json={"question": QUESTION})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "answer_id", "abstained", "answer", "citations", "confidence", "curated", "abstain_reason", "index_version",
        "target",
    }  # fmt: skip
    assert body["index_version"].startswith("index-")  # the published version folder (index/store.py)
    assert body["target"] is None  # set only when a programme target row answered (docs/targets.md)
    assert len(body["answer_id"]) == 32
    assert body["abstained"] is False and body["abstain_reason"] is None
    answer = body["answer"]
    assert set(answer) == {"doc", "start", "end", "text"}
    assert "25 000" in answer["text"]
    assert _doc_text(client, answer["doc"])[answer["start"] : answer["end"]] == answer["text"]
    assert 1 <= len(body["citations"]) <= 10
    catalogue = {d["id"]: d for d in client.get("/documents").json()}
    for c in body["citations"]:
        assert set(c) == {"doc", "start", "end", "text", "section", "score", "title", "viewer_url"}
        assert _doc_text(client, c["doc"])[c["start"] : c["end"]] == c["text"]
        assert len(c["text"]) <= 2000
        assert c["title"] == catalogue[c["doc"]]["title_kk"]
        assert c["viewer_url"] == f"http://testserver/view/{c['doc']}?start={c['start']}&end={c['end']}"
    scores = [c["score"] for c in body["citations"]]
    assert scores == sorted(scores, reverse=True)


def test_an_abstained_answer_says_why_and_keeps_the_closest_passages(client: TestClient) -> None:
    body = client.post("/ask", json={"question": "2031 жылы порталды күн сайын қанша азамат пайдаланады?"}).json()
    assert body["abstained"] is True and body["answer"] is None and body["citations"]
    assert body["abstain_reason"] == "unknown_figure"


def test_each_answer_gets_its_own_id(client: TestClient) -> None:
    ids = {client.post("/ask", json={"question": QUESTION}).json()["answer_id"] for _ in range(3)}
    assert len(ids) == 3


def test_repeated_questions_are_served_from_the_cache_with_fresh_ids(client: TestClient) -> None:
    first = client.post("/ask", json={"question": QUESTION}).json()
    second = client.post("/ask", json={"question": QUESTION}).json()
    client.post("/ask", json={"question": QUESTION, "top_k": 3})  # another top_k is another entry
    assert first["answer_id"] != second["answer_id"]
    assert {k: v for k, v in first.items() if k != "answer_id"} == {k: v for k, v in second.items() if k != "answer_id"}
    assert "jauap_answer_cache_hits_total 1.0" in client.get("/metrics").text
    querylog = client.app.state.querylog
    querylog.flush()
    assert len(querylog.questions()) == 3  # every request is still logged


def test_the_cache_can_be_turned_off(make_client) -> None:
    client = make_client(answer_cache_size=0)
    for _ in range(2):
        client.post("/ask", json={"question": QUESTION})
    assert "jauap_answer_cache_hits_total 0.0" in client.get("/metrics").text


def test_titles_follow_the_requested_language(client: TestClient) -> None:
    body = client.post("/ask", json={"question": QUESTION, "lang": "ru"}).json()
    catalogue = {d["id"]: d for d in client.get("/documents").json()}
    assert body["citations"]
    for c in body["citations"]:
        assert c["title"] == (catalogue[c["doc"]]["title_ru"] or catalogue[c["doc"]]["title_kk"])
    assert any(c["title"] == "Портал «Электронное правительство»" for c in body["citations"])


def test_top_k_limits_citations(client: TestClient) -> None:
    body = client.post("/ask", json={"question": QUESTION, "top_k": 2}).json()
    assert 1 <= len(body["citations"]) <= 2


def test_public_url_setting_makes_viewer_links_absolute_to_it(make_client) -> None:
    client = make_client(public_url="https://jauap.example.kz/")
    body = client.post("/ask", json={"question": QUESTION}).json()
    assert body["citations"][0]["viewer_url"].startswith("https://jauap.example.kz/view/")


def test_a_question_at_the_length_limit_is_accepted_and_one_more_character_is_not(client: TestClient) -> None:
    base = QUESTION + " "
    at_limit = (base * 100)[:1000]
    assert client.post("/ask", json={"question": at_limit}).status_code == 200
    response = client.post("/ask", json={"question": at_limit + "а"})
    assert response.status_code == 422
    assert "1000" in response.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"question": ""}, "at least 1 character"),
        ({"question": "   \n "}, "must not be empty"),
        ({"question": "а" * 10_000}, "too long"),
        ({"question": 42}, "valid string"),
        ({"question": ["a"]}, "valid string"),
        ({"question": None}, "valid string"),
        ({}, "Field required"),
        ({"question": "a\x00b"}, "control characters"),
        ({"question": "bell\x07"}, "control characters"),
        ({"question": "esc\x1b[31m"}, "control characters"),
        ({"question": QUESTION, "top_k": 0}, "greater than or equal to 1"),
        ({"question": QUESTION, "top_k": 11}, "less than or equal to 10"),
        ({"question": QUESTION, "top_k": "many"}, "valid integer"),
        ({"question": QUESTION, "lang": "en"}, "'kk' or 'ru'"),
    ],
)
def test_bad_questions_get_422_with_a_clear_message(client: TestClient, payload: dict, fragment: str) -> None:
    response = client.post("/ask", json=payload)
    assert response.status_code == 422
    assert fragment in json.dumps(response.json(), ensure_ascii=False)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"question": "\\ud800"}', "application/json"),  # lone surrogate
        (b"\xff\xfe\x00\x01binary", "application/json"),
        (b'{"question": "unterminated', "application/json"),
        (b"question=hello", "application/x-www-form-urlencoded"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"[1, 2, 3]", "application/json"),
        (b"", "application/json"),
    ],
)
def test_malformed_bodies_get_4xx_never_500(client: TestClient, content: bytes, content_type: str) -> None:
    response = client.post("/ask", content=content, headers={"content-type": content_type})
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


def test_oversized_body_gets_413(client: TestClient) -> None:
    response = client.post("/ask", content=b'{"question": "' + b"a" * 70_000 + b'"}')
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


def test_oversized_streamed_body_without_length_gets_413(client: TestClient) -> None:
    def chunks():
        yield b'{"question": "'
        for _ in range(70):
            yield b"a" * 1000
        yield b'"}'

    response = client.post("/ask", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_wrong_method_and_unknown_path_are_4xx(client: TestClient) -> None:
    assert client.get("/ask").status_code == 405
    assert client.get("/no-such-endpoint").status_code == 404


def test_validation_errors_do_not_echo_the_input(client: TestClient) -> None:
    response = client.post("/ask", json={"question": "ЖСН 880101300123\x00"})
    assert response.status_code == 422
    assert "880101300123" not in response.text
