"""Text analysis shared by documents and questions.

Two forms of a text exist: the *display* form (the file text, never altered, all offsets refer to it) and the
*analysis* forms derived here. `clean()` keeps the words as written but repairs what breaks matching (NFC,
Latin look-alikes inside Cyrillic words, non-breaking spaces, soft hyphens, hard line breaks) — it is what the
embedder reads. `fold()` maps a word onto one key regardless of script and keyboard: Kazakh Latin (2021 and
informal spellings), text typed without Kazakh letters and standard Cyrillic all land on the same key; `stem()`
cuts the key to a prefix, which on Kazakh's agglutinative morphology works as well as a suffix stripper.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .transliterate import PLAIN_LETTER, latin_to_cyrillic, lower

ANALYSER_VERSION = "6"

_SOFT_HYPHEN = "\u00ad"
_SPACES = re.compile(r"[\u00a0\u2000-\u200b\u202f\u205f\u3000\t]+")
_HYPHEN_BREAK = re.compile(r"(\w)-[ \t]*\n[ \t]*(\w)")
_LINE_BREAK = re.compile(r"[ \t]*\n[ \t]*")
_MULTI_SPACE = re.compile(r" {2,}")

WORD = re.compile(r"[^\W_]+", re.UNICODE)

CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# Latin letters that look exactly like Cyrillic ones, both directions.
_LAT_TO_CYR = str.maketrans("aeopcxyihABCEHKMOPTXI", "аеорсхуіһАВСЕНКМОРТХІ")
_CYR_TO_LAT = str.maketrans("аеорсхуіһАВСЕНКМОРТХІ", "aeopcxyihABCEHKMOPTXI")
_AMBIGUOUS = set("aeopcxyihABCEHKMOPTXIаеорсхуіһАВСЕНКМОРТХІ")


def _is_cyr(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def repair_homoglyphs(word: str) -> str:
    """Make a mixed-script word one script: the script of its unambiguous letters decides."""
    has_cyr = has_lat = False
    for ch in word:
        if ch in _AMBIGUOUS or not ch.isalpha():
            continue
        if _is_cyr(ch):
            has_cyr = True
        elif ch.isascii():
            has_lat = True
    if has_cyr and not has_lat:
        return word.translate(_LAT_TO_CYR)
    if has_lat and not has_cyr:
        return word.translate(_CYR_TO_LAT)
    return word


def repair_words(text: str) -> str:
    """Every word of a text made one script (see `repair_homoglyphs`)."""
    return WORD.sub(lambda m: repair_homoglyphs(m.group()), text)


def clean(text: str) -> str:
    """Readable text for the embedder: same words, matching-breaking artefacts removed."""
    text = unicodedata.normalize("NFC", text).replace(_SOFT_HYPHEN, "")
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    text = _LINE_BREAK.sub(" ", _SPACES.sub(" ", text))
    return _MULTI_SPACE.sub(" ", repair_words(text)).strip()


# --- folding onto one script- and keyboard-independent key -------------------------------------------------------
# Cyrillic: Kazakh-specific letters onto the plain-keyboard letters people type instead; soft/hard signs dropped;
# iotated vowels spelled out so that Latin "iu"/"ia" meet "ю"/"я".
_CYR_FOLD = str.maketrans(
    {
        **PLAIN_LETTER, "й": "и", "ё": "е", "э": "е", "ъ": None, "ь": None, "щ": "ш", "ю": "иу", "я": "иа", "ц": "тс",
    }
)
_DOUBLES = re.compile(r"(\w)\1+")


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """One key per word whatever the script or keyboard: `Қазақстан`, `Казакстан`, `Qazaqstan` → `казакстан`.

    A key folded again stays the same: a word of mixed scripts can become another word by folding («Jъ» → «j», a
    Latin word), so it is folded again until nothing changes (no word of either corpus changes key by it)."""
    key = _fold(word)
    for _ in range(3):
        again = _fold(key)
        if again == key:
            break
        key = again
    return key


def _fold(word: str) -> str:
    w = lower(repair_homoglyphs(unicodedata.normalize("NFC", word)))
    if not CYRILLIC.search(w):  # Kazakh Latin (2021 or informal): its Cyrillic spelling, then the same folding
        w = latin_to_cyrillic(w)
    # look-alikes left beside Cyrillic (a word of look-alikes only, "oс"; "İ" lowered to a Latin "i") go Cyrillic,
    # so that a key folded again stays the same
    w = w.translate(_LAT_TO_CYR).translate(_CYR_FOLD)
    return _DOUBLES.sub(r"\1", w)


def stem(key: str, prefix: int) -> str:
    """Prefix stemming of a folded key; numbers are kept whole."""
    return key if key.isdigit() else key[:prefix]


def words(text: str) -> list[str]:
    return WORD.findall(unicodedata.normalize("NFC", text).replace(_SOFT_HYPHEN, ""))


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """Words with their offsets in the *original* text (for highlighting); same length assumption as the file text."""
    return [(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]


def analyse(text: str, prefix: int) -> list[str]:
    """The BM25 token stream: folded, stemmed words."""
    return [stem(fold(w), prefix) for w in words(text)]


def char_ngrams(text: str, n: int) -> list[str]:
    """Character n-grams of each folded word, its edges marked: keys that survive typos and unseen endings."""
    grams: list[str] = []
    for w in words(text):
        key = f"#{fold(w)}#"
        grams.extend(key[i : i + n] for i in range(max(1, len(key) - n + 1)))
    return grams


def has_kazakh_letters(text: str) -> bool:
    return bool(re.search(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]", text))


NUMBER = re.compile(r"\d+(?:[ \u00a0]\d{3})*(?:[.,]\d+)?")


def numbers(text: str) -> set[str]:
    """Numbers as written (thousand separators removed), for matching figures in questions and answers."""
    return {re.sub(r"[ \u00a0]", "", m.group()).replace(",", ".") for m in NUMBER.finditer(text)}
