"""Answers kept in the shared (Redis) cache come back as the same dataclasses, programme target rows included."""

from __future__ import annotations

from api.routes.ask import target_out
from app.shared import answer_from_json, answer_to_json
from index.models import Answer, Citation, Span
from index.target_match import TargetMatch
from index.targets import TargetRow


def test_an_answer_with_a_target_row_survives_the_shared_cache() -> None:
    """Regression (soak on the real index): a repeated question answered from Redis had its target as a dict, and
    /ask failed with 500 ('dict' object has no attribute 'rows')."""
    row = TargetRow(doc="d.txt", indicator="электрондық үкімет қызметтерінің үлесі", year=2020, value=80.0, high=None,
                    value_text="80", unit="%", comparison=None, section="Міндеті", start=10, end=60, value_start=40,
                    value_end=58)  # fmt: skip
    answer = Answer(
        question="2020 жылы үлесі қанша?",
        answer=Span(doc="d.txt", start=10, end=60, text="x" * 50),
        citations=[Citation(doc="d.txt", start=0, end=80, text="y" * 80, section="1.", score=0.5, matches=((1, 3),))],
        confidence=0.9,
        target=TargetMatch(rows=(row,), doc="d.txt", start=10, end=60, score=0.8),
    )
    again = answer_from_json(answer_to_json(answer))
    assert again == answer
    out = target_out(again.target)
    assert out is not None and out.rows[0].value_text == "80"
