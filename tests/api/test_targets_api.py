"""GET /targets through the real app: filters, JSON with exact spans and viewer links, CSV export, clear errors."""

from __future__ import annotations

import csv
import dataclasses
import io
from dataclasses import dataclass

from fastapi.testclient import TestClient

from index.models import Answer, Span
from index.target_match import TargetMatch, answer_from_targets
from index.target_store import book_for


def test_targets_json_rows_quote_the_document_exactly(client: TestClient) -> None:
    body = client.get("/targets").json()
    assert body["count"] == len(body["rows"]) >= 2
    text = client.get("/documents/egov-portal.txt").json()["text"]
    for row in body["rows"]:
        assert text[row["start"] : row["end"]] == row["text"]
        assert row["start"] <= row["value_start"] < row["value_end"] <= row["end"]
        assert row["viewer_url"].endswith(f"/view/egov-portal.txt?start={row['start']}&end={row['end']}")
    time_row = next(r for r in body["rows"] if r["unit"] == "жұмыс күні")
    assert (time_row["year"], time_row["value"], time_row["comparison"]) == (2020, 3, "<=")


def test_targets_filters_by_year_document_and_words_in_any_spelling(client: TestClient) -> None:
    assert client.get("/targets", params={"year": 2019}).json()["count"] == 0
    assert client.get("/targets", params={"year": 2020, "doc": "egov-portal.txt"}).json()["count"] == 2
    for q in ("компьютерлік сауаттылық", "компьютерлик сауаттылык", "kompüterlık sauattylyq"):
        rows = client.get("/targets", params={"q": q}).json()["rows"]
        assert rows and rows[0]["indicator"] == "компьютерлік сауаттылық деңгейі", q


def test_targets_csv_export(client: TestClient) -> None:
    response = client.get("/targets", params={"format": "csv", "year": 2020})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["indicator"] for r in rows} >= {"компьютерлік сауаттылық деңгейі"}
    assert {r["unit"] for r in rows} >= {"%", "жұмыс күні"}


def test_targets_unknown_document_and_bad_year_are_clear_errors(client: TestClient) -> None:
    assert client.get("/targets", params={"doc": "nope.txt"}).status_code == 404
    assert client.get("/targets", params={"year": "soon"}).status_code == 422
    assert client.get("/targets", params={"format": "xml"}).status_code == 422


@dataclass(frozen=True)
class TargetAnswer(Answer):
    """An Answer as the pipeline will return it once a target row answered (docs/targets.md)."""

    target: TargetMatch | None = None


class TargetService:
    """The real service whose answers carry the target match of `answer_from_targets` (the lead's wiring)."""

    def __init__(self, service) -> None:
        self._service = service

    def __getattr__(self, name: str):
        return getattr(self._service, name)

    def ask(self, question: str, top_k: int | None = None) -> Answer:
        answer = self._service.ask(question, top_k=top_k)
        match = answer_from_targets(question, book_for(self._service).index)
        if match is None:
            return answer
        text = self._service.document(match.doc).text[match.start : match.end]
        fields = {f.name: getattr(answer, f.name) for f in dataclasses.fields(Answer)}
        span = Span(match.doc, match.start, match.end, text)
        return TargetAnswer(**{**fields, "answer": span, "abstained": False, "target": match})


def test_ask_shows_the_target_rows_when_an_answer_carries_them(client: TestClient) -> None:
    plain = client.post("/ask", json={"question": "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"})
    assert plain.json()["target"] is None
    client.app.state.service = TargetService(client.app.state.service)
    body = client.post("/ask", json={"question": "2020 жылы компьютерлік сауаттылық деңгейі қанша болуы тиіс?"}).json()
    target = body["target"]
    assert [(r["indicator"], r["year"], r["value"], r["unit"]) for r in target["rows"]] == [
        ("компьютерлік сауаттылық деңгейі", 2020, 80, "%")
    ]
    assert target["label"] == "компьютерлік сауаттылық деңгейі · 2020 · 80 %"
    assert body["answer"]["text"].startswith("1) компьютерлік сауаттылық деңгейі 2020 жылы - 80 %")
    assert (body["answer"]["start"], body["answer"]["end"]) == (target["start"], target["end"])
