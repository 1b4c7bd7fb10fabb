"""The target rows of a loaded index, with the filters the CLI, the API and the bot share.

`build` writes the rows into the index folder (`targets.jsonl`); an index built before that has none, and its rows
are extracted from its documents on first use (extraction is pure and takes well under a second).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
import weakref
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .models import Document
from .store import TARGETS
from .target_match import TargetIndex, keys
from .targets import TargetRow, extract_targets
from .token_states import TARGET_TOKENS, TokenRows

log = logging.getLogger(__name__)

CSV_FIELDS = ("doc", "indicator", "year", "value", "high", "value_text", "unit", "comparison", "section", "start",
              "end", "value_start", "value_end")


def extract_corpus(documents: list[Document]) -> list[TargetRow]:
    """Rows of every document; a list's section is the chunker's heading where no «Міндеті:» names it."""
    from .chunking import chunk_document

    rows: list[TargetRow] = []
    for doc in documents:
        chunks = chunk_document(doc)

        def heading_at(pos: int, chunks=chunks) -> str:
            inside = [c for c in chunks if c.start <= pos < c.end]
            return inside[0].section[-1] if inside and inside[0].section else ""

        rows.extend(extract_targets(doc, heading_at))
    return rows


def load_rows(index_dir: Path) -> list[TargetRow] | None:
    """The rows a build stored, or None when this index has no targets file (built before targets existed)."""
    path = index_dir / TARGETS
    if not path.is_file():
        return None
    try:
        with path.open(encoding="utf-8") as f:
            return [TargetRow(**json.loads(line)) for line in f if line.strip()]
    except (ValueError, TypeError) as exc:  # written by another version, or damaged: extract again
        log.warning("%s unreadable (%s): target rows are extracted from the documents", path, exc)
        return None


class TargetBook:
    """All rows, filterable by document, year and words of an indicator (any typing variant); with the statements'
    token states when the index stored them (the target gate reads them)."""

    def __init__(self, rows: Iterable[TargetRow], tokens: TokenRows | None = None) -> None:
        self.rows = list(rows)
        self.index = TargetIndex(self.rows)
        if tokens is not None and tokens.units == len(self.index.groups):  # float32 once, not on every question
            self.tokens: TokenRows | None = TokenRows(np.asarray(tokens.rows, np.float32), tokens.offsets)
        else:
            self.tokens = None

    def filter(self, doc: str | None = None, year: int | None = None, q: str | None = None) -> list[TargetRow]:
        """Rows in text order; with `q`, the indicators sharing its words, best match first."""
        rows = [r for r in self.rows if (doc is None or r.doc == doc) and (year is None or r.year == year)]
        if not q or not keys(q):
            return rows
        rank = {g: n for n, (score, g) in enumerate(self.index.scores(q)) if score > 0}
        place = {key: rank[i] for i, (key, _) in enumerate(self.index.groups) if i in rank}
        hits = [r for r in rows if (r.doc, r.start, r.end) in place]
        return sorted(hits, key=lambda r: place[(r.doc, r.start, r.end)])

    def docs(self) -> list[str]:
        return list(dict.fromkeys(r.doc for r in self.rows))


def _cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula («=…», «+…», «@…») is written as text."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "@") else value


def to_csv(rows: Iterable[TargetRow]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: _cell(v) for k, v in r.to_dict().items()})
    return out.getvalue()


_books: weakref.WeakKeyDictionary[Any, TargetBook] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def book_for(service: Any) -> TargetBook:
    """The rows of the index a service serves: its stored file, else extracted from its documents; once a service."""
    with _lock:
        book = _books.get(service)
        if book is None:
            path = getattr(getattr(service, "index", None), "path", None)
            rows = load_rows(Path(path)) if path is not None else None
            tokens = None
            if rows is None:
                documents: list[Document] = [service.document(info.id) for info in service.documents()]
                rows = extract_corpus(documents)
                log.info("no %s in the index: %d target rows extracted from its documents", TARGETS, len(rows))
            else:
                tokens = _tokens(Path(path))
            book = _books[service] = TargetBook(rows, tokens)
        return book


def _tokens(index_dir: Path) -> TokenRows | None:
    """The statements' stored token states; None (the lexical match answers) when absent or unreadable."""
    try:
        return TokenRows.load(index_dir, TARGET_TOKENS)
    except (OSError, ValueError) as exc:
        log.warning("%s token states unreadable (%s): target questions are matched by their words", index_dir, exc)
        return None
