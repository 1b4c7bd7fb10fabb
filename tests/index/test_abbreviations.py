"""Acronyms defined by the documents: found only when their letters are the initials, used in both directions."""

from __future__ import annotations

import numpy as np

from index.abbreviations import Acronyms, find_acronyms
from index.answer import Asks, choose_span
from index.models import Chunk
from index.query import analyse_question
from index.text import analyse
from index.vocabulary import Vocabulary

PROGRAMME = (
    "Тұрғындардың арасында электрондық-цифрлық қолтаңбаны (бұдан әрі - ЭЦҚ) кеңінен пайдалану көзделеді. "
    "Халыққа қызмет көрсету орталықтарының (ХҚКО) желісі кеңейеді. "
    "Жобаны Қазақтелеком жүзеге асырады (бұдан әрі - Оператор). "
    "Бағдарлама 2020 жылға дейін іске асырылады (АҚШ). "
    "Бүгінде ЭЦҚ 1 млн. астам азаматқа берілді. Бүгінде ХҚКО 29 млн. астам қызмет көрсетті.\n"
)
GLOSSARY = "\tОСК\n\t- Орталық Сайлау Комиссиясы\n\tБҒМ\n\t- Қазақстан Республикасы Білім және ғылым министрлігі\n"


def test_bracketed_and_glossary_definitions_are_found_when_the_initials_spell_them() -> None:
    found = {a.short: a.long for a in find_acronyms(PROGRAMME + GLOSSARY)}
    assert found["ЭЦҚ"] == "электрондық цифрлық қолтаңбаны"  # a hyphenated word gives two initials
    assert found["ХҚКО"] == "Халыққа қызмет көрсету орталықтарының"
    assert found["ОСК"] == "Орталық Сайлау Комиссиясы"
    # a bracket that is not an acronym of the words before it is no definition
    assert "Оператор" not in found and "АҚШ" not in found
    # nor is a glossary line whose long form does not start with the acronym's letter
    assert "БҒМ" not in found


def test_an_acronym_in_a_question_brings_its_long_form_and_back() -> None:
    vocab = Vocabulary([PROGRAMME])
    assert len(vocab.acronyms) == 2
    short = analyse_question("Қанша ЭЦҚ берілді?", vocab, prefix=5)
    assert "электрондық цифрлық қолтаңбаны" in short.restored
    assert short.long_forms == (("электрондық", "цифрлық", "қолтаңбаны"),)
    assert set(analyse("электрондық цифрлық қолтаңба", 5)) <= set(short.tokens)

    long = analyse_question("Халыққа қызмет көрсету орталықтары қанша қызмет көрсетті?", vocab, prefix=5)
    assert analyse("ХҚКО", 5)[0] in long.tokens
    assert "ХҚКО" not in long.restored  # the embedder reads words, not letters


def test_typed_without_kazakh_letters_the_acronym_still_expands() -> None:
    q = analyse_question("Канша ЭЦК берилди?", Vocabulary([PROGRAMME]), prefix=5)
    assert set(analyse("электрондық цифрлық", 5)) <= set(q.tokens)


def test_a_lower_case_word_that_folds_like_an_acronym_is_left_alone() -> None:
    vocab = Vocabulary(["Біріккен Араб Республикасы (БАР) мұнай өндіреді. Онда көп мұнай бар."])
    assert Acronyms(["Біріккен Араб Республикасы (БАР)"]).long_of
    q = analyse_question("Мұнай бар ма?", vocab, prefix=5)
    assert "Біріккен" not in q.restored


def test_a_unit_with_the_long_form_matches_a_question_that_names_the_acronym() -> None:
    text = "Тұрғындарға жаңа жеке куәліктер берілді. 1 млн. астам электрондық цифрлық қолтаңба таратылды."
    cut = text.index("1 млн.")
    chunk = Chunk(0, "d.txt", 0, len(text), text, ("Doc",), ((0, cut - 1), (cut, len(text))))
    q = analyse_question("Қанша ЭЦҚ берілді?", Vocabulary([PROGRAMME, text]), prefix=5)
    assert q.synonyms and "ЭЦҚ" not in text
    idf = {t: 1.0 for t in q.tokens}

    def pick(synonyms: tuple) -> str:
        sims, asks = [np.array([0.80, 0.80])], Asks.of(q.text)
        tokens = list(q.own_tokens)
        return choose_span([chunk], {"d.txt": text}, sims, tokens, q.numbers, idf, 5, asks, synonyms=synonyms).span.text

    assert pick(q.synonyms).startswith("1 млн.")  # the figure, in the words the acronym stands for
    assert pick(()).startswith("Тұрғындарға")  # without the pairing only the shared verb counts
