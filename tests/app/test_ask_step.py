"""The one ask step: what the API and the bot both record for a question, on the real tiny index."""

from __future__ import annotations

import re

import pytest

from app.ask import QuestionTooLongError, ask_question
from index.errors import BadQuestionError
from index.models import Answer
from index.service import QAService


class Rows:
    """The query log's `log_question`, keeping its rows."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    def log_question(self, **row: object) -> None:
        self.rows.append(row)


class Memo:
    def __init__(self) -> None:
        self.items: dict[tuple[str, int | None], Answer] = {}

    def get(self, question: str, top_k: int | None) -> Answer | None:
        return self.items.get((question, top_k))

    def put(self, question: str, top_k: int | None, answer: Answer) -> None:
        self.items[(question, top_k)] = answer


def test_one_row_per_question_with_the_detected_language_and_one_id_format(service: QAService) -> None:
    log = Rows()
    kk = ask_question(service, "Электрондық үкімет порталы не береді?", channel="web", querylog=log)
    ru = ask_question(service, "Что даёт портал электронного правительства?", channel="telegram", querylog=log)
    assert (kk.lang, ru.lang) == ("kk", "ru")
    assert all(re.fullmatch(r"[0-9a-f]{32}", a.answer_id) for a in (kk, ru)) and kk.answer_id != ru.answer_id
    assert [(r["channel"], r["lang"], r["answer_id"]) for r in log.rows] == [
        ("web", "kk", kk.answer_id), ("telegram", "ru", ru.answer_id)
    ]
    assert log.rows[0]["top_doc"] == (kk.answer.citations[0].doc if kk.answer.citations else None)
    assert log.rows[0]["latency_ms"] == kk.latency_ms > 0


def test_the_askers_language_is_logged_when_the_front_end_knows_it(service: QAService) -> None:
    log = Rows()
    asked = ask_question(service, "Электрондық үкімет порталы не береді?", channel="telegram", querylog=log, lang="ru")
    assert asked.lang == "kk" and log.rows[0]["lang"] == "ru"


def test_a_cached_answer_is_served_and_still_logged(service: QAService) -> None:
    log, memo = Rows(), Memo()
    first = ask_question(service, "Портал не береді?", channel="web", querylog=log, cache=memo)
    again = ask_question(service, "Портал не береді?", channel="web", querylog=log, cache=memo)
    assert (first.cached, again.cached) == (False, True) and again.answer is first.answer
    assert len(log.rows) == 2 and log.rows[0]["answer_id"] != log.rows[1]["answer_id"]


def test_bad_questions_are_refused_before_any_search_and_never_logged(service: QAService) -> None:
    log = Rows()
    limit = service.settings.retrieval.max_question_chars
    with pytest.raises(QuestionTooLongError) as too_long:
        ask_question(service, "а" * (limit + 1), channel="web", querylog=log)
    assert (too_long.value.length, too_long.value.limit) == (limit + 1, limit)
    with pytest.raises(BadQuestionError):
        ask_question(service, "<b></b> ?!", channel="web", querylog=log)
    assert log.rows == []
