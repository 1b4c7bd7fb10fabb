"""Put Kazakh typed in Latin or without Kazakh letters back into Cyrillic spelling, so the embedder reads Kazakh.

Latin (2021 alphabet, and the informal sh/ch/zh spellings) maps almost letter for letter. Plain-keyboard Cyrillic
(а for ә, к for қ, и for і …) is ambiguous letter by letter but not word by word: vowel harmony makes a Kazakh
word either back-vowelled (а о ұ ы, with қ ғ) or front-vowelled (ә ө ү і е, with к г), which decides the letters.
"""

from __future__ import annotations

import re

_LAT_DIGRAPHS = [
    ("shch", "щ"), ("sh", "ш"), ("ch", "ч"), ("zh", "ж"), ("kh", "х"), ("gh", "ғ"), ("ts", "ц"),
    ("ia", "я"), ("iu", "ю"), ("ya", "я"), ("yu", "ю"),
]
_LAT = {
    "a": "а", "ä": "ә", "á": "ә", "b": "б", "c": "ц", "ç": "ч", "d": "д", "e": "е", "f": "ф", "g": "г", "ğ": "ғ",
    "ǵ": "ғ", "h": "һ", "ı": "і", "j": "ж", "k": "к", "l": "л", "m": "м", "n": "н", "ñ": "ң", "ń": "ң", "o": "о",
    "ö": "ө", "ó": "ө", "p": "п", "q": "қ", "r": "р", "s": "с", "ş": "ш", "t": "т", "u": "у", "ū": "ұ", "ú": "ұ",
    "ü": "ү", "v": "в", "w": "у", "x": "х", "y": "ы", "ý": "ы", "z": "з",
}
_VOWELS = set("аәеиоөұүыіэюяуё")
# the letter typed for each Kazakh letter on a keyboard without them
PLAIN_LETTER = {"ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у", "һ": "х", "і": "и"}
_PLAIN = str.maketrans(PLAIN_LETTER)
_LATIN_WORD = re.compile(r"^[a-zäáçğǵıñńöóşūúüýw]+$", re.IGNORECASE)


def lower(text: str) -> str:
    """Turkic-aware lower-casing (İ→i, I→ı is wrong for Kazakh Latin words written in capitals, so I→i). Python's
    own turns İ into two characters (i and a combining dot), which splits a word in two."""
    return text.replace("İ", "i").lower()


def is_latin(word: str) -> bool:
    return bool(_LATIN_WORD.match(word))


def latin_to_cyrillic(word: str) -> str:
    """`qanşasyn` → `қаншасын`, `Memkorporatsiia` → `Мемкорпорацийа`-like: close enough for a vocabulary match."""
    low = lower(word)
    out: list[str] = []
    i = 0
    while i < len(low):
        for lat, cyr in _LAT_DIGRAPHS:
            if low.startswith(lat, i):
                out.append(cyr)
                i += len(lat)
                break
        else:
            ch = low[i]
            if ch == "i":  # й after a vowel ("qai" → қай), и elsewhere
                out.append("й" if out and out[-1] in _VOWELS else "и")
            else:
                out.append(_LAT.get(ch, ch))
            i += 1
    text = "".join(out)
    return text.capitalize() if word[:1].isupper() else text


def harmonise(word: str) -> str:
    """Plain-keyboard Cyrillic → Kazakh letters by vowel harmony (only for words with a clear harmony)."""
    low = lower(word)
    # ы is always back and е, и (typed for і) front; а, о, у stand for both classes
    back, front = "ы" in low, bool(set(low) & {"е", "и"})
    if back and front:
        return word
    table = {"а": "ә", "о": "ө", "у": "ү", "и": "і"} if front else {"к": "қ", "г": "ғ", "у": "ұ"}
    out = "".join(table.get(ch, ch) for ch in low)
    return out.capitalize() if word[:1].isupper() else out


def common_prefix(a: str, b: str) -> int:
    """How many first letters two words share."""
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def respell(typed: str, corpus_word: str) -> str:
    """A word typed without Kazakh letters, spelt like the corpus word it begins like over their common part, its
    ending read by the harmony of that part's last vowel: `компаниялар` keeps компания's letters, where harmony over
    the whole word would read the Russian loan as Kazakh (көмпәніяләр)."""
    common = common_prefix(lower(typed).translate(_PLAIN), lower(corpus_word).translate(_PLAIN))
    head, tail = lower(corpus_word)[:common], lower(typed)[common:]
    if tail:
        anchor = next((ch for ch in reversed(head) if ch in _VOWELS), "")
        tail = harmonise(anchor + tail)[len(anchor) :]
    out = head + tail
    return out.capitalize() if typed[:1].isupper() else out
