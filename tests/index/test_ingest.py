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


def _docx_variant(path: Path, source: Path, prolog: str, body: str) -> None:
    """`source` with its paragraph text replaced by `body` under an XML prolog of our own (a DOCTYPE)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name in src.namelist():
            data = src.read(name)
            if name == "word/document.xml":
                xml = data.decode().split("?>", 1)[1].replace("Электрондық үкімет порталы", body)
                data = (prolog + xml).encode()
            out.writestr(name, data)


def test_hostile_files_are_refused_with_a_reason_or_read_without_harm(tmp_path: Path) -> None:
    """Beyond the mixed folder's broken files: entity bombs, external entities, sparse giants, a deep page, a file
    name made of markup. Each is refused with its reason or read as plain text, and the rest indexes."""
    docx = pytest.importorskip("docx")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    good = tmp_path / "good.docx"
    document = docx.Document()
    document.add_paragraph("Электрондық үкімет порталы")
    document.save(good)
    laughs = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    ) + "]>"
    _docx_variant(corpus / "laughs.docx", good, laughs, "Электрондық &l9;")
    xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    _docx_variant(corpus / "xxe.docx", good, xxe, "Электрондық үкімет &xxe;")
    for name, head in (("huge.txt", b""), ("huge.pdf", b"%PDF-1.4\n")):
        with open(corpus / name, "wb") as f:  # sparse: 65 MB on paper, nothing on disk
            f.write(head)
            f.truncate(65 * 2**20)
    (corpus / "<img src=x onerror=alert(1)>.txt").write_text("Электрондық үкімет порталы жұмыс істейді.\n")
    deep = "<div>" * 20_000 + "Электрондық үкімет порталы" + "</div>" * 20_000
    (corpus / "deep.html").write_text(f"<html><body>{deep}</body></html>")

    loaded = load_corpus(corpus)
    assert "entity amplification" in loaded.skipped["laughs.docx"]
    assert "too large" in loaded.skipped["huge.txt"] and "too large" in loaded.skipped["huge.pdf"]
    texts = {d.id: d.text for d in loaded.documents}
    assert set(texts) == {"xxe.docx", "<img src=x onerror=alert(1)>.txt", "deep.html"}
    assert "root:" not in texts["xxe.docx"] and "Электрондық үкімет" in texts["xxe.docx"]  # no file read
    assert "Электрондық үкімет порталы" in texts["deep.html"]
