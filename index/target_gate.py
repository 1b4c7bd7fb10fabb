"""Whether a target statement answers a question better than the answer model's sentence: a fitted gate.

The question's tokens are matched with each target statement's (MaxSim, `index.token_states`); the best-matching
statement with a target for a year the question names is the candidate. The match reads a paraphrase the indicator's
words miss («компьютерді меңгерген тұрғындардың үлесі» for «компьютерлік сауаттылық деңгейі»), but a question about a
figure of the analysis matches an indicator as closely. So a logistic regression weighs the match with what tells the
two apart: the question's cues (a figure, a target), whether the statement has the year and the unit it asks about,
and how sure the answer model is of its own sentence. Above the threshold fitted out of fold (`index.target_training`)
the statement answers. Where the index has no statement states or the model no gate, the word match of
`index.target_match` decides, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .logistic import Logistic
from .target_match import TargetIndex, TargetMatch, asks_for_figure, of_years, says_target, years_in
from .target_values import units_named
from .token_states import TokenRows, maxsim_all

FEATURES = (
    "match",  # the question tokens' mean best cosine with the statement's tokens
    "match_z",  # that match, z-scored over every statement: how far it stands out
    "margin",  # over the next statement's match (of the years asked)
    "target_cue",  # «тиіс / жоспарланған / должен …» (`target_match.says_target`)
    "figure_cue",  # «қанша / неше / пайыз / сколько …»
    "year_agrees",  # the statement has a target for a year the question names
    "unit_agrees",  # the statement's unit is one the question names («пайыз» for %)
    "answer_probability",  # the answer model's probability that its own sentence answers
    "answer_inside",  # the answer model's sentence lies in (or covers) this statement
)


@dataclass(frozen=True)
class Candidate:
    group: int  # the statement: `TargetIndex.groups[group]`
    x: np.ndarray  # [1, len(FEATURES)]


def candidate(
    question: str,
    states: np.ndarray | None,
    index: TargetIndex,
    tokens: TokenRows | None,
    probability: float,
    span: tuple[str, int, int] | None,
) -> Candidate | None:
    """The statement that best matches the question token by token, and the gate's features for it; None without
    states or statements. `span`: (doc, start, end) of the answer model's sentence, None when it abstained."""
    if states is None or tokens is None or not index.groups:
        return None
    found = maxsim_all(states, tokens)
    asked = years_in(question)
    allowed = found.copy()
    if asked & index.all_years:  # «2020 жылға …»: a statement without a 2020 target cannot answer it
        allowed[[not (asked & years) for years in index.years]] = -1.0
    order = np.argsort(-allowed, kind="stable")
    i = int(order[0])
    second = float(allowed[order[1]]) if len(order) > 1 else 0.0
    rows = index.groups[i][1]
    inside = span is not None and i in index.statements_at(*span)
    x = [
        allowed[i],
        (found[i] - found.mean()) / (found.std() + 1e-9),
        allowed[i] - second,
        says_target(question),
        asks_for_figure(question),
        bool(asked & index.years[i]),
        bool(units_named(question) & {r.unit for r in rows}),
        probability,
        inside,
    ]
    return Candidate(i, np.array([x], np.float64))


@dataclass(frozen=True)
class TargetGate:
    """The fitted gate: it fires at or above its logistic regression's threshold."""

    model: Logistic
    meta: dict = field(default_factory=dict)  # what it was fitted on, and its out-of-fold firings

    def match(self, question: str, index: TargetIndex, c: Candidate | None) -> TargetMatch | None:
        """The candidate's rows (the asked years', else all) when the gate fires on it."""
        if c is None:
            return None
        p = self.model.probability(c.x)
        if p < self.model.threshold:
            return None
        (doc, start, end), rows = index.groups[c.group]
        return TargetMatch(of_years(rows, years_in(question)), doc, start, end, round(float(p), 4))

    def to_dict(self) -> dict:
        return {"features": list(FEATURES), **self.model.to_dict(), "meta": self.meta}

    @classmethod
    def from_dict(cls, d: dict | None) -> TargetGate | None:
        """None for a model fitted without a gate or with other features (the word match answers then)."""
        if not d or d.get("features") != list(FEATURES):
            return None
        return cls(Logistic.from_dict(d), d.get("meta", {}))
