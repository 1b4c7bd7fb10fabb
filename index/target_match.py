"""Answer a target question from the target rows: «… 2020 жылы қанша болуы тиіс?» → that indicator's row(s).

A question is matched against each indicator phrase on folded, stemmed words (`index.text.fold`: plain keyboard
and Latin typing land on the same keys as the corpus spelling) weighted by how rare a word is among the indicator
phrases («үлесі» is in half of them, «телесериал» in one). The match fires only when the question asks for a
figure (a «қанша / неше / пайыз / сколько / какой уровень» cue), the best indicator covers enough of its phrase,
and it leads the next indicator by a margin; otherwise the normal answer path answers. Retrieval hits (the service's
citations) can add evidence — a bonus for an indicator whose statement the retriever also ranked, the way a Russian
question could match — but on train they only added wrong fires, so their default weight is 0 (docs/targets.md).
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .targets import TargetRow
from .text import fold, stem, words

PREFIX = 5
# Fitted on ../shared/eval/train.jsonl only, through the built index's answers: a grid of hit bonus {0, .1, .2, .3,
# .4} × min score {.2, .25, .3, .35, .4, .5} × margin {0, .05, .1, .2}, keeping the best net answer@1 gain (+1) and,
# among the ties, the fewest fires. The retriever's hits gained nothing on train and added wrong fires, so their
# bonus is 0 by default; `hits` stay in the signature for a corpus where they help (pass `hit_bonus`).
MIN_SCORE = 0.5
MARGIN = 0.05
HIT_BONUS = 0.0  # per retriever hit on the statement: bonus / (1 + rank) over the top 3
# words that ask for a figure (Kazakh, Russian), folded like the questions: plain keyboard and Latin land on them
_CUES = tuple(fold(w) for w in (
    "қанша", "неше", "пайыз", "процент", "сколько", "каков", "какой", "какая", "какие", "нешінші", "деңгей",
    "индикатор", "көрсеткіш", "показател", "целев", "тиіс", "жетуі", "болуы", "керек", "жоспар", "планир", "должн",
    "уровен", "межел",
))
# pieces of words that ask what should be reached: «тиіс», «керек», «жоспарланған», «мақсат», «көзделген», «межелі»,
# «индикатор», «нысаналы»; Russian «должен», «планируется», «целевой», «предполагается», «ожидается»
_TARGET_CUES = tuple(fold(w) for w in (
    "тиіс", "керек", "жоспар", "мақсат", "көздел", "межел", "индикат", "нысанал", "должн", "планир", "целев",
    "предпола", "ожида", "намечен",
))
_STOP = {stem(fold(w), PREFIX) for w in (
    "және", "мен", "бен", "пен", "үшін", "бойынша", "жылы", "жылға", "жыл", "қарай", "тиіс", "болуы", "қанша",
    "неше", "керек", "еді", "дейін", "бар", "бұл", "осы", "ол", "да", "де", "та", "те", "ма", "ме", "жетуі",
    "қандай", "какой", "какая", "какие", "сколько", "году", "года", "к", "в", "на", "по", "и", "с", "до", "для",
    "что", "должен", "должна", "бағдарлама",
)}


@dataclass(frozen=True)
class TargetMatch:
    """The rows of one indicator that answer a question, and the statement to cite."""

    rows: tuple[TargetRow, ...]  # every year of the indicator, or the asked year's rows
    doc: str
    start: int  # the statement (text[start:end]) — the answer span
    end: int
    score: float  # the indicator match's; 0 when the rows were found from the answer span (`rows_at`)

    @property
    def label(self) -> str:
        return "; ".join(r.label for r in self.rows)


# words of one meaning that indicator phrases and questions use in turn («қолданатын» for «пайдаланатын»)
_SAME = {stem(fold(a), PREFIX): stem(fold(b), PREFIX) for a, b in (("қолдану", "пайдалану"),)}


def keys(text: str) -> list[str]:
    """Stemmed, folded keys of a text's words (numbers kept whole), stop words out, synonyms on one key."""
    out = []
    for w in words(text):
        k = stem(fold(w), PREFIX)
        if k and k not in _STOP and (len(k) > 1 or k.isdigit()):
            out.append(_SAME.get(k, k))
    return out


def asks_for_figure(question: str) -> bool:
    folded = [fold(w) for w in words(question)]
    return "%" in question or any(f.startswith(c) for f in folded for c in _CUES)


def says_target(question: str) -> bool:
    """Words that ask what should be reached: «болуы тиіс / жоспарланған / оқытылмақ / должен / планируется»."""
    folded = [fold(w) for w in words(question)]
    return any(c in f for f in folded for c in _TARGET_CUES) or any(re.search(r"[мбп]ак$", f) for f in folded)


def asks_for_target(question: str, years: set[int | None]) -> bool:
    """A target, not a state: a target word (`says_target`), or a year the indicator has a target for.
    «2008 жылғы деректер бойынша қанша?» asks for a fact the analysis states."""
    return says_target(question) or bool(years_in(question) & years)


def statement_spans(rows: Iterable[TargetRow]) -> list[tuple[str, int, int]]:
    """(doc, start, end) of each statement, in the order of its first row: `TargetIndex.groups`' order, which the
    statements' stored token states follow."""
    return list(dict.fromkeys((r.doc, r.start, r.end) for r in rows))


class TargetIndex:
    """Indicator phrases (one entry per statement) with word weights; built once from the rows."""

    def __init__(self, rows: Iterable[TargetRow]) -> None:
        groups: dict[tuple[str, int, int], list[TargetRow]] = defaultdict(list)
        for r in rows:
            groups[(r.doc, r.start, r.end)].append(r)
        self.groups = list(groups.items())  # in `statement_spans` order
        self._starts: dict[str, list[tuple[int, int]]] = defaultdict(list)  # per doc: (start, group), in order
        for i, ((doc, start, _), _) in enumerate(self.groups):
            self._starts[doc].append((start, i))
        for starts in self._starts.values():
            starts.sort()
        # the indicator phrase, and the unit words its values carry («абонент», «дана», «адам»)
        self.keys = [set(keys(rs[0].indicator + " " + " ".join({r.unit or "" for r in rs}))) for _, rs in self.groups]
        df = Counter(k for ks in self.keys for k in ks)
        n = max(1, len(self.keys))
        self.idf = {k: math.log(1 + n / c) for k, c in df.items()}
        self.unknown = math.log(1 + n)  # a question word no indicator has: as telling as the rarest one
        self._weight = [sum(self.idf[k] for k in ks) or 1.0 for ks in self.keys]
        self._postings: dict[str, list[int]] = defaultdict(list)  # key → the statements whose indicator has it
        for i, ks in enumerate(self.keys):
            for k in ks:
                self._postings[k].append(i)
        self.years = [{r.year for r in rs} for _, rs in self.groups]
        self.all_years = set().union(*self.years)

    def statements_at(self, doc: str, start: int, end: int) -> list[int]:
        """The groups whose statement holds `doc[start:end]`, or lies inside it."""
        starts = self._starts.get(doc, [])
        first = max(bisect.bisect_right(starts, (start, len(self.groups))) - 1, 0)  # the last one starting by `start`
        last = bisect.bisect_right(starts, (end, len(self.groups)))
        found = []
        for g_start, i in starts[first:last]:
            g_end = self.groups[i][0][2]
            if g_start <= start <= end <= g_end or start <= g_start <= g_end <= end:
                found.append(i)
        return found

    def scores(
        self, question: str, hits: Sequence[tuple[str, int, int]] = (), hit_bonus: float = 0.3
    ) -> list[tuple[float, int]]:
        """(score, group) best first, for the statements that share a word with the question or that the retriever
        ranked (every other one scores 0): the geometric mean of how much of the indicator the question covers and
        how much of the question the indicator covers, plus a bonus when the retriever ranked the statement. Read
        through the postings of the question's words, so a question costs what its words occur in, not a pass over
        every statement."""
        q = {k for k in keys(question) if not k.isdigit()}
        q_total = sum(self.idf.get(k, self.unknown) for k in q) or 1.0
        shared: dict[int, float] = defaultdict(float)
        for k in q:
            for i in self._postings.get(k, ()):
                shared[i] += self.idf[k]
        score = {i: math.sqrt(s / self._weight[i] * s / q_total) for i, s in shared.items()}
        bonus: dict[int, float] = {}
        for rank, (hdoc, hs, he) in enumerate(hits[:3] if hit_bonus else ()):
            for i in self._overlapping(hdoc, hs, he):
                bonus.setdefault(i, hit_bonus / (1 + rank))  # the best-ranked hit on a statement counts
        for i, b in bonus.items():
            score[i] = score.get(i, 0.0) + b
        return sorted(((s, i) for i, s in score.items() if s > 0), reverse=True)

    def _overlapping(self, doc: str, start: int, end: int) -> list[int]:
        starts = self._starts.get(doc, [])
        last = bisect.bisect_left(starts, (end, -1))  # statements starting before `end`
        return [i for _, i in starts[:last] if self.groups[i][0][2] > start]


def years_in(question: str) -> set[int]:
    return {int(y) for y in re.findall(r"\b(?:19|20)\d{2}\b", question)}


def of_years(rows: Iterable[TargetRow], asked: set[int]) -> tuple[TargetRow, ...]:
    """The rows of the years a question names, or all of them when it names none of theirs."""
    rows = tuple(rows)
    return tuple(r for r in rows if r.year in asked) or rows


def answer_from_targets(
    question: str,
    index: TargetIndex,
    hits: Sequence[tuple[str, int, int]] = (),
    min_score: float = MIN_SCORE,
    margin: float = MARGIN,
    hit_bonus: float = HIT_BONUS,
) -> TargetMatch | None:
    """The indicator a figure question asks about, when one matches clearly; None otherwise.

    `hits`: (doc, start, end) of the retriever's ranked passages for the question, best first (optional)."""
    if not index.groups or not asks_for_figure(question):
        return None
    ranked = index.scores(question, hits, hit_bonus)
    asked = years_in(question)
    if asked & index.all_years:  # «2020 жылға …»: an indicator without a 2020 target cannot answer it
        ranked = [(s, i) for s, i in ranked if asked & index.years[i]]
    if not ranked:  # no statement shares a word with the question
        return None
    best, i = ranked[0]
    second = ranked[1][0] if len(ranked) > 1 else 0.0
    if best < min_score or best - second < margin:
        return None
    (doc, start, end), rows = index.groups[i]
    if not asks_for_target(question, index.years[i]):
        return None
    return TargetMatch(of_years(rows, asked), doc, start, end, round(best, 4))


def rows_at(question: str, index: TargetIndex, doc: str, start: int, end: int) -> TargetMatch | None:
    """The rows of the target statement an answer span lies in (or of the statements it quotes whole), whichever path
    chose it: a paraphrase the indicator match does not fire on still shows indicator · year · value when its answer
    is a target statement. The years the question names narrow the rows, as in `answer_from_targets`."""
    found = [index.groups[i] for i in index.statements_at(doc, start, end)]
    if not found:
        return None
    rows = of_years((r for _, group in found for r in group), years_in(question))
    return TargetMatch(rows, doc, min(k[1] for k, _ in found), max(k[2] for k, _ in found), 0.0)
