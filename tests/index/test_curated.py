"""Curated answers: pins located in real document text, matched through the lead's deterministic hash embedder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.curated import CuratedAnswers, CuratedFileError, CuratedMatch, locate
from index.embedders import HashEmbedder

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
DOCS = {p.name: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}
PORTAL = "egov-portal.txt"
CONTACT = "Мемлекеттік қызметтер бойынша кеңес алу үшін 1414 қысқа нөміріне хабарласуға болады."

PINS = f'''
[[pin]]
question = ["Байланыс орталығының нөмірі қандай?", "Номер контакт-центра электронного правительства"]
doc = "{PORTAL}"
quote = "{CONTACT}"

[[pin]]
question = "Портал қашан іске қосылды?"
doc = "{PORTAL}"
# copied from a viewer that re-flowed the line
quote = """«Электрондық үкімет» порталы
   2006 жылғы 12 сәуірде іске қосылды."""

[[pin]]
question = "Жоқ құжат"
doc = "no-such-file.txt"
quote = "anything"

[[pin]]
question = "Ескірген дәйексөз"
doc = "{PORTAL}"
quote = "This sentence was removed from the document."
'''


@pytest.fixture()
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture()
def curated(tmp_path: Path, embedder: HashEmbedder) -> CuratedAnswers:
    path = tmp_path / "curated.toml"
    path.write_text(PINS, encoding="utf-8")
    return CuratedAnswers.load(path, DOCS, embedder, min_similarity=0.9)


def _ask(curated: CuratedAnswers, embedder: HashEmbedder, question: str) -> CuratedMatch | None:
    return curated.match(embedder.embed_queries([question])[0])


def test_pinned_question_returns_the_exact_passage(curated: CuratedAnswers, embedder: HashEmbedder) -> None:
    match = _ask(curated, embedder, "Байланыс орталығының нөмірі қандай?")
    assert match is not None
    assert match.doc == PORTAL
    assert match.text == CONTACT == DOCS[PORTAL][match.start : match.end]
    assert match.similarity == pytest.approx(1.0, abs=1e-5)


def test_every_phrasing_of_a_pin_matches(curated: CuratedAnswers, embedder: HashEmbedder) -> None:
    match = _ask(curated, embedder, "номер контакт-центра электронного правительства?")
    assert match is not None and match.text == CONTACT
    assert match.question == "Номер контакт-центра электронного правительства"


def test_same_question_typed_without_kazakh_letters_still_matches(
    curated: CuratedAnswers, embedder: HashEmbedder
) -> None:
    match = _ask(curated, embedder, "байланыс орталыгынын номири кандай")
    assert match is not None and match.text == CONTACT


def test_unrelated_question_gets_no_pin(curated: CuratedAnswers, embedder: HashEmbedder) -> None:
    assert _ask(curated, embedder, "Интернет тарифі қанша тұрады?") is None
    assert _ask(curated, embedder, "Байланыс") is None  # sharing one word is not being the same question


def test_threshold_decides(tmp_path: Path, embedder: HashEmbedder) -> None:
    path = tmp_path / "curated.toml"
    path.write_text(PINS, encoding="utf-8")
    vec = embedder.embed_queries(["Байланыс орталығының телефон нөмірі қандай?"])[0]
    sim = float(vec @ embedder.embed_queries(["Байланыс орталығының нөмірі қандай?"])[0])
    assert 0.3 < sim < 0.99
    assert CuratedAnswers.load(path, DOCS, embedder, min_similarity=sim - 0.01).match(vec) is not None
    assert CuratedAnswers.load(path, DOCS, embedder, min_similarity=sim + 0.01).match(vec) is None


def test_reflowed_quote_is_located_with_exact_offsets(curated: CuratedAnswers, embedder: HashEmbedder) -> None:
    match = _ask(curated, embedder, "Портал қашан іске қосылды?")
    assert match is not None
    assert match.text == "«Электрондық үкімет» порталы 2006 жылғы 12 сәуірде іске қосылды."
    assert DOCS[PORTAL][match.start : match.end] == match.text


def test_broken_pins_are_reported_and_the_rest_load(curated: CuratedAnswers) -> None:
    assert len(curated) == 3  # two phrasings of the first pin + the re-flowed one
    assert len(curated.problems) == 2
    assert "no-such-file.txt" in curated.problems[0]
    assert "quote not found" in curated.problems[1]


def test_missing_file_means_no_pins(tmp_path: Path, embedder: HashEmbedder) -> None:
    curated = CuratedAnswers.load(tmp_path / "absent.toml", DOCS, embedder)
    assert len(curated) == 0
    assert curated.match(embedder.embed_queries(["Портал қашан іске қосылды?"])[0]) is None


def test_invalid_toml_is_an_error_not_silence(tmp_path: Path, embedder: HashEmbedder) -> None:
    path = tmp_path / "curated.toml"
    path.write_text('[[pin]]\nquestion = "unterminated\n', encoding="utf-8")
    with pytest.raises(CuratedFileError, match=r"curated\.toml"):
        CuratedAnswers.load(path, DOCS, embedder)


def test_locate_prefers_exact_text_and_fails_cleanly() -> None:
    text = "бір  екі\nүш төрт"
    assert locate("екі\nүш", text) == (5, 11)
    assert locate("бір екі үш", text) == (0, 11)
    assert locate("бес", text) is None


def test_match_accepts_a_row_vector(curated: CuratedAnswers, embedder: HashEmbedder) -> None:
    row = embedder.embed_queries(["Портал қашан іске қосылды?"])
    assert row.shape[0] == 1
    match = curated.match(np.asarray(row))
    assert match is not None and match.doc == PORTAL
