"""Operator-pinned passages: a question close enough to a pinned one gets the approved passage first.

The pins live in a small TOML file (default `corpus/curated.toml`) so an operator can review them in a diff:

    [[pin]]
    question = "ХҚКО қалай жұмыс істейді?"          # or a list of phrasings: question = ["…", "…"]
    doc = "con-centres.txt"                          # corpus file name
    quote = "exact text copied from the document"    # located in the text to get the offsets

A quote is matched exactly, else with any run of whitespace standing for any other (text copied from a viewer or a
PDF often re-flows lines). A pin whose document or quote cannot be found is reported and skipped, so one stale pin
never takes the service down.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import JauapError

log = logging.getLogger(__name__)

DEFAULT_MIN_SIMILARITY = 0.9


class QueryEmbedder(Protocol):
    """The part of `index.embedders.Embedder` that pins need."""

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


class CuratedFileError(JauapError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"Curated answers file {path} is invalid: {reason}")


@dataclass(frozen=True)
class Pin:
    """One approved passage: exact offsets into the document text, like any citation."""

    question: str
    doc: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class CuratedMatch:
    doc: str
    start: int
    end: int
    text: str
    similarity: float
    question: str  # the pinned phrasing that matched


@dataclass
class CuratedAnswers:
    pins: list[Pin] = field(default_factory=list)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))  # one row per pin
    min_similarity: float = DEFAULT_MIN_SIMILARITY
    problems: list[str] = field(default_factory=list)  # skipped entries, for the build report and the logs

    def __len__(self) -> int:
        return len(self.pins)

    @classmethod
    def load(
        cls,
        path: Path,
        documents: dict[str, str],
        embedder: QueryEmbedder,
        min_similarity: float = DEFAULT_MIN_SIMILARITY,
    ) -> CuratedAnswers:
        """Read the pins, locate each quote in `documents` (doc id → text) and embed the pinned questions once.

        A missing file means no pins; a file that is not valid TOML is an error (silently ignoring an operator's
        edit would be worse than refusing to start).
        """
        path = Path(path)
        if not path.exists():
            return cls(min_similarity=min_similarity)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise CuratedFileError(path, str(exc)) from exc
        entries = data.get("pin", [])
        if not isinstance(entries, list):
            raise CuratedFileError(path, "pins must be written as [[pin]] tables")
        pins: list[Pin] = []
        problems: list[str] = []
        for number, entry in enumerate(entries, start=1):
            try:
                pins.extend(_resolve(entry, documents))
            except ValueError as exc:
                problems.append(f"{path.name} pin #{number}: {exc}; skipped")
        for problem in problems:
            log.warning("%s", problem)
        vectors = embedder.embed_queries([p.question for p in pins]) if pins else np.zeros((0, 0), np.float32)
        log.info("loaded %d curated pins from %s", len(pins), path)
        return cls(pins, np.asarray(vectors, np.float32), min_similarity, problems)

    def match(self, question_vec: np.ndarray) -> CuratedMatch | None:
        """The pin most similar to the question, when at least `min_similarity` (cosine of normalised vectors)."""
        if not self.pins:
            return None
        query = np.asarray(question_vec, np.float32).reshape(-1)
        similarities = self.vectors @ query
        best = int(np.argmax(similarities))
        similarity = float(similarities[best])
        if similarity < self.min_similarity:
            return None
        pin = self.pins[best]
        return CuratedMatch(pin.doc, pin.start, pin.end, pin.text, similarity, pin.question)


def _resolve(entry: object, documents: dict[str, str]) -> list[Pin]:
    """One TOML entry → one Pin per phrasing of its question; ValueError says what is wrong with it."""
    if not isinstance(entry, dict):
        raise ValueError("not a table")
    questions = entry.get("question")
    if isinstance(questions, str):
        questions = [questions]
    if not questions or not all(isinstance(q, str) and q.strip() for q in questions):
        raise ValueError("'question' must be a non-empty string or list of strings")
    doc, quote = entry.get("doc"), entry.get("quote")
    if not isinstance(doc, str) or not isinstance(quote, str) or not quote.strip():
        raise ValueError("'doc' and 'quote' must be non-empty strings")
    if doc not in documents:
        raise ValueError(f"document {doc!r} is not in the corpus")
    text = documents[doc]
    span = locate(quote, text)
    if span is None:
        raise ValueError(f"quote not found in {doc}: {quote[:60]!r}")
    start, end = span
    return [Pin(q.strip(), doc, start, end, text[start:end]) for q in questions]


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Offsets of `quote` in `text`: exact first, then with whitespace runs matching any whitespace."""
    quote = quote.strip()
    start = text.find(quote)
    if start >= 0:
        return start, start + len(quote)
    pattern = r"\s+".join(re.escape(word) for word in quote.split())
    found = re.search(pattern, text)
    return (found.start(), found.end()) if found else None
