"""Whether the documents answer: one general rule, and either the calibrated model or the older hand rules.

The one rule kept in front of any model: a year or a code the documents never mention ("2025", "5G") cannot be
answered from them, whatever the passages look like. Everything else is a probability that the chosen sentence
answers (`logistic.Logistic`), thresholded where cross-validation on the train set keeps wrong refusals at
most 5 %. An index without a fitted model keeps the hand rules it had before (confidence, unit asked for, latent
concept) — they were fitted on the dev set and serve as the baseline the model is compared with.
"""

from __future__ import annotations

import re

import numpy as np
from scipy import sparse

from .answer import Asks, ScoredSpan, concept_match
from .models import AbstainReason
from .text import fold, words
from .vocabulary import Vocabulary

_YEAR_OR_CODE = re.compile(r"(?:19|20)\d\d|(?=\w*\d)(?=\w*[^\W\d])\w{2,4}")  # not IINs or phone numbers


def unknown_figure(question: str, vocab: Vocabulary) -> bool:
    """The question names a year or a code ("2025", "5G") that no document mentions."""
    return any(_YEAR_OR_CODE.fullmatch(w) and fold(w) not in vocab for w in words(question))


def best_concept_match(
    terms: np.ndarray | None, unit_sparse: sparse.csr_matrix | None, norms: np.ndarray | None, units: np.ndarray
) -> float | None:
    """The best latent-concept cosine between the question and the given units (None without the sparse head)."""
    if terms is None or unit_sparse is None or norms is None:
        return None
    return concept_match(terms, unit_sparse[units], norms[units])


def amount_missing(asks: Asks, best: ScoredSpan | None) -> bool:
    """"қанша теңге", and the answer gives no sum in tenge (or no percent, no hours for those units)."""
    return asks.unit is not None and not (best and asks.amount_given_in(best.span.text))


def explain(asks: Asks, best: ScoredSpan | None, concept: float | None, concept_floor: float) -> AbstainReason:
    """Why a low probability: the unit asked for is missing, the concept is missing, or nothing is close enough.
    Only the words shown to the citizen depend on it, not the decision."""
    if amount_missing(asks, best):
        return "no_amount"
    if concept is not None and concept < concept_floor:
        return "concept_missing"
    return "low_confidence"


def rule_reason(
    asks: Asks, best: ScoredSpan | None, confidence: float, concept: float | None, abstain_below: float,
    concept_floor: float,
) -> AbstainReason | None:
    """The hand rules of an index without a fitted model (after `unknown_figure`); None when they let it answer."""
    if confidence < abstain_below:
        return "low_confidence"
    if amount_missing(asks, best):
        return "no_amount"
    # a term's definition carries the term, not the question's "what does it mean"
    defines = best is not None and asks.definition and asks.defined_in(best.span.text)
    if not defines and concept is not None and concept < concept_floor:
        return "concept_missing"
    return None
