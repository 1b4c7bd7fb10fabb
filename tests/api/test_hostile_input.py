"""Hostile requests against the real app (tiny real index): huge and deep bodies, broken encodings, invisible and
direction-changing characters, markup. Each gets a 2xx or a 4xx with a JSON reason, never a 5xx, and nothing it
sends comes back as markup."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

QUESTION = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width space, non-joiner, joiner, word joiner, BOM
BIDI = "\u202e\u202d\u2066\u2067\u2068\u2069\u200f\u061c"  # overrides, isolates, RLM, Arabic letter mark


def _deep(depth: int) -> bytes:
    return b'{"question": ' + b"[" * depth + b"]" * depth + b"}"


def _is_4xx_with_reason(response) -> bool:
    return 400 <= response.status_code < 500 and "detail" in response.json()


@pytest.mark.parametrize("size", [100_000, 10 * 2**20])
def test_huge_bodies_are_refused_with_413_on_every_post(client: TestClient, size: int) -> None:
    body = b'{"question": "' + b"a" * size + b'"}'
    for path in ("/ask", "/feedback", "/admin/reload"):
        response = client.post(path, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 413, path
        assert "too large" in response.json()["detail"]


def test_a_lying_content_length_is_refused(client: TestClient) -> None:
    response = client.post("/ask", content=b"{}", headers={"content-type": "application/json", "content-length": "-1"})
    assert response.status_code == 400


@pytest.mark.parametrize("depth", [100, 5_000, 30_000])
def test_deeply_nested_json_is_a_4xx(client: TestClient, depth: int) -> None:
    for path in ("/ask", "/feedback"):
        response = client.post(path, content=_deep(depth), headers={"content-type": "application/json"})
        assert _is_4xx_with_reason(response), (path, depth, response.status_code)


@pytest.mark.parametrize(
    "body",
    [
        b'{"question": "\xff\xfe\xfd"}',  # invalid UTF-8
        b'{"question": "\xc0\xaf"}',  # overlong encoding of "/"
        b'{"question": "\xed\xa0\x80"}',  # a UTF-8-encoded surrogate
        b'{"question": "\\udc00\\ud800 1414"}',  # escaped lone surrogates, reversed pair
        b'{"question": "1414", "question": "\\u0000"}',  # duplicate key, the last one hostile
        b'{"question": 1e999}',
        b'{"answer_id": "x", "rating": 1e999}',
        b"NaN",
    ],
)
def test_broken_encodings_are_a_4xx(client: TestClient, body: bytes) -> None:
    for path in ("/ask", "/feedback"):
        response = client.post(path, content=body, headers={"content-type": "application/json; charset=utf-8"})
        assert _is_4xx_with_reason(response), (path, body, response.status_code)


@pytest.mark.parametrize(
    "body", [b'\xef\xbb\xbf{"question": "1414"}', '{"question": "1414 нөмірі"}'.encode("utf-16")]
)
def test_json_in_another_unicode_encoding_is_read_as_rfc_8259_allows(client: TestClient, body: bytes) -> None:
    response = client.post("/ask", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "q=%FF%FE",  # invalid UTF-8, percent-encoded
        "q=%ED%A0%80",  # an encoded surrogate
        "q=%00%01",
        "q=" + "%E2%80%AE" * 200,  # right-to-left overrides only
        "q=1414&q=1414&k=%FF",
        "q=1414&doc=%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "q=" + "a" * 20_000,
    ],
)
def test_hostile_query_strings_are_a_4xx(client: TestClient, query: str) -> None:
    response = client.get("/search?" + query)
    assert _is_4xx_with_reason(response), (query, response.status_code)


@pytest.mark.parametrize(
    "path",
    ["/documents/%FF", "/documents/..%2F..%2Fetc%2Fpasswd", "/documents/%00", "/view/%FF", "/view/%3Cscript%3E"],
)
def test_hostile_document_paths_are_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "<script>" not in response.text


def test_invisible_and_bidi_characters_do_not_change_the_answer(client: TestClient) -> None:
    plain = client.post("/ask", json={"question": QUESTION}).json()
    words = QUESTION.split(" ")
    hidden = (INVISIBLE[0] + " ").join(words[:3]) + " " + BIDI[0] + " ".join(words[3:]) + BIDI[-3]
    response = client.post("/ask", json={"question": hidden})
    assert response.status_code == 200
    assert response.json()["citations"][0]["doc"] == plain["citations"][0]["doc"]
    for question in (INVISIBLE * 20, BIDI * 20, INVISIBLE + BIDI + "?!"):
        response = client.post("/ask", json={"question": question})
        assert response.status_code == 422 and "empty" in response.text, repr(question)


def test_markup_in_a_question_is_never_echoed_as_markup(client: TestClient) -> None:
    script = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    for response in (
        client.post("/ask", json={"question": f"{script} 1414"}),
        client.get("/search", params={"q": f"{script} 1414"}),
        client.post("/ask", json={"question": script}),
    ):
        assert response.status_code in (200, 422)
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["x-content-type-options"] == "nosniff"


def test_hostile_headers_do_not_break_requests(client: TestClient) -> None:
    headers: dict[str, str | bytes] = {
        "X-Request-ID": "<script>alert(1)</script>",
        "X-Jauap-Session": ("\u202e" * 500).encode(),  # raw UTF-8 bytes in a header
        "X-Forwarded-For": "1.1.1.1, <script>, 999.999.999.999",
        "Accept-Language": "x" * 4000,
        "Content-Type": "application/json; charset=koi8-r",
    }
    response = client.post("/ask", content=json.dumps({"question": QUESTION}).encode(), headers=headers)
    assert response.status_code == 200
    assert response.headers["x-request-id"] != headers["X-Request-ID"]  # an insane id is replaced, not echoed


def test_feedback_reason_with_markup_and_invisible_characters_is_stored_as_text(client: TestClient) -> None:
    answer_id = client.post("/ask", json={"question": QUESTION}).json()["answer_id"]
    reason = f"<b>{BIDI}бұрыс</b>{INVISIBLE}"
    response = client.post("/feedback", json={"answer_id": answer_id, "rating": -1, "reason": reason})
    assert response.status_code == 200
    client.app.state.querylog.flush()
    [row] = client.app.state.querylog.feedback()
    assert row.reason == reason
    bad = client.post("/feedback", json={"answer_id": answer_id, "rating": -1, "reason": "x" * 1001})
    assert bad.status_code == 422
