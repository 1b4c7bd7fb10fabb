"""Plain text out of the document formats agencies publish: .txt/.md, PDF, DOCX and HTML pages.

The extracted text is what gets chunked, cited and shown, so every extractor returns text whose line structure the
chunker can use (paragraphs on their own lines, table rows on one line with tab-separated cells).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from index.errors import JauapError

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".pdf", ".docx", ".html", ".htm"})

# Letters of the Kazakh and Russian Cyrillic alphabets plus the typography common in their texts: what a correctly
# guessed legacy 8-bit encoding must mostly produce.
_CYRILLIC_LETTERS = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһі")
_CYRILLIC_LETTERS |= {c.upper() for c in _CYRILLIC_LETTERS}
_PLAUSIBLE_NON_ASCII = _CYRILLIC_LETTERS | set("«»–—№“”„‘’…°±·\u00a0")
_LEGACY_ENCODINGS = ("cp1251", "kz1048")  # Windows Cyrillic and its Kazakh variant (KZ-1048)
_MIN_EVIDENCE = 20  # fewer non-ASCII characters than this cannot tell an encoding apart reliably
_MIN_PLAUSIBLE = 0.97
MAX_FILE_BYTES = 64 * 1024 * 1024  # a larger file is not a document an agency publishes: an export, an archive…
MAX_UNZIPPED_BYTES = 256 * 1024 * 1024  # a DOCX that inflates past this is a zip bomb, not a document
MAX_ZIP_RATIO = 200  # deflate rarely beats 1:20 on XML; 1:200 and above is made on purpose
_MAX_CONTROL_SHARE = 0.01  # text with more control characters than this is a binary file under a text name


class UnreadableDocumentError(JauapError):
    """A document that cannot be turned into text (corrupt, encrypted, undecodable, no text layer)."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"Cannot read {path.name}: {reason}. The file is skipped; fix or replace it and rebuild.")
        self.path = path
        self.reason = reason


def extract_text(path: Path) -> str:
    """Return the text of a supported document; raise UnreadableDocumentError when it has none to give."""
    path = Path(path)
    extractor = _EXTRACTORS.get(path.suffix.lower())
    if extractor is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnreadableDocumentError(path, f"unsupported file type {path.suffix!r} (supported: {supported})")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableDocumentError(path, f"too large ({size / 2**20:.0f} MB; the limit is "
                                                f"{MAX_FILE_BYTES / 2**20:.0f} MB)")
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableDocumentError(path, f"cannot open the file ({exc.strerror or exc})") from exc
    text = extractor(path, data)
    if not text.strip():
        hint = " (a scanned PDF without a text layer?)" if path.suffix.lower() == ".pdf" else ""
        raise UnreadableDocumentError(path, f"no text found{hint}")
    return text


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM); else Windows-1251/KZ-1048 when the bytes clearly decode to Cyrillic text."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte-order mark (Windows "Unicode")
        try:
            return _text_not_binary(data.decode("utf-16"), path)
        except UnicodeDecodeError as exc:
            raise UnreadableDocumentError(path, f"broken UTF-16 text ({exc.reason})") from exc
    try:
        return _text_not_binary(data.decode("utf-8"), path)
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if b"\0" in data[:4096]:
        raise UnreadableDocumentError(path, "binary content, not text (NUL bytes): a file under the wrong name?")
    best, best_score = None, 0.0
    for encoding in _LEGACY_ENCODINGS:
        try:
            candidate = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _plausibility(candidate)
        if score > best_score:
            best, best_score = candidate, score
    if best is not None and best_score >= _MIN_PLAUSIBLE:
        return best
    raise UnreadableDocumentError(
        path,
        f"not valid UTF-8 (byte 0x{data[utf8_error.start]:02x} at offset {utf8_error.start}) and not recognisably "
        "Windows-1251/KZ-1048; save it as UTF-8",
    )


def _text_not_binary(text: str, path: Path) -> str:
    """The text, unless control characters say it is a binary file that happens to decode."""
    sample = text[:65536]
    control = sum(1 for c in sample if ord(c) < 32 and c not in "\t\n\r\f\v")
    if sample and control / len(sample) > _MAX_CONTROL_SHARE:
        raise UnreadableDocumentError(path, "binary content, not text (control bytes): a file under the wrong name?")
    return text


def _plausibility(text: str) -> float:
    """Share of non-ASCII characters that are Kazakh/Russian letters or their usual punctuation (0 = no evidence)."""
    non_ascii = [c for c in text if ord(c) > 127]
    if len(non_ascii) < _MIN_EVIDENCE:
        return 0.0
    return sum(c in _PLAUSIBLE_NON_ASCII for c in non_ascii) / len(non_ascii)


def _plain_text(path: Path, data: bytes) -> str:
    return decode_text(data, path)


def _pdf_text(path: Path, data: bytes) -> str:
    """Pages joined by blank lines. Encrypted files open only when they need no password to read."""
    from io import BytesIO

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(BytesIO(data))
        if reader.is_encrypted and not _unlock(reader):
            raise UnreadableDocumentError(path, "the PDF is encrypted (password required)")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except UnreadableDocumentError:
        raise
    except PdfReadError as exc:
        raise UnreadableDocumentError(path, f"broken PDF ({exc})") from exc
    except Exception as exc:
        # pypdf reports damage through many exception types (ValueError, KeyError, RecursionError…); any of them
        # means this one file cannot be read, and the rest of the corpus must still index
        raise UnreadableDocumentError(path, f"broken PDF ({type(exc).__name__}: {exc})") from exc
    return "\n\n".join(p for p in pages if p) + "\n"


def _unlock(reader: object) -> bool:
    """Try the empty user password (owner-restricted files are readable by anyone)."""
    try:
        return bool(reader.decrypt(""))  # type: ignore[attr-defined]
    except Exception:  # an unsupported cipher is as good as a password here
        return False


def _docx_text(path: Path, data: bytes) -> str:
    """Paragraphs and tables in document order; a table row becomes one line of tab-separated cells."""
    from io import BytesIO

    import docx
    from docx.table import Table

    _check_zip(path, data)
    try:
        document = docx.Document(BytesIO(data))
    except Exception as exc:  # zipfile.BadZipFile, KeyError for missing parts, lxml errors…
        raise UnreadableDocumentError(path, f"broken DOCX ({type(exc).__name__}: {exc})") from exc
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_rows(block))
        elif block.text.strip():
            lines.append(block.text.strip())
    return "\n".join(lines) + "\n"


def _check_zip(path: Path, data: bytes) -> None:
    """Refuse a DOCX whose parts would inflate past the limits before any of them is inflated (a lying size in a
    header does not help a bomb: zipfile stops reading a part at its declared size)."""
    import zipfile
    from io import BytesIO

    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnreadableDocumentError(path, f"broken DOCX (not a zip archive: {exc})") from exc
    unzipped = sum(p.file_size for p in parts)
    packed = max(1, sum(p.compress_size for p in parts))
    if unzipped > MAX_UNZIPPED_BYTES or unzipped / packed > MAX_ZIP_RATIO:
        raise UnreadableDocumentError(
            path, f"a zip bomb? {packed:,} bytes would inflate to {unzipped:,} (limits: "
            f"{MAX_UNZIPPED_BYTES / 2**20:.0f} MB, ratio {MAX_ZIP_RATIO})"
        )


def _table_rows(table: object) -> list[str]:
    rows: list[str] = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a horizontally merged cell is repeated once per grid column
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        if any(cells):
            rows.append("\t".join(cells))
    return rows


def _html_text(path: Path, data: bytes) -> str:
    """Main text as a readability-style extractor sees it; the whole visible text when it finds none."""
    import trafilatura

    markup = _decode_html(data, path)
    main = trafilatura.extract(
        markup, include_comments=False, include_tables=True, include_links=False, include_images=False
    )
    if main and main.strip():
        return _tab_tables(main.strip()) + "\n"
    log.info("%s: no main text found, falling back to the visible text of the page", path.name)
    return _strip_tags(markup)


_TABLE_RULE = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")


def _tab_tables(text: str) -> str:
    """trafilatura writes tables as `| a | b |` rows under a `|---|` rule: make them tab-separated rows like DOCX."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if _TABLE_RULE.match(stripped):
            continue
        if len(stripped) > 1 and stripped.startswith("|") and stripped.endswith("|"):
            line = "\t".join(cell.strip() for cell in stripped[1:-1].split("|"))
        lines.append(line)
    return "\n".join(lines)


_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", re.IGNORECASE)


def _decode_html(data: bytes, path: Path) -> str:
    match = _META_CHARSET.search(data[:4096])
    if match and not data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode(match.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown declaration: detect instead
    return decode_text(data, path)


class _VisibleText(HTMLParser):
    """Text outside script/style/navigation, with a line break at each block element."""

    _SKIP = frozenset({"script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form"})
    _BLOCK = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "table", "ul", "ol"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _strip_tags(markup: str) -> str:
    parser = _VisibleText()
    parser.feed(markup)
    parser.close()
    lines = []
    for line in "".join(parser.parts).splitlines():
        cells = [" ".join(cell.split()) for cell in line.split("\t")]
        if any(cells):
            lines.append("\t".join(cell for cell in cells if cell))
    return "\n".join(lines) + "\n"


_EXTRACTORS: dict[str, Callable[[Path, bytes], str]] = {
    ".txt": _plain_text,
    ".md": _plain_text,
    ".pdf": _pdf_text,
    ".docx": _docx_text,
    ".html": _html_text,
    ".htm": _html_text,
}
