"""Programme targets as data: Document text → TargetRow(doc, indicator, year, value, unit, comparison, section, span).

Pure and deterministic. A programme states its targets in lists introduced by «Нысаналы индикаторлар:» (Russian
«Целевые индикаторы:») — in the passport's table cell and after each direction's «Міндеті: …». A list is cut into
its numbered items (or «;»-separated statements), an item with a «head: label values; label values» shape into its
labelled parts, and each part into (year → value) pairs: «2017 жылы - 50 %, 2020 жылы 80 % құрауы тиіс» gives two
rows, «… үлесі - 4 %» one row without a year. `start`/`end` is the statement (item or labelled part) the row came
from — what an answer cites; `value_start`/`value_end` the «year … value unit» clause inside it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass

from .models import Document
from .target_runs import cell_start, indicator_of, run_values, runs
from .target_values import AT_MOST, YEAR, Value, value_at

EXTRACTOR_VERSION = "4"  # 2: a run of year clauses stops at a list marker; 3: lists under a bare heading;
# 4: the statements' token states are stored beside the rows (index.target_gate)

# «Нысаналы индикаторлар:», «мақсатты индикаторларға жетуге бағытталатын болады:», «Целевые индикаторы:»
ANCHOR = re.compile(
    r"(?:нысаналы|мақсатты)\s+индикатор\w*(?:[^.:\n]{0,60}:|(?=[\s\u00a0]+1\)))|"
    r"целев\w+\s+(?:индикатор|показател)\w*(?:[^.:\n]{0,60}:|(?=[\s\u00a0]+1\)))|"
    r"мынадай\s+көрсеткіштерге\s+жет\w*[^.:\n]{0,60}:",
    re.I,
)
_END = re.compile(r"Қол жеткізу жолдары|Пути достижения|\n[ \t\u00a0]*\n|\n\d+\.\s|\n\t")
_TASK = re.compile(r"(?:Міндет(?:і)?|Задача):\s*([^.]{5,300})\.\s*$")
_MARKER = re.compile(r"(?:(?<=[\s;.])|^)(\d{1,2})\)\s")
_FIRST_ITEM = re.compile(r"[\s\u00a0]*\n[\s\u00a0]*(?=1\)\s)")  # the blank lines between a bare heading and «1)»
_MAX_LIST = 4000
_TRIM = " \t\n\u00a0-–—:;,."


@dataclass(frozen=True)
class TargetRow:
    doc: str
    indicator: str  # the indicator phrase, whitespace normalised
    year: int | None  # None: the list states no year for it (the passport's «… үлесі - 4 %»)
    value: float
    high: float | None  # the upper end of a range («25-50 %»)
    value_text: str  # the figure as written («4,5», «0,7:1»)
    unit: str | None  # canonical: "%", "мың теңге", "жұмыс күні", "ел", "балл", "есе", "адам" …
    comparison: str | None  # ">=" (кемінде), "<=" (аспайды), "top" (алғашқы N елдің қатарында) or None
    section: str  # the direction's task («Міндеті: …») or the heading the list stands under
    start: int  # the statement: text[start:end]
    end: int
    value_start: int  # the «year … value unit» clause: text[value_start:value_end]
    value_end: int

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def figure(self) -> str:
        """«≥ 50 %», «≤ 3 жұмыс күні», «top 25 ел», «0,7:1»."""
        sign = {">=": "≥ ", "<=": "≤ ", "top": "top "}.get(self.comparison or "", "")
        return sign + self.value_text + (f" {self.unit}" if self.unit and self.unit != ":1" else "")

    @property
    def label(self) -> str:
        """«indicator · year · value unit» for a reply."""
        return " · ".join(p for p in (self.indicator, str(self.year) if self.year else "", self.figure) if p)


def _squash(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) without surrounding spaces, dashes and list punctuation."""
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end


def _regions(text: str) -> list[tuple[int, int, int]]:
    """(anchor start, list start, list end) of every target list. Under a bare heading («Нысаналы индикаторлар»,
    a blank line, then «1) …») the list starts at its first item: the blank line would otherwise end it at once."""
    out = []
    for m in ANCHOR.finditer(text):
        first = _FIRST_ITEM.match(text, m.end())
        lo = first.end() if first else m.end()
        end = _END.search(text, lo, lo + _MAX_LIST)
        out.append((m.start(), lo, end.start() if end else min(len(text), lo + _MAX_LIST)))
    return out


def _items(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """Numbered items 1), 2), … in order (a marker out of sequence is text), else «;»-separated statements."""
    starts, want = [], 1
    for m in _MARKER.finditer(text, lo, hi):
        if int(m.group(1)) == want:
            starts.append(m.start())
            want += 1
    if starts:
        bounds = [*starts, hi]
        items = []
        for a, b in itertools.pairwise(bounds):
            nl = text.find("\n", a, b)
            items.append(_trim(text, a, nl if nl >= 0 else b))
        return items
    pieces, pos = [], lo
    for m in re.finditer(r";", text[lo:hi]):
        pieces.append(_trim(text, pos, lo + m.start()))
        pos = lo + m.end()
    pieces.append(_trim(text, pos, hi))
    return [p for p in pieces if p[1] > p[0]]


def _target_years(text: str, lo: int, hi: int) -> list[re.Match]:
    return list(YEAR.finditer(text, lo, hi))


def _parts(text: str, lo: int, hi: int) -> list[tuple[str, int, int, int]]:
    """(head, start, end, label start) of an item's labelled parts: «үлесі: A 2017 жылы - 30 %; B 2017 жылы - 20 %».

    A «;»-piece that starts with a year continues the piece before it («2017 жылы - 65 %; 2020 жылы - 80 %»)."""
    colon = re.search(r":\s", text[lo:hi])
    if colon is None or ";" not in text[lo + colon.end() : hi] or _target_years(text, lo, lo + colon.start()):
        return [("", lo, hi, lo)]
    head_end = lo + colon.start()
    parts: list[tuple[str, int, int, int]] = []
    body = lo + colon.end()
    bounds = [body, *(body + m.end() for m in re.finditer(";", text[body:hi])), hi]
    for pos, nxt in itertools.pairwise(bounds):
        a, b = _trim(text, pos, nxt)
        if b <= a:
            continue
        if parts and YEAR.match(text, a):
            head, s, _, label = parts[-1]
            parts[-1] = (head, s, b, label)
        else:
            parts.append((text[lo:head_end], a, b, a))
    return parts or [("", lo, hi, lo)]


def _indicator(text: str, label_start: int, end: int, years: list[re.Match], value: Value | None) -> str:
    """The phrase before the first year; when the item opens with its year, the words between year and value."""
    body = re.sub(r"^\d{1,2}\)\s*", "", text[label_start:end])
    offset = label_start + (len(text[label_start:end]) - len(body))
    first = years[0].start() if years else (value.start if value else end)
    phrase = text[offset:first]
    if not years:  # «… көрсеткіші - жалпы санынан 20%»: the phrase ends at the dash before the figure
        phrase = re.split(r"\s[-–—]\s", phrase)[0]
    if not phrase.strip(_TRIM) and years:
        upto = value.start if value else end
        phrase = text[years[0].end() : upto]
    phrase = re.sub(r"\s*(?:[-–—]|алғашқы|в\s+числе\s+первых|тізімдегі)?\s*$", "", _squash(phrase).strip(_TRIM))
    return phrase.strip(_TRIM)


def _rows_of_part(doc: Document, section: str, head: str, start: int, end: int, label: int,
                  default_year: int | None) -> list[TargetRow]:
    text = doc.text
    years = [y for y in _target_years(text, start, end)]
    found: list[tuple[int | None, int, Value]] = []
    for i, y in enumerate(years):
        nxt = years[i + 1].start() if i + 1 < len(years) else end
        v, clause = value_at(text, y.end(), nxt, strict=True), y.start()
        if v is None and i == 0 and nxt > y.end():  # «2020 жылы Интернет … саны - 75 %»: the value after the phrase
            v = value_at(text, y.end(), nxt)
            clause = v.start if v else clause
        if v is not None:
            found.append((int(y.group("year")), clause, v))
    if not years:
        v = _yearless_value(text, label, end)
        if v is not None:
            found.append((default_year, v.start, v))
    if not found:
        return []
    tail = text[found[-1][2].end : end]
    at_most = bool(AT_MOST.search(tail))
    at_least = bool(re.match(r"\s*(?:төмен|кем)\s+емес", tail))
    top = any(v.comparison == "top" for _, _, v in found)
    country = any(v.unit == "ел" for _, _, v in found)
    indicator = _indicator(text, label, end, years, found[0][2])
    if head:
        head = re.sub(r"^\d{1,2}\)\s*", "", _squash(head))
        indicator = f"{head.strip(_TRIM)}: {indicator}"
    rows = []
    for year, vstart, v in found:
        comparison = v.comparison or ("<=" if at_most else ">=" if at_least else "top" if top else None)
        unit = v.unit or ("ел" if country and comparison == "top" else None)
        rows.append(TargetRow(doc.id, indicator, year, v.value, v.high, v.text, unit, comparison, section,
                              start, end, vstart, v.end))
    return rows


def _yearless_value(text: str, lo: int, hi: int) -> Value | None:
    """A statement without a year: the figure after a dash or «алғашқы», else the first one with a unit."""
    body = re.sub(r"^\d{1,2}\)\s*", "", text[lo:hi])
    lo = hi - len(body)
    for m in re.finditer(r"\s[-–—]\s*(?=\S)|алғашқы\s|в\s+числе\s+первых\s", text[lo:hi]):
        v = value_at(text, lo + m.start(), hi, strict=True)
        if v is not None:
            return v
    pos = lo
    while (v := value_at(text, pos, hi)) is not None:
        if v.unit is not None:
            return v
        pos = v.end
    return None


def _section(text: str, anchor: int, fallback: str) -> str:
    m = _TASK.search(text[max(0, anchor - 400) : anchor])
    return _squash(m.group(1)) if m else fallback


def _run_rows(doc: Document, regions: list[tuple[int, int, int]], heading_at) -> list[TargetRow]:
    """Rows of the year lists outside the indicator lists (plan tables, funding lines)."""
    text, rows, floor = doc.text, [], 0
    for run in runs(text):
        first = run[0].start()
        if any(lo <= first < hi for _, lo, hi in regions):
            continue
        found = run_values(text, run)
        if not found:
            continue
        cell, start = cell_start(text, first, 0)
        if start < floor:  # a second run in one cell: its statement starts after the first run
            start = max(cell_start(text, first, floor)[1], floor)
        head_end = re.match(r"[^\n]*", text[cell:start]).end() + cell if start > cell else cell
        indicator = indicator_of(text[cell:head_end] if start > cell else "", text[start:first])
        end = _trim(text, found[-1][2].end, found[-1][2].end)[1]
        line_end = text.find("\n", end)
        end = _trim(text, end, line_end if line_end >= 0 else len(text))[1] if line_end - end < 40 else end
        floor = end
        start = _trim(text, start, first)[0]
        for year, vstart, v in found:
            rows.append(TargetRow(doc.id, indicator, year, v.value, v.high, v.text, v.unit, v.comparison,
                                  heading_at(start), start, end, vstart, v.end))
    return rows


def extract_targets(doc: Document, heading_at: Callable[[int], str] | None = None) -> list[TargetRow]:
    """Every target row of a document, in text order. `heading_at(pos)`: the section heading at a position."""
    heading_at = heading_at or (lambda pos: "")
    text = doc.text
    rows: list[TargetRow] = []
    regions = _regions(text)
    for anchor, lo, hi in regions:
        intro = text[max(0, anchor - 200) : lo]
        intro = intro[intro.rfind(".") + 1 :]
        default = YEAR.search(intro)
        default_year = int(default.group("year")) if default and "қарай" in default.group() else None
        section = _section(text, anchor, heading_at(anchor))
        for a, b in _items(text, lo, hi):
            for head, s, e, label in _parts(text, a, b):
                rows.extend(_rows_of_part(doc, section, head, s, e, label, default_year))
    rows.extend(_run_rows(doc, regions, heading_at))
    return sorted(rows, key=lambda r: (r.start, r.value_start))
