"""The API's rendering of a citation: the asker's titles, and viewer links on this server's public URL."""

from __future__ import annotations

from fastapi import Request

from api.schemas import CitationOut
from app.links import viewer_url
from config import Settings
from index.models import Citation


def base_url(request: Request, settings: Settings) -> str:
    return (settings.api.public_url or str(request.base_url)).rstrip("/")


def citation_out(c: Citation, names: dict[str, str], request: Request, settings: Settings) -> CitationOut:
    return CitationOut(
        doc=c.doc,
        start=c.start,
        end=c.end,
        text=c.text,
        section=c.section,
        score=round(float(c.score), 4),
        title=names.get(c.doc) or c.title or c.doc,
        viewer_url=viewer_url(base_url(request, settings), c.doc, c.start, c.end),
    )
