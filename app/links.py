"""Links and names every front-end shows beside a passage: the viewer URL and the documents' titles."""

from __future__ import annotations

from urllib.parse import quote

from app.service import QAServiceLike


def viewer_url(base: str, doc: str, start: int, end: int) -> str:
    """The API's viewer page opened at a passage: `{base}/view/{doc}?start=…&end=…` (the name fully quoted)."""
    return f"{base.rstrip('/')}/view/{quote(doc, safe='')}?start={start}&end={end}"


def doc_titles(service: QAServiceLike, lang: str) -> dict[str, str]:
    """Document id → title in `lang`, from the service's catalogue."""
    return {info.id: info.title(lang) for info in service.documents()}
