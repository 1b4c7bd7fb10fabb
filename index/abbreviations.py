"""Acronyms the documents define themselves, so a question may use either form.

Official texts introduce a short form once — «электрондық цифрлық қолтаңба (бұдан әрі - ЭЦҚ)», «ОСК - Орталық
Сайлау Комиссиясы» — and then use it alone, while citizens write whichever form they know. A definition is
accepted only when the acronym's letters are the initials of the words before (or after) it, in order
(Schwartz & Hearst's test, 2003), so a stray bracket never becomes a synonym.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import WORD, fold

# "long form (бұдан әрі - ABBR)", "long form (далее – ABBR)", "long form (ABBR)"
_IN_BRACKETS = re.compile(r"\((?:(?:бұдан әрі|бұдан кейін|далее)\s*[-–—:]?\s*)?([^\W\d_][\w-]{1,9})\)")
# glossary lines: "ABBR - long form", "ABBR\t– long form"
_GLOSSARY = re.compile(r"^[ \t]*([^\W\d_][\w ]{0,9}?)[ \t]*\n?[ \t]*[-–—][ \t]*(\S[^\n]{3,120})$", re.MULTILINE)
_MAX_EXTRA_WORDS = 2  # words a long form may have beyond the acronym's letters ("және", "мен", …)


@dataclass(frozen=True)
class Acronym:
    short: str  # as written: "ЭЦҚ"
    long: str  # as written: "электрондық цифрлық қолтаңба"


def _is_acronym(token: str) -> bool:
    letters = [c for c in token if c.isalpha()]
    return 2 <= len(letters) <= 8 and sum(c.isupper() for c in letters) >= max(2, len(letters) - 1)


def _spells(short: str, run: list[str]) -> bool:
    """Its first and last initials are the acronym's first and last letters; its initials hold all of them in order."""
    target = [fold(c)[:1] for c in short if c.isalpha()]
    initials = [fold(w)[:1] for w in run]
    it = iter(initials)
    return initials[0] == target[0] and initials[-1] == target[-1] and all(ch in it for ch in target)


def _align(short: str, words: list[str], from_end: bool) -> list[str] | None:
    """The shortest run of words ending at the acronym (or starting right after it) whose initials spell it."""
    letters = sum(c.isalpha() for c in short)
    for n in range(letters, min(letters + _MAX_EXTRA_WORDS, len(words)) + 1):
        run = words[-n:] if from_end else words[:n]
        if _spells(short, run):
            return run
    return None


def find_acronyms(text: str) -> list[Acronym]:
    found: list[Acronym] = []
    for m in _IN_BRACKETS.finditer(text):
        short = m.group(1)
        if not _is_acronym(short):
            continue
        run = _align(short, WORD.findall(text[max(0, m.start() - 200) : m.start()]), from_end=True)
        if run:
            found.append(Acronym(short, " ".join(run)))
    for m in _GLOSSARY.finditer(text):
        short = m.group(1).strip()
        if not _is_acronym(short.replace(" ", "")):
            continue
        run = _align(short, WORD.findall(m.group(2)), from_end=False)
        if run:
            found.append(Acronym(short, " ".join(run)))
    return found


class Acronyms:
    """Folded acronym key → the words of its long form, over a whole corpus (the first definition wins)."""

    def __init__(self, texts: list[str]) -> None:
        self.long_of: dict[str, list[str]] = {}
        for text in texts:
            for a in find_acronyms(text):
                self.long_of.setdefault(fold(a.short.replace(" ", "")), WORD.findall(a.long))

    def named_in(self, text: str) -> list[str]:
        """Keys of the acronyms a text names (written in capitals, as acronyms are)."""
        return [k for w in WORD.findall(text) if w.isupper() and (k := fold(w)) in self.long_of]

    def __len__(self) -> int:
        return len(self.long_of)
