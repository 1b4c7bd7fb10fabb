"""Request and response models of the HTTP API (the answer object follows ../shared/eval/README.md)."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from index.models import AbstainReason

MAX_QUESTION_CHARS_DOC = "at most JAUAP_MAX_QUESTION_CHARS characters (default 1,000)"


def reject_control_chars(value: str) -> str:
    """Control characters (other than tab and newlines) and lone surrogates are never part of a real question."""
    for ch in value:
        if ch in "\t\n\r":
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            raise ValueError("control characters are not allowed")
        if category == "Cs":
            raise ValueError("invalid Unicode (lone surrogate)")
    return value


def reject_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


CleanText = Annotated[str, AfterValidator(reject_control_chars)]
QuestionText = Annotated[str, AfterValidator(reject_control_chars), AfterValidator(reject_blank)]


class AskRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"question": "«Электрондық үкімет» порталын күн сайын қанша адам пайдаланады?"}]
        }
    )

    question: QuestionText = Field(min_length=1, description=f"The citizen's question, {MAX_QUESTION_CHARS_DOC}.")
    lang: Literal["kk", "ru"] | None = Field(None, description="Interface language: document titles in it.")
    top_k: int | None = Field(None, ge=1, le=10, description="Citations to return (default JAUAP_TOP_K).")


class SpanOut(BaseModel):
    doc: str = Field(description="Corpus file name.")
    start: int = Field(description="Character offset into the document text.")
    end: int
    text: str = Field(description="Exactly document_text[start:end].")


class CitationOut(SpanOut):
    section: str
    score: float
    title: str = Field(description="Document title in the requested language.")
    viewer_url: str = Field(description="Page that opens the document at this passage, highlighted.")


class TargetRowOut(BaseModel):
    indicator: str
    year: int | None
    value: float
    high: float | None = None
    value_text: str = Field(description="The figure as written.")
    unit: str | None
    comparison: str | None = Field(description='">=", "<=", "top" or null.')
    value_start: int = Field(description="The «year … value unit» clause in the document text.")
    value_end: int


class TargetAnswerOut(BaseModel):
    """The programme target rows an answer was taken from (see docs/targets.md)."""

    rows: list[TargetRowOut]
    label: str = Field(description="«indicator · year · value unit; …» for display.")
    doc: str
    start: int = Field(description="The statement cited as the answer.")
    end: int


class AskResponse(BaseModel):
    answer_id: str = Field(description="Pass to POST /feedback to rate this answer.")
    abstained: bool = Field(description="True when the documents do not answer the question.")
    answer: SpanOut | None = Field(description="The sentence that answers; null when abstaining.")
    citations: list[CitationOut] = Field(description="Supporting passages, best first (closest ones if abstained).")
    confidence: float = Field(
        description="Closeness of the best sentence in meaning and words; below JAUAP_ABSTAIN_BELOW the answer "
        "abstains, and other checks may abstain above it (see abstain_reason)."
    )
    curated: bool = Field(False, description="The first citation is a passage pinned by operators.")
    abstain_reason: AbstainReason | None = Field(
        None,
        description="Why the documents were judged not to answer: no_passages, unknown_figure (a year or code they "
        "never mention), low_confidence, no_amount (no figure in the unit asked for), concept_missing (no sentence "
        "carries what is asked). Null when answered.",
    )
    index_version: str | None = Field(None, description="The published index version that answered.")
    target: TargetAnswerOut | None = Field(
        None, description="When a programme target answered: its rows (indicator · year · value). Null otherwise."
    )


class SearchResult(CitationOut):
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) ranges, relative to `text`, of words matching the query."
    )


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult]


class DocumentOut(BaseModel):
    id: str
    title_kk: str
    title_ru: str
    kind: str
    year: int | None
    source: str


class DocumentText(DocumentOut):
    text: str = Field(description="The text every citation offset refers to.")


class FeedbackRequest(BaseModel):
    answer_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="From the POST /ask response.")
    rating: Literal[1, -1] = Field(description="1 = helpful, -1 = not helpful.")
    reason: CleanText | None = Field(None, max_length=1000, description="Optional free text (redacted when stored).")


class FeedbackResponse(BaseModel):
    answer_id: str
    rating: Literal[1, -1]
    status: Literal["recorded"] = "recorded"


class Health(BaseModel):
    status: str
    index_version: str | None = None


class Readiness(BaseModel):
    status: Literal["ready", "degraded"]
    documents: int
    embedder: str
    index_version: str | None = None
    engines: dict[str, str] = Field(default_factory=dict, description="Which engine holds the log and shared state.")
    degraded: dict[str, str] = Field(default_factory=dict, description="Part → why it runs degraded.")


class ReloadResponse(BaseModel):
    status: Literal["reloaded"]
    documents: int
    embedder: str


class ErrorResponse(BaseModel):
    detail: str | list[dict]
