"""Presentation helpers shared by routes: titles in the asker's language, viewer links, language guess."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import Request

from api.deps import QAServiceLike
from api.schemas import CitationOut
from api.settings import ApiSettings
from index.models import Citation

_KAZAKH_LETTERS = re.compile(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")


def guess_lang(text: str) -> str | None:
    """'kk' if the text has Kazakh-only letters, 'ru' if Cyrillic without them, else unknown (for the log only)."""
    if _KAZAKH_LETTERS.search(text):
        return "kk"
    if _CYRILLIC.search(text):
        return "ru"
    return None


def titles(service: QAServiceLike, lang: str) -> dict[str, str]:
    return {info.id: info.title(lang) for info in service.documents()}


def base_url(request: Request, settings: ApiSettings) -> str:
    return (settings.public_url or str(request.base_url)).rstrip("/")


def viewer_url(base: str, doc: str, start: int, end: int) -> str:
    return f"{base}/view/{quote(doc, safe='')}?start={start}&end={end}"


def citation_out(c: Citation, names: dict[str, str], request: Request, settings: ApiSettings) -> CitationOut:
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
