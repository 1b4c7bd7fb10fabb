"""OpenAPI links between operations: what a client (and a stateful fuzzer, tests/api/test_fuzz.py) can do next with
a response — rate the answer it got, open a cited document."""

from __future__ import annotations

from typing import Any

_GET_DOCUMENT = "get_document_documents__doc__get"  # FastAPI's generated operation id of GET /documents/{doc}
_FEEDBACK = "feedback_feedback_post"


def _open_document(pointer: str, what: str) -> dict[str, Any]:
    return {"operationId": _GET_DOCUMENT, "parameters": {"doc": f"$response.body#{pointer}"}, "description": what}


ASK_LINKS: dict[str, Any] = {
    "RateAnswer": {
        "operationId": _FEEDBACK,
        "requestBody": {"answer_id": "$response.body#/answer_id", "rating": -1},
        "description": "Rate this answer (a later rating of the same answer replaces it).",
    },
    "OpenFirstCitation": _open_document("/citations/0/doc", "The document the first citation quotes."),
}
SEARCH_LINKS: dict[str, Any] = {"OpenFirstResult": _open_document("/results/0/doc", "The first result's document.")}
DOCUMENTS_LINKS: dict[str, Any] = {"OpenFirstDocument": _open_document("/0/id", "The first catalogue entry's text.")}
