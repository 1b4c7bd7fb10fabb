"""Data that crosses the retrieval layer's boundary: chunks, hits, citations, answers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .target_match import TargetMatch


@dataclass(frozen=True)
class DocumentInfo:
    """Catalogue entry of one corpus document (no text)."""

    id: str  # file name in the corpus, e.g. "aqparatty-qazaqstan-2020.txt"
    title_kk: str
    title_ru: str
    kind: str = "document"  # programme, news, lecture, essay, …
    year: int | None = None
    source: str = ""

    def title(self, lang: str = "kk") -> str:
        return self.title_ru if lang == "ru" and self.title_ru else self.title_kk


@dataclass(frozen=True)
class Document:
    info: DocumentInfo
    text: str  # the exact text every offset refers to

    @property
    def id(self) -> str:
        return self.info.id


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: exact offsets into its document and its place in the structure."""

    id: int
    doc: str
    start: int
    end: int
    text: str  # == document.text[start:end]
    section: tuple[str, ...] = ()
    units: tuple[tuple[int, int], ...] = ()  # sentence / list item / table row offsets, for answer spans

    @property
    def section_path(self) -> str:
        """The path as cited and shown; a first heading that only repeats the document title is left out there.

        Only here: the stored `section` (embedded and indexed with the chunk, read by the answer features) keeps
        it, so that rankings and answers stay as they are.
        """
        parts = self.section
        if len(parts) > 1 and _heading_key(parts[1]) == _heading_key(parts[0]):
            parts = (parts[0], *parts[2:])
        return " › ".join(parts)


_DASHES_AND_SPACES = re.compile(r"[\s\-\u2010-\u2015]+")


def _heading_key(heading: str) -> str:
    """A heading compared without case, white space or the kind of dash («… – 2020» is «… - 2020»)."""
    return _DASHES_AND_SPACES.sub("", heading).casefold()


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float


@dataclass(frozen=True)
class Span:
    """An exact piece of a document: `text == document.text[start:end]`."""

    doc: str
    start: int
    end: int
    text: str

    def to_dict(self) -> dict:
        return {"doc": self.doc, "start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class Citation:
    doc: str
    start: int
    end: int
    text: str
    section: str
    score: float
    title: str = ""
    # character ranges (relative to `text`) of words that matched the question, for highlighting
    matches: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict:
        """The answer-contract form (../shared/eval/README.md)."""
        return {
            "doc": self.doc,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "section": self.section,
            "score": round(float(self.score), 4),
        }


# Why the documents were judged not to answer (see README, Quality):
# no passage at all · a year or code they never mention · too far in meaning and words · no figure in the unit asked
# for · no sentence carrying the concept asked about
AbstainReason = Literal["no_passages", "unknown_figure", "low_confidence", "no_amount", "concept_missing"]


@dataclass(frozen=True)
class Answer:
    question: str
    answer: Span | None
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    confidence: float = 0.0  # calibrated score the abstention threshold is applied to
    curated: bool = False  # the first citation is an operator-pinned passage
    abstain_reason: AbstainReason | None = None
    target: TargetMatch | None = None  # a programme target row answered (indicator · year · value)

    def to_dict(self) -> dict:
        """The answer-contract object (without `id`)."""
        return {
            "abstained": self.abstained,
            "answer": self.answer.to_dict() if self.answer else None,
            "citations": [c.to_dict() for c in self.citations],
        }
