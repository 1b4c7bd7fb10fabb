"""Question understanding: validation, markup stripping, script/keyboard restoration, typo repair, language."""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from .errors import BadQuestionError
from .text import fold, has_kazakh_letters, lower, numbers, repair_words, stem, words
from .transliterate import harmonise, is_latin, latin_to_cyrillic, respell
from .vocabulary import Vocabulary

_TAG = re.compile(r"<[^<>]{0,200}>")
# IINs (12 digits), long digit runs and Kazakh phone numbers; figures in the documents are shorter or grouped
_PERSONAL_NUMBER = re.compile(
    r"\+?\b\d{10,}\b|(?:\+7|\b8)[\s(\-]*\d{3}[\s)\-]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}\b"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Frequent Russian function words (general language knowledge): they tell a Russian question from a Kazakh one
# typed without Kazakh letters, which the corpus vocabulary alone cannot.
_RUSSIAN = {
    "и", "в", "во", "на", "с", "со", "по", "для", "как", "что", "это", "к", "ко", "от", "до", "из", "о", "об",
    "при", "за", "не", "ли", "же", "бы", "или", "а", "но", "какой", "какая", "какое", "какие", "каким", "каких",
    "сколько", "когда", "где", "кто", "почему", "зачем", "чем", "чего", "был", "была", "было", "были", "есть",
    "ещё", "еще", "уже", "году", "года", "лет", "будет", "можно", "нужно", "согласно", "после", "через", "между",
}


@dataclass(frozen=True)
class Query:
    original: str
    text: str  # the question cleaned of markup and control characters
    restored: str  # words put back into the corpus spelling (what the embedder reads)
    tokens: list[str]  # BM25 keys, with the other form of the acronyms the question touches
    lang: str  # "kk" | "ru"
    coverage: float  # share of the question's words the corpus knows (after restoration)
    numbers: frozenset[str]
    long_forms: tuple[tuple[str, ...], ...] = ()  # of the corpus-defined acronyms the question names
    own_tokens: tuple[str, ...] = ()  # BM25 keys of the question's own words
    synonyms: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (acronym key, long-form keys) the question touches


def _strip_markup(text: str) -> str:
    """Entities decoded and tags removed until none is left: cleaning the cleaned text again changes nothing, and
    an escaped tag (`&lt;script&gt;`, `&amp;lt;b&amp;gt;`) cannot come back as markup. Each pass shortens the text,
    so the loops end."""
    while (decoded := html.unescape(text)) != text:
        text = decoded
    while (stripped := _TAG.sub(" ", text)) != text:
        text = stripped
    return text


def clean_question(question: object, max_chars: int) -> str:
    if not isinstance(question, str):
        raise BadQuestionError("The question must be text.")
    if len(question) > max_chars * 4:
        raise BadQuestionError(f"The question is too long: at most {max_chars} characters.")
    text = _strip_markup(unicodedata.normalize("NFC", question))
    text = _CONTROL.sub(" ", text)
    text = _PERSONAL_NUMBER.sub(" ", text)  # an IIN or a phone number never helps finding a passage
    text = unicodedata.normalize("NFC", repair_words(text))  # "үкiмет" with a Latin i → "үкімет"
    text = " ".join(text.split())
    if not any(ch.isalnum() for ch in text):
        raise BadQuestionError("The question is empty.")
    if len(text) > max_chars:
        raise BadQuestionError(f"The question is too long: at most {max_chars} characters.")
    return text


def detect_lang(text: str) -> str:
    if has_kazakh_letters(text):
        return "kk"
    ws = [lower(w) for w in words(text)]
    russian = sum(w in _RUSSIAN for w in ws)
    return "ru" if ws and russian >= max(1, len(ws) // 8) else "kk"


def _restore(w: str, lang: str, plain: bool, vocab: Vocabulary, prefix: int) -> tuple[str, str]:
    """(BM25 key, spelling for the embedder) of one question word."""
    key = fold(w)
    if w.isdigit():
        return key, w
    if key in vocab:  # known word: plain/Latin typing gets the corpus spelling back
        return key, w if has_kazakh_letters(w) else vocab.surface[key]
    if lang == "ru":
        return "", w
    known_stem = vocab.has_stem(stem(key, prefix), prefix)
    if is_latin(w) and w.isupper() and not known_stem:
        return "", w  # an acronym the documents never use ("ITU"): the embedder reads it, not a Cyrillic guess
    typed = latin_to_cyrillic(w) if is_latin(w) else harmonise(w) if plain else w
    if known_stem:  # a known stem with an unseen ending: keep it
        return key, respell(w, vocab.begins_like(key)) if plain and not is_latin(w) else typed
    fixed = vocab.restore(typed)  # a typo: the closest corpus word, if close enough
    if fixed.key:
        return fixed.key, typed if has_kazakh_letters(w) else fixed.surface
    return "", typed


def _acronym_synonyms(
    tokens: list[str], named: list[str], vocab: Vocabulary, prefix: int
) -> list[tuple[str, tuple[str, ...]]]:
    """(acronym key, long-form keys) of each corpus-defined acronym the question names or spells out."""
    present = set(tokens)
    found = []
    for short, long in vocab.acronyms.long_of.items():
        long_keys = tuple(stem(fold(w), prefix) for w in long)
        if short in named or all(k in present for k in long_keys):
            found.append((stem(short, prefix), long_keys))
    return found


def analyse_question(question: str, vocab: Vocabulary, prefix: int, max_chars: int = 1000) -> Query:
    text = clean_question(question, max_chars)
    lang = detect_lang(text)
    tokens: list[str] = []
    known = total = 0
    pieces: list[str] = []
    pos = 0
    long_words = [w for w in words(text) if len(w) >= 3 and not w.isdigit()]
    # typed without Kazakh letters: (almost) no word has one — a pasted name or a single word may still have some
    plain = lang == "kk" and sum(map(has_kazakh_letters, long_words)) <= 0.2 * len(long_words)
    for m in re.finditer(r"[^\W_]+", text):
        w = m.group()
        pieces.append(text[pos : m.start()])
        pos = m.end()
        r_key, surface = _restore(w, lang, plain, vocab, prefix)
        pieces.append(w if lower(surface) == lower(w) else surface)
        tokens.append(stem(r_key or fold(w), prefix))
        if len(w) >= 3:
            total += 1
            known += bool(r_key)
    pieces.append(text[pos:])
    restored = "".join(pieces)
    named = vocab.acronyms.named_in(text)  # as typed: restoring may have lower-cased an acronym
    if named:  # the embedder reads the words an acronym stands for
        restored += " (" + "; ".join(" ".join(vocab.acronyms.long_of[k]) for k in named) + ")"
    synonyms = _acronym_synonyms(tokens, named, vocab, prefix)
    extra = [k for short, long in synonyms for k in (short, *long) if k not in tokens]
    return Query(
        original=question,
        text=text,
        restored=restored,
        tokens=tokens + list(dict.fromkeys(extra)),
        lang=lang,
        coverage=known / total if total else 0.0,
        numbers=frozenset(numbers(text)),
        long_forms=tuple(tuple(vocab.acronyms.long_of[k]) for k in named),
        own_tokens=tuple(tokens),
        synonyms=tuple(synonyms),
    )
