"""GET /search: ranked passages with the matching words marked, for operators' tools."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.deps import ServiceDep, SettingsDep, rate_limited
from api.links import citation_out
from api.openapi_links import SEARCH_LINKS
from api.schemas import QuestionText, SearchResponse, SearchResult
from app.links import doc_titles
from index.errors import BadQuestionError, UnknownDocumentError

router = APIRouter(tags=["search"], dependencies=[Depends(rate_limited)])


@router.get(
    "/search",
    response_model=SearchResponse,
    responses={200: {"links": SEARCH_LINKS}, 404: {"description": "Unknown document filter"}},
)
def search(
    request: Request,
    service: ServiceDep,
    settings: SettingsDep,
    q: Annotated[QuestionText, Query(min_length=1, description="Search words (same limit as a question).")],
    doc: Annotated[str | None, Query(description="Only passages of this document id.")] = None,
    k: Annotated[int, Query(ge=1, le=50, description="Number of passages.")] = 10,
    lang: Annotated[str, Query(pattern="^(kk|ru)$", description="Language of document titles.")] = "kk",
) -> SearchResponse:
    """Find passages for a query, optionally within one document."""
    limit = service.settings.retrieval.max_question_chars
    if len(q) > limit:
        raise BadQuestionError(f"The query is too long: {len(q)} characters (limit {limit}).")
    names = doc_titles(service, lang)
    if doc is not None and doc not in names:
        raise UnknownDocumentError(doc)
    results = []
    for c in service.search(q, k=k, doc=doc):
        out = citation_out(c, names, request, settings)
        results.append(SearchResult(**out.model_dump(), highlights=[(s, e) for s, e in c.matches]))
    return SearchResponse(query=q, results=results)
