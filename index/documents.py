"""Read a corpus folder into Documents: file text + catalogue entry; broken files are reported and skipped."""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import JauapError
from .models import Document, DocumentInfo

log = logging.getLogger(__name__)

CATALOG = "catalog.toml"
PLAIN_SUFFIXES = {".txt", ".md"}
_IGNORED = {CATALOG, "curated.toml", "README.md"}


@dataclass
class Corpus:
    documents: list[Document]
    skipped: dict[str, str] = field(default_factory=dict)  # file name → reason


def _first_line_title(text: str, fallback: str) -> str:
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line if len(line) <= 120 else line[:117].rstrip() + "…"
    return fallback


def load_catalog(corpus_dir: Path) -> dict[str, dict]:
    path = corpus_dir / CATALOG
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise JauapError(f"{path} is not valid TOML: {exc}") from exc


def read_text(path: Path) -> str:
    """The text every offset refers to: plain files as they are (UTF-8; else a legacy Cyrillic encoding or UTF-16
    when the bytes clearly are one), other formats through extraction. A binary file under a text name is refused."""
    if path.suffix.lower() in PLAIN_SUFFIXES:
        from .formats import MAX_FILE_BYTES, UnreadableDocumentError, decode_text

        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise UnreadableDocumentError(path, f"too large (the limit is {MAX_FILE_BYTES / 2**20:.0f} MB)")
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableDocumentError(path, f"cannot open the file ({exc.strerror or exc})") from exc
        if data.startswith(b"\xef\xbb\xbf"):
            return "\ufeff" + decode_text(data, path)  # the mark stays: offsets of texts indexed before count it
        return decode_text(data, path)
    from .formats import extract_text  # optional formats pull in heavier parsers

    return extract_text(path)


def supported(path: Path) -> bool:
    if not path.is_file() or path.name in _IGNORED or path.name.startswith("."):
        return False
    try:
        from .formats import SUPPORTED_SUFFIXES
    except ImportError:
        SUPPORTED_SUFFIXES = PLAIN_SUFFIXES
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def info_for(name: str, text: str, entry: dict) -> DocumentInfo:
    title = _first_line_title(text, name)
    return DocumentInfo(
        id=name,
        title_kk=str(entry.get("title_kk") or entry.get("title") or title),
        title_ru=str(entry.get("title_ru") or entry.get("title_kk") or title),
        kind=str(entry.get("kind", "document")),
        year=int(entry["year"]) if entry.get("year") else None,
        source=str(entry.get("source", "")),
    )


def load_corpus(corpus_dir: Path) -> Corpus:
    if not corpus_dir.is_dir():
        raise JauapError(f"Corpus folder {corpus_dir} does not exist.")
    catalog = load_catalog(corpus_dir)
    docs: list[Document] = []
    skipped: dict[str, str] = {}
    for path in sorted(corpus_dir.iterdir()):
        if not supported(path):
            continue
        try:
            text = read_text(path)
        except JauapError as exc:
            skipped[path.name] = str(exc)
            log.warning("skipped %s: %s", path.name, exc)
            continue
        except (Exception, RecursionError) as exc:  # a parser's own bug on one odd file must not stop the others
            skipped[path.name] = f"cannot read {path.name}: {type(exc).__name__}: {exc}"[:500]
            log.warning("skipped %s: %s: %s", path.name, type(exc).__name__, exc)
            continue
        if not text.strip():
            skipped[path.name] = "no text"
            log.warning("skipped %s: no text", path.name)
            continue
        docs.append(Document(info_for(path.name, text, catalog.get(path.name, {})), text))
    if not docs:
        raise JauapError(f"No readable documents in {corpus_dir}.")
    return Corpus(docs, skipped)
