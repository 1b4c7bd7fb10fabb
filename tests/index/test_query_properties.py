"""Hypothesis properties of question normalisation (index/query.py, index/text.py) over hostile text.

Stated from the code: `clean_question` either returns text or raises `BadQuestionError` (never anything else), and
cleaning its own output changes nothing; `analyse_question` keeps the cleaned question's non-word characters where
they were (each word is replaced in place, so a highlight computed on words stays on them); `word_spans` offsets
index the very text they were computed on; `fold` and `repair_words` are idempotent; and every citation of a served
answer quotes its document exactly at its offsets, whatever the question.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from index.errors import BadQuestionError
from index.query import analyse_question, clean_question
from index.service import QAService
from index.text import WORD, clean, fold, repair_words, word_spans, words
from index.vocabulary import Vocabulary

# What people and attackers paste: Kazakh/Russian/Latin letters, digits, markup, entities, zero-width and bidi
# controls, combining marks, homoglyphs, NUL and other C0 controls, surrogate-free astral characters.
HOSTILE_PIECES = [
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "&lt;b&gt;", "&amp;lt;i&amp;gt;", "&#60;", "&",
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u202e", "\u202d", "\u2066", "\u2069", "\u061c",
    "\u0301", "\u0308", "i\u0308", "\u0456\u0308", "\x00", "\x1b[31m", "\r\n", "\t", "\u00a0", "\u00ad",
    "880101300123", "+7 701 123 45 67", "Қазақстан", "үкiмет", "ЭЦҚ", "1414", "2020 жылы", "Сколько?", "qazaq",
    "İ", "ǅ", "ﬁ", "𝐀", "🙂", "\U000e0041",
]  # fmt: skip
hostile_text = st.lists(
    st.one_of(st.sampled_from(HOSTILE_PIECES), st.text(max_size=12)), min_size=0, max_size=12
).map("".join)

VOCAB = Vocabulary(
    [
        "«Электрондық үкімет» порталын күн сайын 25 000-нан астам азамат пайдаланады.",
        "Электрондық цифрлық қолтаңба (бұдан әрі - ЭЦҚ) 1 млн. астам азаматқа берілді.",
        "Мемлекеттік қызметтер бойынша кеңес алу үшін 1414 нөміріне хабарласуға болады.",
    ]
)
LIMIT = 1000
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


def _clean_or_none(text: str) -> str | None:
    try:
        return clean_question(text, LIMIT)
    except BadQuestionError:
        return None


@PROPS
@given(hostile_text)
@example("&amp;lt;b&amp;gt;x")
@example("&lt;b&gt;x")
@example("i\u0308 үкiмет")
def test_clean_question_never_raises_anything_but_bad_question_and_is_idempotent(text: str) -> None:
    cleaned = _clean_or_none(text)
    if cleaned is None:
        return
    assert clean_question(cleaned, LIMIT) == cleaned
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", cleaned)  # no control characters survive
    assert "<" not in cleaned or not re.search(r"<[^<>]{0,200}>", cleaned)  # no tag survives


@PROPS
@given(st.one_of(st.none(), st.integers(), st.binary(), st.lists(st.text())))
def test_a_question_that_is_not_text_is_a_clear_error(value: object) -> None:
    with pytest.raises(BadQuestionError, match="must be text"):
        clean_question(value, LIMIT)


@PROPS
@given(hostile_text)
def test_restoration_replaces_words_in_place(text: str) -> None:
    try:
        q = analyse_question(text, VOCAB, prefix=5, max_chars=LIMIT)
    except BadQuestionError:
        return
    assert q.original == text
    # the long forms of the acronyms it names are appended for the embedder: " (long form; …)"
    restored = q.restored.removesuffix(" (" + "; ".join(" ".join(long) for long in q.long_forms) + ")")
    # the characters between words are the cleaned question's own, word for word
    assert WORD.split(restored) == WORD.split(q.text)
    assert len(q.own_tokens) == len(WORD.findall(q.text))
    assert all(isinstance(t, str) for t in q.tokens)
    assert 0.0 <= q.coverage <= 1.0 and q.lang in {"kk", "ru"}


@PROPS
@given(hostile_text)
def test_word_spans_index_the_text_they_came_from(text: str) -> None:
    for start, end, word in word_spans(text):
        assert text[start:end] == word


@PROPS
@given(hostile_text)
def test_fold_and_repair_are_idempotent(text: str) -> None:
    assert repair_words(repair_words(text)) == repair_words(text)
    for word in WORD.findall(text):
        assert fold(fold(word)) == fold(word)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(question=hostile_text)
@example(question="\u202eтеледидар\u202c <script>alert(1)</script> 1414 нөмірі не?")
def test_citations_quote_their_document_exactly_whatever_the_question(service: QAService, question: str) -> None:
    try:
        answer = service.ask(question)
    except BadQuestionError:
        return
    for c in answer.citations:
        text = service.document(c.doc).text
        assert text[c.start : c.end] == c.text
        assert all(0 <= a < b <= len(c.text) for a, b in c.matches)
    if answer.answer is not None:
        span = answer.answer
        assert service.document(span.doc).text[span.start : span.end] == span.text


def test_regressions_found_by_these_properties() -> None:
    """Each was a counter-example once: an escaped tag came back as markup; look-alike-only words kept two scripts."""
    assert clean_question("&lt;script&gt;alert(1)&lt;/script&gt; 1414 нөмірі", LIMIT) == "alert(1) 1414 нөмірі"
    assert clean_question("&amp;lt;b&amp;gt;қызмет", LIMIT) == "қызмет"
    assert fold("oс") == fold("ос") == fold(fold("oс"))  # Latin o + Cyrillic с
    assert fold("Қазақстанİ") == fold(fold("Қазақстанİ"))


@PROPS
@given(hostile_text)
def test_document_cleaning_never_raises_and_is_idempotent(text: str) -> None:
    """`clean()` is what the embedder reads of a passage; `words()` the BM25 side: both total and stable."""
    cleaned = clean(text)
    assert clean(cleaned) == cleaned
    assert all(WORD.fullmatch(w) for w in words(text))
