"""The Kazakh analyser: repair of what the corpus really contains, folding across scripts, transliteration."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from index.text import analyse, char_ngrams, clean, fold, lower, numbers, repair_homoglyphs, stem, words
from index.transliterate import harmonise, is_latin, latin_to_cyrillic, respell

CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def scripts(word: str) -> set[str]:
    return {unicodedata.name(ch).split()[0] for ch in word if ch.isalpha()}


@pytest.mark.parametrize(
    ("typed", "repaired"),
    [
        ("агенттігi", "агенттігі"),  # Latin i closing a Cyrillic word (information-inequality-2007-2009.txt)
        ("Саll", "Call"),  # Cyrillic С а in a Latin word (aqparatty-qazaqstan-2020.txt)
        ("50%-ғa", "50%-ға"),  # Latin a after a Kazakh letter
        ("міндеттерi", "міндеттері"),
        ("Kaзaкcтaн", "Казакстан"),  # Latin K a c inside a Cyrillic word
    ],
)
def test_latin_look_alikes_are_repaired(typed: str, repaired: str) -> None:
    assert clean(typed) == repaired
    assert fold(typed) == fold(repaired)


def test_the_corpus_really_has_the_look_alikes_the_repair_is_for() -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt")))
    for word in ("агенттігi", "Саll", "50%-ғa"):
        assert word in text
        assert scripts(word) == {"CYRILLIC", "LATIN"}
        assert len(scripts(clean(word))) == 1
    assert scripts(clean("Саll-орталығы").split("-")[0]) == {"LATIN"}


def test_a_word_in_one_script_is_left_alone() -> None:
    for word in ("Call", "Қазақстан", "internet", "ХҚКО", "e-government"):
        assert clean(word) == word


def test_a_word_with_unambiguous_letters_of_both_scripts_is_left_alone() -> None:
    assert repair_homoglyphs("Qазақ") == "Qазақ"  # Q has no Cyrillic twin, қ no Latin one: nothing to decide


def test_latin_h_inside_a_kazakh_word_matches_the_kazakh_letter() -> None:
    assert "жаhандық" in (CORPUS / "information-inequality-2007-2009.txt").read_text(encoding="utf-8")
    assert fold("жаhандық") == fold("жаһандық")


def test_nfc_soft_hyphens_and_non_breaking_spaces() -> None:
    decomposed = unicodedata.normalize("NFD", "Қазақстан Республикасы й")
    assert decomposed != "Қазақстан Республикасы й"
    assert clean(decomposed) == "Қазақстан Республикасы й"
    assert clean("ақпарат\u00adтандыру\u00a0жүйесі") == "ақпараттандыру жүйесі"
    assert clean("25\u202f000 азамат\u2009бар") == "25 000 азамат бар"
    assert words("ақпарат\u00adтандыру") == ["ақпараттандыру"]
    assert fold(unicodedata.normalize("NFD", "Қазақстан")) == fold("Қазақстан")


def test_hard_line_breaks_inside_sentences_are_joined() -> None:
    pdf_dump = "Цифрлық медиа   жаңа\nкоммуникация  \n  құралы ретінде ақпарат-\nтандыру үдерісін жеделдетеді."
    assert clean(pdf_dump) == "Цифрлық медиа жаңа коммуникация құралы ретінде ақпараттандыру үдерісін жеделдетеді."


@pytest.mark.parametrize(
    "variant",
    ["Қазақстан", "Казакстан", "Qazaqstan", "QAZAQSTAN", "қазақстан", "qazaqstan"],
)
def test_fold_equates_scripts_and_keyboards(variant: str) -> None:
    assert fold(variant) == fold("Қазақстан")


@pytest.mark.parametrize(
    ("kazakh", "typed"),
    [
        ("білім", "билим"),  # і typed as и
        ("үкімет", "укимет"),
        ("мемлекеттік", "мемлекеттик"),
        ("ұлттық", "улттык"),
        ("қызмет", "qyzmet"),
        ("ақпараттандыру", "aqparattandyru"),
        ("шешім", "sheshim"),  # informal sh
        ("шешім", "şeşim"),  # 2021 alphabet ş
        ("ғылым", "ğylym"),
    ],
)
def test_fold_equates_kazakh_letters_with_what_people_type(kazakh: str, typed: str) -> None:
    assert fold(typed) == fold(kazakh)


def test_turkic_capital_dotted_i_lowers_to_i() -> None:
    assert lower("İNTERNET") == "internet"
    assert fold("İnternet") == fold("internet") == fold("Интернет")
    assert fold("ІНТЕРНЕТ") == fold("интернет")


def test_fold_keeps_different_words_apart() -> None:
    assert fold("қала") != fold("қазақ")
    assert fold("жыл") != fold("жол")


def test_analyse_gives_stemmed_keys_and_keeps_numbers_whole() -> None:
    assert analyse("Қазақстан Республикасының 2020 жылы", 5) == ["казак", "респу", "2020", "жылы"]
    assert analyse("Qazaqstan Respublikasynyñ", 5) == analyse("Қазақстан Республикасының", 5)
    assert stem("123456789", 5) == "123456789"
    assert analyse("", 5) == []


def test_numbers_are_read_as_written() -> None:
    assert numbers("күн сайын 25 000-нан астам, 12,5 млн, 2020 жылы") == {"25000", "12.5", "2020"}


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("qanşasyn", "қаншасын"),
        ("Qazaqstan", "Қазақстан"),
        ("ükimet", "үкимет"),
        ("shyğys", "шығыс"),
        ("qai", "қай"),
    ],
)
def test_latin_to_cyrillic(latin: str, cyrillic: str) -> None:
    assert is_latin(latin)
    assert latin_to_cyrillic(latin) == cyrillic


def test_is_latin_rejects_cyrillic_and_digits() -> None:
    assert not is_latin("қанша") and not is_latin("2020") and not is_latin("e-gov")


@pytest.mark.parametrize(
    ("plain", "kazakh"),
    [
        ("улттык", "ұлттық"),  # back vowels: к → қ, у → ұ
        ("билим", "білім"),  # front vowels: и → і
        ("каншасын", "қаншасын"),
        ("Казакстан", "Қазақстан"),
        ("онир", "өнір"),  # front: о → ө (ң cannot be recovered, and need not be for folding)
    ],
)
def test_harmonise_restores_kazakh_letters_by_vowel_harmony(plain: str, kazakh: str) -> None:
    assert harmonise(plain) == kazakh
    assert fold(harmonise(plain)) == fold(plain)


def test_harmonise_leaves_mixed_harmony_words_alone() -> None:
    assert harmonise("кызмет") == "кызмет"  # ы (back) and е (front): no safe guess


@pytest.mark.parametrize(
    ("typed", "corpus_word", "respelt"),
    [
        ("компаниялар", "компания", "компаниялар"),  # a Russian loan keeps its letters, its ending is back-vowelled
        ("Компьютер", "компьютерлік", "Компьютер"),
        ("курсында", "курстар", "курсында"),  # the common part is the corpus's, the ending harmony's
        ("галамторды", "ғаламтор", "ғаламторды"),  # a Kazakh word gets its Kazakh letters from the corpus
        ("кызметтеринин", "қызметтерінің", "қызметтерінің"),
        ("акимдиктерге", "әкімдік", "әкімдіктерге"),  # a front-vowelled ending after a front stem
        ("жок", "бар", "жоқ"),  # nothing in common: harmony alone, as before
    ],
)
def test_respell_takes_the_corpus_letters_of_the_common_beginning(typed: str, corpus_word: str, respelt: str) -> None:
    assert harmonise("компаниялар") == "көмпәніяләр"  # what vowel harmony over the whole word makes of the loan
    assert respell(typed, corpus_word) == respelt
    assert fold(respell(typed, corpus_word)) == fold(typed)


def test_character_ngrams_survive_typos_and_scripts() -> None:
    assert char_ngrams("Қазақ", 4) == ["#каз", "каза", "азак", "зак#"]
    assert char_ngrams("АТ", 4) == ["#ат#"]  # a word shorter than n gives one key
    right = set(char_ngrams("компьютерлік сауаттылық", 4))
    typo = set(char_ngrams("компютерлик сауатылық", 4))
    assert len(right & typo) / len(right) > 0.5
    assert char_ngrams("Kompiuterlık", 4)[:3] == char_ngrams("Компьютерлік", 4)[:3]  # Latin folds onto the same keys
