"""The one contract the front-ends hold the retrieval service by (`index.service.QAService` fulfils it)."""

from __future__ import annotations

from typing import Protocol

from config import Settings
from index.models import Answer, Citation, Document, DocumentInfo


class QAServiceLike(Protocol):
    """The part of `index.service.QAService` the API and the bot use."""

    settings: Settings
    manifest: dict

    def ask(self, question: str, top_k: int | None = None) -> Answer: ...
    def search(self, query: str, k: int = 10, doc: str | None = None) -> list[Citation]: ...
    def documents(self) -> list[DocumentInfo]: ...
    def document(self, doc_id: str) -> Document: ...
