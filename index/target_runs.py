"""Year lists outside the indicator lists: plan tables and funding lines («2007 жылға - 4 901 052 мың теңге;»).

An action plan's cell or a funding paragraph gives a figure per year, one clause a line:
«Әскери қызметшілерді компьютерлік сауаттылыққа оқыту:\\n2007 жыл - 12512 адам;\\n2008 жыл - 25024 адам;». A run of
two or more such clauses becomes rows; the indicator is the text before the run within its table cell, cut to the
clause the years break down («…, оның ішінде жылдар бойынша:» → the thing before it, without its total).
"""

from __future__ import annotations

import re

from .target_values import NUMBER, value_at

CLAUSE = re.compile(r"(?P<year>(?:19|20)\d{2})\s*(?:жыл(?:ға|ы)?|год(?:у|а)?|г\.)\s*[-–—]\s*")
_GAP = 160  # a clause further than this from the previous value starts a new run
_BACK = 600  # how far back the indicator may start
_BREAKDOWN = re.compile(r"[,\s]*(?:оның\s+ішінде|в\s+том\s+числе)(?:\s+(?:жылдар\s+бойынша|по\s+годам))?\s*:?\s*$",
                        re.I)
_FIGURE = (rf"\s*[-–—]?\s*{NUMBER}\s*(?:мың\s+|млн\.?\s+|тыс\.\s+)?(?:теңге|тенге)\w*"
           r"(?:\s+көлемінде)?(?:\s+(?:кіреді|құрайды|составляет))?")
_TRIM = " \t\n\u00a0-–—:;,."


def _squash(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def runs(text: str) -> list[list[re.Match]]:
    """Groups of year clauses that follow each other closely."""
    groups: list[list[re.Match]] = []
    for m in CLAUSE.finditer(text):
        between = text[groups[-1][-1].end() : m.start()] if groups else ""
        # a tab, a colon or a list marker («…80 %;\n2) …») between two clauses starts another statement
        if groups and m.start() - groups[-1][-1].end() <= _GAP and not re.search(r"[\t:]|(?<!\S)\d{1,2}\)\s", between):
            groups[-1].append(m)
        else:
            groups.append([m])
    return [g for g in groups if len(g) >= 2]


def cell_start(text: str, pos: int, floor: int) -> tuple[int, int]:
    """(cell start, statement start) of `pos`: the table cell or paragraph begins at a tab, a blank line or `floor`;
    the statement at the last list marker («1) …») or sentence inside it."""
    lo = max(floor, pos - _BACK)
    piece = text[lo:pos]
    cut = max(piece.rfind("\t"), piece.rfind("\n\n"), piece.rfind("\n\u00a0\n"))
    start = lo + cut + 1 if cut >= 0 else lo
    if not text[start:pos].strip(_TRIM):  # «…жылдар бойынша:\n\n2007 жылға»: the paragraph before the blank line
        return cell_start(text, start - 2, floor) if start - 2 > floor else (start, start)
    marks = list(re.finditer(r"(?:^|\n)\s*\d{1,2}\)\s|(?<=\.)\s+(?=[А-ЯӘҒҚҢӨҰҮҺІA-Z])", text[start:pos]))
    return start, (start + marks[-1].start() if marks else start)


def indicator_of(head: str, prefix: str) -> str:
    """«head: phrase» of «head:\\n1) phrase (…):», or X of «… total, оның ішінде X - total, оның ішінде …:»."""
    p = _squash(prefix)
    p = _BREAKDOWN.sub("", p).strip(_TRIM)
    parts = re.split(r",?\s*(?:оның\s+ішінде|в\s+том\s+числе)\s+", p)
    p = parts[-1].strip(_TRIM)
    p = re.sub(rf"^(?:және\s+|и\s+)?(?:{_FIGURE})\s*[-–—]?\s*", "", p)
    p = re.sub(rf"(?:{_FIGURE})$", "", p).strip(_TRIM)
    p = re.sub(r"^(?:және|и)\s+", "", p)
    if re.search(rf"{NUMBER}\s*(?:мың\s+)?теңге", p.rsplit(", ", 1)[0]):  # «жалпы құны: N теңге, X»
        p = p.rsplit(", ", 1)[-1]
    m = re.match(r"^\d{1,2}\)\s*(.*?)(?:\s*\([^()]*\))?$", p)
    phrase = (m.group(1) if m else p).strip(_TRIM)
    head = _squash(head).strip(_TRIM)
    return f"{head}: {phrase}" if head and m else phrase


def run_values(text: str, run: list[re.Match]) -> list[tuple[int, int, object]]:
    """(year, clause start, Value) for each clause of a run that states a figure."""
    out = []
    for i, m in enumerate(run):
        line_end = text.find("\n", m.end())
        nxt = run[i + 1].start() if i + 1 < len(run) else len(text)
        hi = min(nxt, line_end if line_end >= 0 else len(text), m.end() + 120)
        if ";" in text[m.end() : hi]:
            hi = m.end() + text[m.end() : hi].index(";")
        v = value_at(text, m.end(), hi, strict=True)
        if v is not None:
            out.append((int(m.group("year")), m.start(), v))
    return out
