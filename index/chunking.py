"""Document → Chunks that follow the document's structure. Pure and deterministic.

A document is first cut into *units* — sentences, numbered list items (`1)`, `2.`), table rows — with exact
offsets; short unpunctuated lines become headings that form the section path. Units of one section are then packed
into chunks of at most `max_chars`. Units are never split across chunks (unless one is longer than a chunk), so the
sentence that answers a question always lies whole inside one chunk.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from .models import Chunk, Document

CHUNKER_VERSION = "7"

_BLANK = re.compile(r"\n[ \t\u00a0]*\n")
_LIST_START = re.compile(r"^[\t \u00a0]*(?:\d{1,2}(?:\.\d{1,2})*[.)]|[а-яa-z]\)|[-–•*])\s")
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)([.)])\s")
_TERMINAL = ".;:!?,"
_LETTER = re.compile(r"[^\W\d_]")
# Sentence ends: . ! ? (with closing quotes/brackets) followed by space and an upper-case letter, digit or quote.
_SENT_END = re.compile(r"[.!?…][»\"”')]*\s+(?=[«\"“(]?[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ0-9])")
# Inline list items: "…; 2) …", "…: 1) …", "… 2. Қазақстан …"
_INLINE_ITEM = re.compile(r"(?<=[;:.])\s+(?=\d{1,2}[.)]\s)")
_HEADING_ITEM = re.compile(r"\s+(?=\d{1,2}[.)]\s+[«\"A-ZА-ЯЁӘҒҚҢӨҰҮҺІ])")
_ABBREVIATIONS = {
    "ж", "жж", "б", "т", "млн", "млрд", "мың", "тг", "г", "гг", "др", "им", "обл", "көш", "ст", "п", "пп", "см",
    "мыс", "etc", "проф", "акад", "доц", "т.б", "т.с.с", "т.е", "т.д", "ғ", "ул", "тел", "каб", "e.g", "i.e",
}
_TABLE = re.compile(r"\t|\s\|\s|\u00a0{3,}")
_WRAP_WIDTH = 70  # lines at least this long that end mid-sentence are wrapped text (PDF dumps)


@dataclass(frozen=True)
class Unit:
    start: int
    end: int
    kind: str  # sentence | item | row | heading


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _blocks(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for m in _BLANK.finditer(text):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return [b for b in (_strip(text, s, e) for s, e in out) if b[1] > b[0]]


def _lines(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out, pos = [], start
    while pos <= end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        s, e = _strip(text, pos, stop)
        if e > s:
            out.append((s, e))
        if nl < 0:
            break
        pos = nl + 1
    return out


def _joins(text: str, prev: tuple[int, int], nxt: tuple[int, int]) -> bool:
    """Is the line break between two lines a soft wrap inside a sentence?"""
    last = text[prev[1] - 1]
    line = text[nxt[0] : nxt[1]]
    if last in _TERMINAL or _LIST_START.match(line) or _TABLE.search(line):
        return False
    if text[prev[0] : prev[1]].startswith("\t"):
        return True  # a table cell wrapped over several lines
    return line[:1].islower() or (prev[1] - prev[0]) >= _WRAP_WIDTH


def _is_abbreviation(text: str, dot: int, seg_start: int) -> bool:
    m = re.search(r"([^\W\d_]+(?:\.[^\W\d_]+)*|\d+)$", text[max(seg_start, dot - 12) : dot])
    if not m:
        return False
    token = m.group(1)
    if token.isdigit():  # "2." as an enumerator, not "2020." at a sentence end
        before = text[seg_start : dot - len(token)].rstrip()
        return len(token) <= 2 and (not before or before[-1] in ".:;")
    return token.lower() in _ABBREVIATIONS or (len(token) == 1 and token.isupper())


def _split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = {start, end}
    seg = text[start:end]
    for m in _SENT_END.finditer(seg):
        dot = start + m.start()
        if text[dot] == "." and _is_abbreviation(text, dot, start):
            continue
        cuts.add(start + m.end())
    for m in _INLINE_ITEM.finditer(seg):
        cuts.add(start + m.end())
    bounds = sorted(cuts)
    return [b for b in (_strip(text, s, e) for s, e in itertools.pairwise(bounds)) if b[1] > b[0]]


def _is_heading(line: str) -> bool:
    if len(line) > 160 or line[-1] in _TERMINAL or not _LETTER.search(line) or _TABLE.search(line):
        return False
    first = _LETTER.search(line).group()
    return bool(_NUMBERED.match(line)) or (len(line) <= 100 and first.isupper())


def _paragraphs(text: str) -> list[tuple[int, int]]:
    """Blocks, with a blank line that falls inside a wrapped sentence (PDF dumps: «… сарапшылардың \n\n35% - …»)
    read as a soft wrap: the line above fills the width and stops mid-sentence."""
    out: list[tuple[int, int]] = []
    for block in _blocks(text):
        if out:
            above, below = text[out[-1][0] : out[-1][1]], text[block[0] : block[1]]
            last = _lines(text, *out[-1])[-1]
            if (
                last[1] - last[0] >= _WRAP_WIDTH
                and text[last[1] - 1] not in _TERMINAL
                and (below[0].islower() or below[0].isdigit())  # not a new sentence, heading or name
                and not _LIST_START.match(above)  # a numbered heading ends without a stop too
                and not _LIST_START.match(below)
                and not _TABLE.search(above + below)
            ):
                out[-1] = (out[-1][0], block[1])
                continue
        out.append(block)
    return out


def _row(text: str, start: int, end: int) -> list[Unit]:
    """A table row; a cell holding a numbered list («Нысаналы индикаторлар   1) …; 2) …») gives each item a unit."""
    cuts = [start] + [m.end() for m in _INLINE_ITEM.finditer(text, start, end)] + [end]
    return [Unit(*_strip(text, a, z), "row") for a, z in itertools.pairwise(cuts)]


def split_units(text: str) -> list[Unit]:
    units: list[Unit] = []
    for b_start, b_end in _paragraphs(text):
        lines = _lines(text, b_start, b_end)
        if any(_TABLE.search(text[s:e]) for s, e in lines) and b_end - b_start <= 700:
            units.extend(_row(text, b_start, b_end))  # a table row, possibly wrapped over several lines
            continue
        groups: list[list[tuple[int, int]]] = []
        for ln in lines:
            if groups and _joins(text, groups[-1][-1], ln):
                groups[-1].append(ln)
            else:
                groups.append([ln])
        for g in groups:
            s, e = g[0][0], g[-1][1]
            line = text[s:e]
            if len(g) == 1 and _TABLE.search(line):
                units.extend(_row(text, s, e))
            elif len(g) == 1 and _is_heading(line):
                cuts = [s] + [s + m.end() for m in _HEADING_ITEM.finditer(line)] + [e]
                units.extend(Unit(*_strip(text, a, z), "heading") for a, z in itertools.pairwise(cuts))
            else:
                for a, z in _split_sentences(text, s, e):
                    kind = "item" if _LIST_START.match(text[a:z]) else "sentence"
                    units.append(Unit(a, z, kind))
    return units


def _heading_level(title: str, path: dict[int, str], previous_dotted: bool) -> int:
    """Numbered headings have fixed depths ("4." 1, "4.1." 2, "3)" 3); unnumbered ones sit under the deepest
    numbered heading (or at the top before any), and replace an unnumbered heading at the same depth."""
    m = _NUMBERED.match(title)
    if not m:
        if not path:
            return 0
        deepest = max(path)
        return deepest if not _NUMBERED.match(path[deepest]) else deepest + 1
    if m.group(2) == ")":
        return 3
    level = 1 + m.group(1).count(".")
    numbered = [k for k, v in path.items() if _NUMBERED.match(v)]
    if previous_dotted and numbered and level <= max(numbered):
        return max(numbered) + 1  # "4. Бағыттар 1. Мемлекеттік басқару …": a nested numbered heading
    return level


def _label(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= 90 else title[:87].rstrip() + "…"


def _split_long(unit: Unit, text: str, max_chars: int) -> list[Unit]:
    if unit.end - unit.start <= max_chars:
        return [unit]
    out, s = [], unit.start
    while unit.end - s > max_chars:
        cut = text.rfind(" ", s + max_chars // 2, s + max_chars)
        cut = cut if cut > s else s + max_chars
        out.append(Unit(*_strip(text, s, cut), unit.kind))
        s = cut
    out.append(Unit(*_strip(text, s, unit.end), unit.kind))
    return [u for u in out if u.end > u.start]


def chunk_document(doc: Document, max_chars: int = 600, first_id: int = 0) -> list[Chunk]:
    text = doc.text
    root = doc.info.title_kk
    path: dict[int, str] = {}
    chunks: list[Chunk] = []
    current: list[Unit] = []
    section: tuple[str, ...] = (root,)

    def flush() -> None:
        if current:
            chunks.append(
                Chunk(
                    id=first_id + len(chunks),
                    doc=doc.id,
                    start=current[0].start,
                    end=current[-1].end,
                    text=text[current[0].start : current[-1].end],
                    section=section,
                    units=tuple((u.start, u.end) for u in current),
                )
            )
            current.clear()

    def all_headings(units: list[Unit]) -> bool:
        return all(u.kind == "heading" for u in units)

    previous_dotted = False
    for unit in split_units(text):
        if unit.kind == "heading":
            if not all_headings(current) or (current and unit.end - current[0].start > max_chars):
                flush()
            title = text[unit.start : unit.end]
            level = _heading_level(title, path, previous_dotted)
            path = {k: v for k, v in path.items() if k < level}
            path[level] = _label(title)
            section = (root, *(path[k] for k in sorted(path)))
            m = _NUMBERED.match(title)
            previous_dotted = bool(m and m.group(2) == ".")
            # the heading itself stays searchable text of the section's first chunk
            current.append(unit)
            continue
        previous_dotted = False
        for piece in _split_long(unit, text, max_chars):
            if current and piece.end - current[0].start > max_chars and not all_headings(current):
                flush()
            current.append(piece)
    flush()
    return chunks
