"""GET /search (ranked passages with highlights) and the document catalogue, through the real app."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_search_finds_the_passage_and_marks_the_matching_words(client: TestClient) -> None:
    response = client.get("/search", params={"q": "1414 байланыс орталығы"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "1414 байланыс орталығы"
    top = body["results"][0]
    assert "1414" in top["text"]
    marked = [top["text"][s:e] for s, e in top["highlights"]]
    assert "1414" in marked
    for result in body["results"]:
        for s, e in result["highlights"]:
            assert 0 <= s < e <= len(result["text"])
        assert result["viewer_url"].endswith(f"/view/{result['doc']}?start={result['start']}&end={result['end']}")
        assert result["title"]


def test_search_can_be_limited_to_one_document_and_k(client: TestClient) -> None:
    body = client.get("/search", params={"q": "қызмет", "doc": "con-centres.txt", "k": 2}).json()
    assert 1 <= len(body["results"]) <= 2
    assert {r["doc"] for r in body["results"]} == {"con-centres.txt"}


def test_search_titles_in_russian(client: TestClient) -> None:
    body = client.get("/search", params={"q": "портал", "doc": "egov-portal.txt", "lang": "ru"}).json()
    assert body["results"][0]["title"] == "Портал «Электронное правительство»"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 422),
        ({"q": ""}, 422),
        ({"q": "   "}, 422),
        ({"q": "а" * 1001}, 422),
        ({"q": "a\x00"}, 422),
        ({"q": "портал", "k": 0}, 422),
        ({"q": "портал", "k": 51}, 422),
        ({"q": "портал", "k": "ten"}, 422),
        ({"q": "портал", "lang": "de"}, 422),
        ({"q": "портал", "doc": "no-such.txt"}, 404),
    ],
)
def test_bad_searches_get_4xx(client: TestClient, params: dict, status: int) -> None:
    response = client.get("/search", params=params)
    assert response.status_code == status
    assert response.json()["detail"]


def test_documents_lists_the_catalogue(client: TestClient) -> None:
    docs = client.get("/documents").json()
    by_id = {d["id"]: d for d in docs}
    assert set(by_id) == {"egov-portal.txt", "con-centres.txt", "tariffs-ru.txt"}
    portal = by_id["egov-portal.txt"]
    assert portal["title_kk"] == "«Электрондық үкімет» порталы"
    assert portal["title_ru"] == "Портал «Электронное правительство»"
    assert set(portal) == {"id", "title_kk", "title_ru", "kind", "year", "source"}


def test_document_text_is_what_citation_offsets_refer_to(client: TestClient) -> None:
    response = client.get("/documents/egov-portal.txt")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "egov-portal.txt"
    assert "1414" in body["text"]
    hit = client.get("/search", params={"q": "1414", "doc": "egov-portal.txt"}).json()["results"][0]
    assert body["text"][hit["start"] : hit["end"]] == hit["text"]


@pytest.mark.parametrize("doc", ["no-such.txt", "..%2F..%2Fetc%2Fpasswd", "%00", "egov-portal"])
def test_unknown_documents_are_404(client: TestClient, doc: str) -> None:
    response = client.get(f"/documents/{doc}")
    assert response.status_code == 404
    assert "detail" in response.json()
