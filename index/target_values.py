"""The grammar of one target value: the year it is for, the number, its unit and comparison (Kazakh and Russian).

Kept apart from `targets.py` (which finds the lists and their items) so each reads as one idea: this module knows
how «2017 жылы - кемінде 50 %», «2020 жылға қарай — 1», «к 2020 году не менее 80 процентов», «3 жұмыс күнінен
аспайды», «алғашқы 25 елдің қатарында» or «2 есе» are written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# a target year: «2020 жылы», «2020 жылға (қарай)», «2020 жыл -», «в/к 2020 году», «2020 г.»;
# never a baseline: «2012 жылмен салыстырғанда», «(2012 жылға қатысты)», «2013 жылымен», «2009 жылғы»
YEAR = re.compile(
    r"(?:\b(?:в|к|до|на)\s+)?\b(?P<year>(?:19|20)\d{2})\s*"
    r"(?:жыл(?:ы|ға(?:\s+(?!қатысты)қарай)?(?!\s+қатысты)|дың\s+аяғына\s+қарай)?(?![\wі])|год(?:у|а)?\b|г\.)"
)
BASELINE = re.compile(r"(?:19|20)\d{2}\s*(?:жыл(?:ы)?мен|жылға\s+қатысты|годом)", re.I)
NUMBER = r"\d+(?:[ \u00a0]\d{3})*(?:[.,]\d+)?"
VALUE = re.compile(
    rf"(?P<num>{NUMBER})(?:(?:-|\s*[–—]\s*|-(?:тен|ден|нан|нен)\s+|\s+до\s+)(?P<high>{NUMBER}))?(?P<ratio>:1)?"
)
# unit words as written → one canonical unit; longest first (the first match wins)
_UNITS: list[tuple[str, str]] = [
    (r"%(?:-(?:ға|ке|ы|і|ын|ін|дан|ден))?|пайыз\w*|процент\w*", "%"),
    (r"мың\s+теңге\w*|тыс(?:\.|яч\w*)\s+тенге", "мың теңге"),
    (r"(?:млн\.?|миллион\w*)\s+(?:теңге|тенге)\w*", "млн теңге"),
    (r"(?:млрд\.?|миллиард\w*)\s+(?:теңге|тенге)\w*", "млрд теңге"),
    (r"теңге\w*|тенге", "теңге"),
    (r"мың\s+абонент\w*|тыс(?:\.|яч\w*)\s+абонент\w*", "мың абонент"),
    (r"абонент\w*", "абонент"),
    (r"мың\s+бірлік\w*|тыс(?:\.|яч\w*)\s+единиц\w*", "мың бірлік"),
    (r"бірлік\w*|единиц\w*", "бірлік"),
    (r"жұмыс\s+күн\w*|рабочих\s+дн\w*|рабочих\s+дней", "жұмыс күні"),
    (r"күн\w*|дн(?:ей|я)\b", "күн"),
    (r"адам\w*|человек\w*", "адам"),
    (r"жоба\w*|проект\w*", "жоба"),
    (r"шет\s+ел\w*|зарубежн\w+\s+стран\w*", "шет ел"),
    (r"ел(?:дің|дер\w*|ге|і)?\b|стран\w*", "ел"),
    (r"бал(?:л|д|ы|ын|дан|дың)\w*|балл\w*", "балл"),
    (r"есе\w*|раз(?:а)?\b", "есе"),
    (r"орын\w*|мест\w*|позици\w*", "орын"),
    (r"дана\w*|экземпляр\w*", "дана"),
    (r"млн\.?|миллион\w*", "млн"),
    (r"мың\b|тыс\.", "мың"),
]
UNIT = re.compile(r"\s*(?:" + "|".join(f"(?P<u{i}>{p})" for i, (p, _) in enumerate(_UNITS)) + ")", re.I)
# each unit's words anywhere in a text, at a word start: the units a question asks its figure in
_NAMED = [(re.compile(rf"(?<!\w)(?:{p})", re.I), name) for p, name in _UNITS]
# comparisons: (pattern, code) — before the number or right after the value
AT_LEAST = re.compile(r"\b(?:кемінде|кем\s+емес|не\s+менее|не\s+ниже|как\s+минимум|төмен\s+емес)\b", re.I)
AT_MOST = re.compile(r"(?:\bаспай\w*|\bаспау\w*|\bне\s+более\b|\bне\s+выше\b|\bне\s+превыш\w*|\bартық\s+емес\b)", re.I)
TOP = re.compile(r"\b(?:алғашқы|в\s+числе\s+первых|первых|топ-?)\s*$", re.I)
_FILLER = re.compile(r"^[\s\-–—:,]*(?:(?:ал|а|и|және|эфирлік|уақыттың|ЖІӨ|жүйелерді|кемінде|не\s+менее|не\s+более|"
                     r"алғашқы|тізімдегі|в\s+числе\s+первых|составит|составляет|до|около)[\s\-–—:,]*){0,4}$", re.I)


@dataclass(frozen=True)
class Value:
    """One figure as written: number, optional range end, unit, comparison and its span [start, end)."""

    value: float
    high: float | None
    text: str  # the figure as written, e.g. "4,5", "25-50", "0,7:1"
    unit: str | None
    comparison: str | None  # ">=" | "<=" | "top" (rank: among the first N) | None
    start: int
    end: int


def to_float(s: str) -> float:
    return float(re.sub(r"[ \u00a0]", "", s).replace(",", "."))


def unit_at(text: str, pos: int) -> tuple[str | None, int]:
    """The canonical unit written right after `pos`, and where it ends."""
    m = UNIT.match(text, pos)
    if not m:
        return None, pos
    for i, (_, name) in enumerate(_UNITS):
        if m.group(f"u{i}") is not None:
            return name, m.end()
    return None, pos  # pragma: no cover - one group always matched


def units_named(text: str) -> set[str]:
    """The canonical units a text names anywhere: «қанша пайызға» → {"%"}, «сколько рабочих дней» → {"жұмыс күні",
    "күн"}; what a question asks its figure in."""
    return {name for pattern, name in _NAMED if pattern.search(text)}


def value_at(text: str, lo: int, hi: int, strict: bool = False) -> Value | None:
    """The first figure in text[lo:hi] that is not a year, a baseline or an "out of" («5 балдың»).

    `strict`: the words before it must be fillers (dash, «кемінде», «эфирлік уақыттың» …), as after a year."""
    for m in VALUE.finditer(text, lo, hi):
        if BASELINE.match(text, m.start()) or YEAR.match(text, m.start()):
            continue
        if re.match(r"\)|\s*балдың|:\d{2,}", text[m.end() : m.end() + 8]):
            continue  # a list marker, "out of 5 points", a scale like М1:500
        if m.start() > 0 and text[m.start() - 1] in ":/" and not text[m.start() - 2 : m.start()].isspace():
            continue
        before = text[lo : m.start()]
        if strict and not _FILLER.match(before):
            return None
        unit, end = unit_at(text, m.end())
        if strict and unit is None and not m.group("ratio"):  # «75 компьютерлік сыныптарда 35205 адам»
            later = value_at(text, end, hi)
            if later is not None and later.unit is not None and later.comparison is None:
                return later
        if m.group("ratio"):
            unit, end = ":1", m.end()
            end += len(re.match(r"(?:-ге|-ке)?", text[end:]).group())
        comparison = (">=" if AT_LEAST.search(before) else "<=" if AT_MOST.search(before)
                      else "top" if TOP.search(before) else None)
        high = to_float(m.group("high")) if m.group("high") else None
        return Value(to_float(m.group("num")), high, m.group(0), unit, comparison, m.start(), end)
    return None
