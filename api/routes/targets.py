"""GET /targets: the programmes' target rows (indicator · year · value), filtered, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from api.deps import ServiceDep, SettingsDep, rate_limited
from api.links import base_url
from app.links import doc_titles, viewer_url
from index.errors import UnknownDocumentError
from index.target_store import book_for, to_csv

router = APIRouter(tags=["targets"], dependencies=[Depends(rate_limited)])


class TargetOut(BaseModel):
    doc: str
    title: str = Field(description="Document title in the requested language.")
    indicator: str
    year: int | None = Field(description="Target year; null when the list states none.")
    value: float
    high: float | None = Field(description="Upper end of a range («25-50 %»), else null.")
    value_text: str = Field(description="The figure as written («4,5», «0,7:1»).")
    unit: str | None = Field(description="Canonical unit: %, мың теңге, жұмыс күні, ел, балл, есе, адам …")
    comparison: str | None = Field(description='">=" (кемінде), "<=" (аспайды), "top" (алғашқы N ел) or null.')
    section: str
    start: int = Field(description="The statement the row came from: document text[start:end].")
    end: int
    value_start: int = Field(description="The «year … value unit» clause: document text[value_start:value_end].")
    value_end: int
    text: str = Field(description="The statement, exactly as in the document.")
    viewer_url: str = Field(description="Opens the document at the statement, highlighted.")


class TargetsResponse(BaseModel):
    count: int
    rows: list[TargetOut]


@router.get(
    "/targets",
    response_model=TargetsResponse,
    responses={200: {"content": {"text/csv": {}}}, 404: {"description": "Unknown document filter"}},
)
def targets(
    request: Request,
    service: ServiceDep,
    settings: SettingsDep,
    doc: Annotated[str | None, Query(description="Only rows of this document id.")] = None,
    year: Annotated[int | None, Query(ge=1900, le=2100, description="Only rows for this target year.")] = None,
    q: Annotated[str | None, Query(max_length=300, description="Indicator words, any spelling; best first.")] = None,
    lang: Annotated[str, Query(pattern="^(kk|ru)$", description="Language of document titles.")] = "kk",
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv.")] = "json",
) -> TargetsResponse | Response:
    """Target rows of the indexed programmes, each with its exact span and a viewer link."""
    names = doc_titles(service, lang)
    if doc is not None and doc not in names:
        raise UnknownDocumentError(doc)
    rows = book_for(service).filter(doc, year, q)
    if format == "csv":
        headers = {"Content-Disposition": 'attachment; filename="targets.csv"'}
        return Response("\ufeff" + to_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
    base = base_url(request, settings)
    texts = {d: service.document(d).text for d in {r.doc for r in rows}}
    out = [
        TargetOut(
            **r.to_dict(), title=names.get(r.doc, r.doc), text=texts[r.doc][r.start : r.end],
            viewer_url=viewer_url(base, r.doc, r.start, r.end),
        )
        for r in rows
    ]
    return TargetsResponse(count=len(out), rows=out)
