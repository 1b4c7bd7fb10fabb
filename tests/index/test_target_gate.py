"""The target gate: which statement a question's tokens match, its features, when it fires, how it is fitted and
stored. Token states are small hand-made unit vectors here; the real encoder's are in tests/quality."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_target_match import DOC, TEXT  # the same four-item list (tests/index is on the path)

from index.learned import BUNDLED, AnswerModel
from index.logistic import Logistic
from index.target_gate import FEATURES, TargetGate, candidate
from index.target_match import TargetIndex, statement_spans
from index.target_training import NEVER, GateRow, fit_gate
from index.target_values import units_named
from index.targets import extract_targets
from index.token_states import TokenRows

ROWS = extract_targets(DOC)
INDEX = TargetIndex(ROWS)
DIM = len(INDEX.groups) + 1


def axis(k: int) -> np.ndarray:
    v = np.zeros(DIM, np.float32)
    v[k] = 1.0
    return v


# statement k's tokens point along axis k; a question "about" statement k has its tokens there too
TOKENS = TokenRows.of([np.stack([axis(k), axis(DIM - 1)]) for k in range(len(INDEX.groups))], DIM)
SAID = {TEXT[s:e][:4]: k for k, (_, s, e) in enumerate(statement_spans(ROWS))}


def about(k: int) -> np.ndarray:
    return np.stack([axis(k), axis(k), axis(DIM - 1)])


def column(c, name: str) -> float:
    return float(c.x[0, FEATURES.index(name)])


def test_statements_follow_the_index_groups_order() -> None:
    assert statement_spans(ROWS) == [g for g, _ in INDEX.groups] and len(SAID) == 4


def test_the_best_matching_statement_is_the_candidate_with_its_features() -> None:
    k = SAID["4) х"]
    _, s, e = INDEX.groups[k][0]
    c = candidate("Компьютерді меңгергендердің үлесі қанша пайызға жетуі тиіс?", about(k), INDEX, TOKENS, 0.2,
                  ("p.txt", s + 3, e - 3))
    assert c is not None and c.group == k and c.x.shape == (1, len(FEATURES))
    assert column(c, "match") == pytest.approx(1.0) and column(c, "margin") == pytest.approx(1 - 1 / 3, abs=1e-6)
    assert column(c, "match_z") > 1
    flags = ("target_cue", "figure_cue", "unit_agrees", "answer_inside")
    assert [column(c, f) for f in flags] == [1, 1, 1, 1]
    assert column(c, "year_agrees") == 0 and column(c, "answer_probability") == pytest.approx(0.2)
    other = candidate("Телесериалдар саны неше болды?", about(SAID["3) о"]), INDEX, TOKENS, 0.9, None)
    assert other is not None and [column(other, f) for f in flags] == [0, 1, 0, 0]


def test_a_named_year_leaves_out_statements_without_a_target_for_it() -> None:
    # the question's tokens match statement 1 (2020 only) best, but it asks for 2017: statements 2-4 have 2017
    k = SAID["1) ұ"]
    c = candidate("2017 жылы қанша болуы тиіс?", about(k), INDEX, TOKENS, 0.5, None)
    assert c is not None and c.group != k and 2017 in INDEX.years[c.group] and column(c, "year_agrees") == 1


def test_no_states_no_candidate() -> None:
    assert candidate("қанша?", None, INDEX, TOKENS, 0.5, None) is None
    assert candidate("қанша?", about(0), INDEX, None, 0.5, None) is None
    assert candidate("қанша?", about(0), TargetIndex([]), TOKENS, 0.5, None) is None


def gate(threshold: float) -> TargetGate:
    """A gate that trusts the match alone: p = sigmoid(10 · (match − 0.5))."""
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("match")] = 10.0
    return TargetGate(Logistic(np.full(len(FEATURES), 0.5), np.ones(len(FEATURES)), coef, 0.0, threshold))


def test_the_gate_fires_at_its_threshold_with_the_asked_years_rows() -> None:
    k = SAID["2) э"]
    question = "2020 жылы ұтқыр қызметтердің үлесі қанша болуы тиіс?"
    c = candidate(question, about(k), INDEX, TOKENS, 0.1, None)
    m = gate(0.9).match(question, INDEX, c)
    assert m is not None and (m.doc, m.start, m.end) == INDEX.groups[k][0] and [r.value for r in m.rows] == [40]
    assert m.score > 0.99
    assert gate(NEVER).match(question, INDEX, c) is None
    half = np.stack([axis(k), axis(DIM - 2)])  # half the question matches: p = 0.5 at best
    assert gate(0.9).match(question, INDEX, candidate(question, half, INDEX, TOKENS, 0.1, None)) is None
    assert gate(0.9).match(question, INDEX, None) is None


def test_a_gate_round_trips_and_one_with_other_features_is_dropped() -> None:
    g = TargetGate(gate(0.7).model, {"out_of_fold": {"fired": 3}})
    back = TargetGate.from_dict(json.loads(json.dumps(g.to_dict())))
    assert back is not None and back.meta == g.meta and back.model.threshold == 0.7
    np.testing.assert_array_equal(back.model.coef, g.model.coef)
    assert TargetGate.from_dict({**g.to_dict(), "features": ["match"]}) is None
    assert TargetGate.from_dict(None) is None


def test_the_shipped_model_carries_a_fitted_gate(tmp_path) -> None:
    model = AnswerModel.read(BUNDLED)
    assert model.target_gate is not None and 0 < model.target_gate.model.threshold < 1
    assert model.target_gate.meta["out_of_fold"]["lost"] <= model.target_gate.meta["out_of_fold"]["gained"]
    older = json.loads(BUNDLED.read_text(encoding="utf-8"))
    del older["target_gate"]  # a model file written before the gate: the word match answers target questions
    (tmp_path / "m.json").write_text(json.dumps(older), encoding="utf-8")
    assert AnswerModel.read(tmp_path / "m.json").target_gate is None


def rows_where(match: np.ndarray, right: np.ndarray, gain: np.ndarray) -> list[GateRow]:
    x = np.zeros((len(match), len(FEATURES)))
    x[:, 0] = match
    return [GateRow(x[i : i + 1], bool(right[i]), int(gain[i])) for i in range(len(match))]


def test_fitting_sets_the_threshold_where_firing_gains_out_of_fold() -> None:
    rng = np.random.default_rng(0)
    match = rng.uniform(0, 1, 200)
    right = match > 0.6
    gain = np.where(right, rng.integers(0, 2, 200), -1)  # right: a gain or no change; wrong: a loss
    fold = np.arange(200) % 5
    fitted = fit_gate(rows_where(match, right, gain), fold)
    assert fitted is not None and 0.05 <= fitted.model.threshold < 1
    assert fitted.meta["out_of_fold"]["gained"] > fitted.meta["out_of_fold"]["lost"]
    p = np.array([fitted.model.probability(np.array([[m, *[0] * (len(FEATURES) - 1)]])) for m in (0.2, 0.95)])
    assert p[0] < fitted.model.threshold <= p[1]
    never = fit_gate(rows_where(match, right, -np.ones(200)), fold)  # firing only ever loses
    assert never is not None and never.model.threshold == NEVER and never.meta["out_of_fold"]["fired"] == 0
    assert fit_gate([GateRow(None, False, 0)] * 3, np.arange(3)) is None  # no statement states: no gate


def test_units_a_question_names() -> None:
    assert units_named("2020 жылы қанша пайызға жетуі тиіс?") == {"%"}
    assert units_named("Сколько рабочих дней?") == {"жұмыс күні", "күн"}
    assert units_named("Қанша теңге төлеу керек?") == {"теңге"}
    assert units_named("Портал қашан ашылды?") == set()
