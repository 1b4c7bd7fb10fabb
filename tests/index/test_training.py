"""The answer model: fitted reproducibly, stored beside the index it was fitted for, refused for another one."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from config import Settings
from index.build import build_index
from index.evaluate import load_questions
from index.learned import MODEL_FILE, AnswerModel, ModelMismatchError
from index.service import build_service
from index.training import choose_threshold, collect, fit, folds_of, without_gold

DATA = Path(__file__).parents[1] / "data"
QUESTIONS = DATA / "questions.jsonl"


@pytest.fixture(scope="module")
def fitting(tmp_path_factory):
    """A tiny index without a model, and its questions collected once."""
    tmp = tmp_path_factory.mktemp("train")
    settings = Settings.of(
        corpus_dir=DATA / "corpus", index_dir=tmp / "index", embedder="hash", curated_file=tmp / "curated.toml",
        answer_model=False,
    )
    build_index(settings)
    service = build_service(settings)
    return settings, service, collect(service, load_questions(QUESTIONS))


def test_the_same_data_and_seed_give_the_same_model_file(fitting) -> None:
    _, service, items = fitting
    first = fit(service, items, rank=True).to_json()
    assert fit(service, items, rank=True).to_json() == first
    meta = json.loads(first)
    assert meta["index"]["embedder"] == service.manifest["embedder"] and meta["ranker"]


def test_twins_of_one_question_share_a_fold(fitting) -> None:
    _, _, items = fitting
    fold = dict(zip((it.question["id"] for it in items), folds_of(items), strict=True))
    assert fold["q1"] == fold["q2"]  # q2 is q1 typed without Kazakh letters


def test_a_fitted_model_beside_the_index_answers_and_abstains(fitting) -> None:
    settings, service, items = fitting
    model = fit(service, items, rank=True)
    (service.index.path / "answer-model.json").write_text(model.to_json(), encoding="utf-8")
    learned = build_service(settings.replace(answer_model=True))
    assert learned.model is not None and learned.model.ranker is not None
    answer = learned.ask("Порталды күн сайын қанша азамат пайдаланады?")
    assert answer.citations and 0.0 <= answer.confidence <= 1.0
    assert answer.abstained == (answer.answer is None)
    assert learned.ask("Кеңес алу үшін 2031 жылы қай нөмірге хабарласу керек?").abstain_reason == "unknown_figure"
    (service.index.path / MODEL_FILE).unlink()


def test_a_model_fitted_for_another_index_is_refused_with_the_command_that_fixes_it(fitting) -> None:
    settings, service, items = fitting
    meta = json.loads(fit(service, items).to_json())
    meta["index"]["chunker"] = "0"
    (service.index.path / MODEL_FILE).write_text(json.dumps(meta), encoding="utf-8")
    try:
        with pytest.raises(ModelMismatchError, match="python -m index train"):
            build_service(settings.replace(answer_model=True))
        # and a corrupt file says how to fit it again
        (service.index.path / MODEL_FILE).write_text("{not json", encoding="utf-8")
        with pytest.raises(Exception, match="python -m index train"):
            AnswerModel.read(service.index.path / MODEL_FILE)
    finally:
        (service.index.path / MODEL_FILE).unlink()


def test_the_threshold_keeps_wrong_refusals_within_budget() -> None:
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.2, 0.1, 0.3])
    answerable = np.array([True] * 5 + [False] * 3)
    rule = np.zeros(8, bool)
    t = choose_threshold(p, answerable, rule, budget=0.2)  # one answerable question in five may be refused
    assert ((p < t) & answerable).sum() == 1 and ((p < t) & ~answerable).sum() == 3
    rule[0] = True  # the general rule already refuses one: the model may refuse none more
    assert ((p < choose_threshold(p, answerable, rule, budget=0.2)) & answerable).sum() == 0


def test_a_question_without_its_answer_keeps_only_the_neighbours(fitting) -> None:
    _, service, items = fitting
    item = next(it for it in items if it.question["id"] == "q3")
    gold = {i for i, y in zip(item.fused.ids, item.y_rank, strict=False) if y > 0}
    masked = without_gold(service, item)
    assert gold and not masked.answerable
    assert all(not gold & set(c.ids.tolist()) for c in masked.lists)
    assert not gold & set(masked.fused.ids) and masked.fused.ids
