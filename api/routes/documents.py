"""GET /documents and /documents/{doc}: the catalogue and the exact texts citations point into."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import ServiceDep, rate_limited
from api.openapi_links import DOCUMENTS_LINKS
from api.schemas import DocumentOut, DocumentText
from index.models import DocumentInfo

router = APIRouter(tags=["documents"], dependencies=[Depends(rate_limited)])


def _info(info: DocumentInfo) -> dict:
    return {
        "id": info.id,
        "title_kk": info.title_kk,
        "title_ru": info.title_ru,
        "kind": info.kind,
        "year": info.year,
        "source": info.source,
    }


@router.get("/documents", response_model=list[DocumentOut], responses={200: {"links": DOCUMENTS_LINKS}})
def list_documents(service: ServiceDep) -> list[DocumentOut]:
    """The catalogue of indexed documents."""
    return [DocumentOut(**_info(info)) for info in service.documents()]


@router.get("/documents/{doc}", response_model=DocumentText, responses={404: {"description": "Unknown document"}})
def get_document(doc: str, service: ServiceDep) -> DocumentText:
    """One document with the text that citation offsets refer to."""
    document = service.document(doc)
    return DocumentText(**_info(document.info), text=document.text)
