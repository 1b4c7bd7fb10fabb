"""A folder of mixed documents with broken ones among them: every good file is indexed, every broken one is skipped
with its reason, and none stops the build (the folder is made by benchmarks/mixed_corpus.py, which also runs the
1,000-file version)."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest

from index.build import build_index
from index.documents import load_corpus
from index.service import build_service

ROOT = Path(__file__).resolve().parents[2]


def _mixed_corpus_module():
    spec = importlib.util.spec_from_file_location("mixed_corpus", ROOT / "benchmarks" / "mixed_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


REASONS = {
    "truncated.pdf": "broken PDF",
    "binary.txt": "binary content",
    "bomb.docx": "zip bomb",
    "encoding.txt": "not valid UTF-8",
    "notzip.docx": "broken DOCX",
    "empty.html": "no text found",
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    mixed = _mixed_corpus_module()
    corpus = tmp_path_factory.mktemp("mixed") / "corpus"
    broken = mixed.make_mixed_folder(corpus, 46, mixed.corpus_sentences())  # files 0-5 and 40-45 are broken
    return corpus, broken


def test_broken_files_are_skipped_with_their_reason_and_the_rest_indexes(
    folder: tuple[Path, dict[str, str]], tmp_path: Path, settings_factory
) -> None:
    corpus, broken = folder
    assert sorted(set(broken.values())) == sorted(REASONS) and len(broken) == 12
    settings = settings_factory(tmp_path, corpus)
    report = build_index(settings)
    assert set(report.skipped) == set(broken)
    for name, kind in broken.items():
        assert REASONS[kind] in report.skipped[name], (name, report.skipped[name])
    files = [p for p in corpus.iterdir() if p.is_file()]
    assert report.documents == len(files) - len(broken) == 34
    index = build_service(settings).index
    assert {p.suffix for p in files if p.name in index.documents} == {".txt", ".pdf", ".docx", ".html"}
    assert index.manifest.skipped == report.skipped


def test_an_unexpected_parser_error_skips_that_file_only(
    folder: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, _ = folder
    import index.formats

    def explode(path: Path, data: bytes) -> str:
        raise RecursionError("maximum recursion depth exceeded")  # what a deeply nested page does to a parser

    monkeypatch.setitem(index.formats._EXTRACTORS, ".html", explode)
    loaded = load_corpus(corpus)
    html = {p.name for p in corpus.glob("*.html")}
    assert {n for n in loaded.skipped if "RecursionError" in loaded.skipped[n]} == html
    assert {d.id for d in loaded.documents} and not html & {d.id for d in loaded.documents}


def test_a_docx_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    from index.formats import UnreadableDocumentError, extract_text

    path = tmp_path / "big.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", b"<w:document>" + b"0" * (8 * 2**20) + b"</w:document>")
    with pytest.raises(UnreadableDocumentError, match="zip bomb"):
        extract_text(path)


def test_utf16_text_with_its_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "unicode.txt"
    text = "Электрондық үкімет порталы 2006 жылы іске қосылды.\n"
    path.write_bytes(text.encode("utf-16"))
    [document] = load_corpus(tmp_path).documents
    assert document.text == text
