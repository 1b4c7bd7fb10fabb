"""Pick the span that answers inside the top chunks, and decide whether to abstain.

Every sentence, list item and table row of the top chunks competes: its own embedding similarity to the question,
how many of the question's (rarer) words it contains, whether it carries the question's numbers, and the rank of its
chunk. Figures matter most to citizens' questions ("how many", "when"), so a unit with digits gets a small bonus
when the question asks for an amount or date.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .models import Chunk, Span
from .text import NUMBER, analyse, fold, numbers, words

_HAS_DIGIT = re.compile(r"\d")
# Question words (kk, plain-keyboard kk and ru, folded) that ask for a figure or a date, or for a reason; and the
# word starts that mark a cause in an answer. General language knowledge, not taken from any question set.
_FIGURE_WORDS = {"канша", "неше", "кашан", "калаи", "сколко", "когда", "паииз", "процент", "жылы"}
_REASON_WORDS = {"неге", "неликтен", "почему", "зачем"}
_PERSON_WORDS = {"ким", "кимди", "кимнин", "кимге", "кто", "кого", "кем", "кому"}
# a name inside a sentence: a capitalised word that is not an acronym ("Дәурен Абаев", «Қазпочта»)
_NAME = re.compile(r"(?<=[\s«\"(])[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][a-zа-яёәғқңөұүһі]+")
_DEFINITION_WORDS = {"деген", "дегенимиз", "магынасы", "билдиреди", "означает", "такое", "расшифровывается"}
_CAUSE = re.compile(r"себеп|себеб|салдар|откени|причин|потому|поскольку|вследстви")
# The units an amount is asked in ("қанша теңге", "сколько процентов"), by word start: only a figure given in
# that unit answers it. Days and years are left out: "тәулігіне қанша" asks a rate, "2020 жылға қарай" names a date.
_HOW_MUCH = tuple(fold(w) for w in ("қанша", "неше", "сколько", "скольких", "скольки"))
_UNIT_WORDS = {
    "money": ("теңге", "тг", "доллар", "рубл"),
    "percent": ("пайыз", "процент", "%"),
    "hour": ("сағат", "час"),
}
# "09:00", "сағат 9-да", or no hours at all: "тәулік бойы", "круглосуточно", "24/7"
_CLOCK = re.compile(r"\b\d{1,2}[:.]\d{2}\b|(?:сағат|час)\w*\s+\d|тәулік бой|круглосуточн|24/7", re.IGNORECASE)
_UNITS = {unit: tuple(fold(w) for w in starts) for unit, starts in _UNIT_WORDS.items()}
# "… тұғырнамасы (бұдан әрі - G-Cloud)": the sentence where a document introduces a term
_INTRODUCES = re.compile(r"\((?:бұдан әрі|бұдан кейін|далее)\s*[-–—:]?\s*([^()]{1,40})\)")


@dataclass(frozen=True)
class Asks:
    """What kind of answer a question wants, from its question words."""

    figure: bool = False
    reason: bool = False
    definition: bool = False
    person: bool = False  # "who"
    keys: frozenset[str] = frozenset()  # the question's folded words
    long_forms: tuple[tuple[str, ...], ...] = ()  # of the acronyms it names
    unit: str | None = None  # "money" | "percent" | "hour": the unit named next to "how much"

    @classmethod
    def of(cls, question: str, long_forms: tuple[tuple[str, ...], ...] = ()) -> Asks:
        ordered = [fold(w) for w in words(question)]
        keys = frozenset(ordered)
        at = [i for i, k in enumerate(ordered) if k.startswith(_HOW_MUCH)]
        named = {unit_of(ordered[j]) for i in at for j in (i - 1, i + 1) if 0 <= j < len(ordered)} - {None}
        return cls(
            figure=bool(keys & _FIGURE_WORDS),
            reason=bool(keys & _REASON_WORDS),
            definition=bool(keys & _DEFINITION_WORDS),
            person=bool(keys & _PERSON_WORDS),
            keys=keys,
            long_forms=long_forms,
            unit=min(named) if named else None,
        )

    def amount_given_in(self, text: str) -> bool:
        """`text` gives a figure in the unit the question asks for ("840 миллиард теңге", "80 %", "сағат 9-да")."""
        if self.unit == "hour" and _CLOCK.search(text):
            return True
        for m in NUMBER.finditer(text):
            after = text[m.end() : m.end() + 40]
            follows = words(after)[:2] + (["%"] if after.lstrip().startswith("%") else [])
            if any(unit_of(w) == self.unit for w in follows):
                return True
        return False

    def defined_in(self, unit: str) -> bool:
        """The unit introduces a term of the question, or spells out an acronym the question names."""
        if any({fold(w) for w in words(m.group(1))} & self.keys for m in _INTRODUCES.finditer(unit)):
            return True
        unit_keys = {fold(w) for w in words(unit)}
        return any(all(fold(w) in unit_keys for w in long) for long in self.long_forms)


def names_someone(unit: str) -> bool:
    """The unit has a proper name past its first word: what a "who" question is answered with."""
    return bool(_NAME.search(unit))


def unit_of(word: str) -> str | None:
    key = fold(word)
    return next((unit for unit, starts in _UNITS.items() if key.startswith(starts)), None)


def states_a_cause(unit: str) -> bool:
    return any(_CAUSE.match(fold(w)) for w in words(unit))


@dataclass(frozen=True)
class SpanWeights:
    similarity: float = 1.0
    overlap: float = 0.6
    numbers: float = 0.05
    digits: float = 0.1
    amount: float = 0.1  # a figure in the unit asked for ("қанша теңге" → "3887 теңге")
    cause: float = 0.2
    definition: float = 0.2
    chunk_rank: float = 0.2
    no_news: float = 0.3


@dataclass(frozen=True)
class ScoredSpan:
    span: Span
    score: float
    similarity: float
    overlap: float


def term_overlap(q_tokens: list[str], unit_tokens: set[str], idf: dict[str, float]) -> float:
    """IDF-weighted share of the question's words present in the unit."""
    weights = {t: idf.get(t, 0.0) for t in dict.fromkeys(q_tokens)}  # in question order: sums alike in every process
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in unit_tokens) / total if total else 0.0


@dataclass(frozen=True)
class UnitCandidate:
    """One sentence / item / row of the top chunks, with what the heuristic score and the learned choice read."""

    span: Span
    chunk_rank: int
    position: int  # the unit's place in its chunk
    similarity: float
    overlap: float  # IDF-weighted share of the question's words it contains (an acronym matches its long form)
    score: float  # the hand-weighted score (`SpanWeights`)
    digits: bool
    numbers: bool  # carries a number the question names
    amount: bool  # a figure in the unit the question asks for
    cause: bool
    defines: bool
    no_news: bool  # restates the question and tells nothing new


def score_units(
    chunks: list[Chunk],
    text_of: dict[str, str],
    unit_sims: list[np.ndarray],
    q_tokens: list[str],
    q_numbers: frozenset[str],
    idf: dict[str, float],
    prefix: int,
    asks: Asks,
    weights: SpanWeights = SpanWeights(),
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = (),
) -> list[UnitCandidate]:
    """Every unit of the chunks, in chunk order. `synonyms`: (acronym key, long-form keys) pairs; a unit with either
    form matches the question's form."""
    out: list[UnitCandidate] = []
    q_set = set(q_tokens)
    for rank, (chunk, sims) in enumerate(zip(chunks, unit_sims, strict=True)):
        text = text_of[chunk.doc]
        for position, ((s, e), sim) in enumerate(zip(chunk.units, sims, strict=True)):
            unit = text[s:e]
            unit_tokens = {w for w in analyse(unit, prefix) if len(w) >= 3}
            matched = set(unit_tokens)
            for short, long in synonyms:
                if short in unit_tokens or all(k in unit_tokens for k in long):
                    matched |= {short, *long}
            overlap = term_overlap(q_tokens, matched, idf)
            flags = {
                "digits": bool(_HAS_DIGIT.search(unit)),
                "numbers": bool(q_numbers and q_numbers & numbers(unit)),
                "amount": bool(asks.unit and asks.amount_given_in(unit)),
                "cause": asks.reason and states_a_cause(unit),
                "defines": asks.definition and asks.defined_in(unit),
                "no_news": len(unit_tokens - q_set) < 2,  # restates the question ("2007-2009 жылдар")
            }
            score = weights.similarity * float(sim) + weights.overlap * overlap - weights.chunk_rank * math.log1p(rank)
            bonuses = (
                (flags["numbers"], weights.numbers), (asks.figure and flags["digits"], weights.digits),
                (flags["amount"], weights.amount), (flags["cause"], weights.cause),
                (flags["defines"], weights.definition), (flags["no_news"], -weights.no_news),
            )
            for applies, bonus in bonuses:
                if applies:
                    score += bonus
            out.append(UnitCandidate(Span(chunk.doc, s, e, unit), rank, position, float(sim), overlap, score, **flags))
    return out


def choose_span(*args, **kwargs) -> ScoredSpan | None:
    """The unit with the best hand-weighted score (the first of equals); the arguments of `score_units`."""
    return best_by_hand(score_units(*args, **kwargs))


def best_by_hand(units: list[UnitCandidate]) -> ScoredSpan | None:
    if not units:
        return None
    best = max(units, key=lambda u: u.score)
    return ScoredSpan(best.span, best.score, best.similarity, best.overlap)


def sparse_norms(rows: sparse.csr_matrix) -> np.ndarray:
    return np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())


def concept_match(query: np.ndarray, units: sparse.csr_matrix, unit_norms: np.ndarray) -> float:
    """The best cosine between the question's and a unit's sparse (latent-concept) vectors. Topical neighbours of
    an unanswerable question share its words and its overall meaning, so dense similarity and word overlap hardly
    tell them apart; the concept the question asks about is what they lack."""
    q_norm = float(np.linalg.norm(query))
    if not q_norm or not units.shape[0]:
        return 0.0
    return float(np.max((units @ query) / np.maximum(unit_norms * q_norm, 1e-9)))


def confidence(top_dense: float, top_overlap: float, coverage: float) -> float:
    """One number the abstention threshold is applied to: closeness in meaning and in words."""
    return round(0.6 * top_dense + 0.3 * top_overlap + 0.1 * coverage, 4)
